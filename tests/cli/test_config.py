"""``tta-ci config``: the effective configuration with its sources, secrets redacted; bad files are
one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tta_ci.cli.config import render_config
from tta_ci.cli.main import main
from tta_ci.core.config import Config


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


def test_render_config_lists_keys_with_sources_then_secrets() -> None:
    config = Config(max_tasks=4, api_key_env="MY_KEY")
    text = render_config(config, {"MY_KEY": "k-0123456789", "GITHUB_TOKEN": "ghp_x1234567"})
    lines = text.splitlines()
    assert 'backend = "auto"  # default' in lines
    assert lines[-3:] == ["", "GITHUB_TOKEN = *** (set)  # secret", "MY_KEY = *** (set)  # secret"]
    assert "k-0123456789" not in text and "ghp_x1234567" not in text
    last = render_config(Config(), {}).splitlines()[-1]
    assert last == "OPENROUTER_API_KEY = (not set)  # secret"
