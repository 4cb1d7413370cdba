from __future__ import annotations

import json
from pathlib import Path

import pytest

from tta_ci.cli.main import main
from tta_ci.core.config import Config, load_config
from tta_ci.core.errors import ConfigError


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("tta-ci: error: ")
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("max_tasks = [\n", ".tta-ci.toml: invalid TOML", id="malformed"),
        pytest.param("colour = 'red'\n", ".tta-ci.toml: unknown key 'colour'; known keys:",
                     id="unknown-key"),
        pytest.param("max_tasks = 'many'\n", ".tta-ci.toml: key 'max_tasks': Input should be",
                     id="wrong-type"),
        pytest.param("backend = 'gpt'\n", "'auto', 'openrouter', 'openhands' or 'offline'",
                     id="bad-choice"),
        pytest.param("concurrency = 0\n", "key 'concurrency': Input should be greater than",
                     id="out-of-range"),
        pytest.param("comment_permissions = ['root']\n", "allowed: read, triage, write",
                     id="bad-permission"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(
    git_repo: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    (git_repo / ".tta-ci.toml").write_text(text)
    assert main(["config", "--repo", str(git_repo)], {}) == 2
    assert expected in one_line_error(capsys)


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


def test_config_command_shows_sources_and_redacts_secrets(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (git_repo / ".tta-ci.toml").write_text("max_tasks = 5\n")
    environ = {"OPENROUTER_API_KEY": "sk-or-v1-very-secret-value", "GITHUB_TOKEN": "ghp_abcdefgh",
               "TTA_RUNS": "2"}
    assert main(["config", "--repo", str(git_repo)], environ) == 0
    out = capsys.readouterr().out
    assert "max_tasks = 5  # .tta-ci.toml" in out
    assert "runs = 2  # env TTA_RUNS" in out
    assert "backend = \"auto\"  # default" in out
    assert "OPENROUTER_API_KEY = *** (set)  # secret" in out
    assert "GITHUB_TOKEN = *** (set)  # secret" in out
    assert "sk-or-v1" not in out and "ghp_" not in out
    assert main(["config", "--repo", str(git_repo), "--json"], environ) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["config"]["max_tasks"] == {"value": 5, "source": ".tta-ci.toml"}
    assert doc["secrets"]["OPENROUTER_API_KEY"] == "*** (set)"


def test_defaults_are_valid() -> None:
    config = Config()
    assert config.backend == "auto" and config.runs == 3 and config.max_attempts == 3
