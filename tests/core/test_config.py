"""tta_ci.core.config: the file, then the environment, then flags; errors name their source."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tta_ci.core.config import Config, load_config
from tta_ci.core.errors import ConfigError


def test_bad_value_in_pyproject_names_the_table(git_repo: Path) -> None:
    (git_repo / "pyproject.toml").write_text("[tool.tta-ci]\nruns = -1\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml \[tool.tta-ci\]: key 'runs'"):
        load_config(git_repo, {})


def test_file_then_environment_then_flags(git_repo: Path) -> None:
    (git_repo / ".tta-ci.toml").write_text("max-tasks = 5\nconcurrency = 3\nmodel = 'a/b'\n")
    environ = {"TTA_CONCURRENCY": "7", "TTA_EXCLUDE": "a/**,b/**", "TTA_LLM_BASE_URL":
               "http://127.0.0.1:9/v1/"}
    config = load_config(git_repo, environ, {"model": "c/d"})
    assert (config.max_tasks, config.concurrency, config.model) == (5, 7, "c/d")
    assert config.exclude == ("a/**", "b/**")
    assert config.api_base == "http://127.0.0.1:9/v1"
    assert config.source("max_tasks") == ".tta-ci.toml"
    assert config.source("concurrency") == "env TTA_CONCURRENCY"
    assert config.source("model") == "flag --model"
    assert config.source("runs") == "default"
    with pytest.raises(Exception, match="frozen"):
        config.max_tasks = 9  # type: ignore[misc]


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="env TTA_MAX_TASKS: key 'max_tasks'"):
        load_config(Path("/nonexistent"), {"TTA_MAX_TASKS": "lots"})


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path, {}, config_file=tmp_path / "nope.toml")


def test_defaults_are_valid() -> None:
    config = Config()
    assert config.backend == "auto" and config.runs == 3 and config.max_attempts == 3


def test_a_huge_configuration_file_is_refused_at_once(git_repo: Path) -> None:
    (git_repo / ".tta-ci.toml").write_text("exclude = [" + '"x/**", ' * 400_000 + "]\n")
    start = time.monotonic()
    with pytest.raises(ConfigError, match=r"^\.tta-ci\.toml: the file is \d+ bytes, over the "
                                          r"1048576 bytes") as info:
        load_config(git_repo, {})
    assert time.monotonic() - start < 1 and info.value.exit_code == 2


@pytest.mark.parametrize("text", [
    pytest.param("provider = " + "[" * 5000 + "]" * 5000 + "\n", id="arrays"),
    pytest.param("provider = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n", id="tables"),
])
def test_a_deeply_nested_configuration_is_a_usage_error(git_repo: Path, text: str) -> None:
    (git_repo / ".tta-ci.toml").write_text(text)
    start = time.monotonic()
    with pytest.raises(ConfigError, match="nested too deeply") as info:
        load_config(git_repo, {})
    assert time.monotonic() - start < 1 and info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_lists_have_a_cap(git_repo: Path) -> None:
    (git_repo / ".tta-ci.toml").write_text("exclude = [" + '"x", ' * 1001 + "]\n")
    with pytest.raises(ConfigError, match=r"key 'exclude': .*at most 1000") as info:
        load_config(git_repo, {})
    assert len(str(info.value)) < 300  # the value is not repeated whole
