"""tta_ci.cli.main: --version, usage errors in one line, and the exit codes 2, 3 and 130."""

from __future__ import annotations

from pathlib import Path

import pytest

import tta_ci
from tta_ci.cli.main import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"tta-ci {tta_ci.__version__}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param([], "a command is required", id="no-command"),
        pytest.param(["frobnicate"], "invalid choice: 'frobnicate'", id="unknown-command"),
        pytest.param(["run", "--concurrency", "x"], "invalid int value", id="bad-flag"),
        pytest.param(["validate", "x.py"], "--target", id="missing-required"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv, {}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tta-ci: error: ") and expected in err


def test_not_a_git_repository_is_exit_2(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--repo", str(tmp_path)], {}) == 2
    assert "not a git repository" in capsys.readouterr().err


def test_unexpected_error_is_exit_3_with_the_traceback_in_a_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tta_ci.cli import config as config_command

    def boom(args: object, environ: object) -> int:
        raise RuntimeError("disk on fire, key sk-or-v1-secret-abcdef")

    monkeypatch.setattr(config_command, "config", boom)
    environ = {"OPENROUTER_API_KEY": "sk-or-v1-secret-abcdef"}
    assert main(["config"], environ) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: disk on fire" in err
    assert "sk-or-v1-secret-abcdef" not in err
    log = Path(err.rsplit("(traceback: ", 1)[1].rstrip(")\n"))
    text = log.read_text()
    assert "Traceback" in text and "sk-or-v1-secret-abcdef" not in text
    log.unlink()


def test_interrupt_is_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_ci.cli import config as config_command

    def interrupted(args: object, environ: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(config_command, "config", interrupted)
    assert main(["config"], {}) == 130


