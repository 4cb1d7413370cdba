"""``tta-ci hook`` through main(): SKIP per hook id, configuration errors on the full path."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from support.gitrepo import git, write

from tta_ci.cli.hook import NOTHING, hook, hook_files
from tta_ci.cli.main import build_parser, main


def test_skip_of_the_check_hook_does_not_skip_the_other(
    git_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(git_repo)
    assert main(["hook", "--check", "--repo", str(git_repo), "pkg/a.py"],
                {"SKIP": "tta-ci-check"}) == 0
    assert "skipped: SKIP names tta-ci-check" in capsys.readouterr().out
    # the other hook goes on (and finds nothing staged to plan)
    assert main(["hook", "--repo", str(git_repo), "tests/test_a.py"],
                {"SKIP": "tta-ci-check"}) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_bad_configuration_is_one_line_on_the_full_path(
    git_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(git_repo, {".tta-ci.toml": "exclude = 'gen'\n", "pkg/a.py": "def f() -> int:\n"
                     "    return 1\n"})
    git(git_repo, "add", "pkg/a.py")
    monkeypatch.chdir(git_repo)
    assert main(["hook", "pkg/a.py"], {}) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tta-ci: error: .tta-ci.toml: key 'exclude'")
    assert "\n" not in err


def _args(repo: Path, files: list[str], config: str | None = None) -> argparse.Namespace:
    return build_parser().parse_args(["hook", "--repo", str(repo), *files]
                                     + (["--config", config] if config else []))


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(["pkg/a.py", "README.md", "tests/test_a.py"], ["pkg/a.py"], id="python-only"),
        pytest.param(["gen/out.py", "pkg/a.py"], ["pkg/a.py"], id="excluded"),
        pytest.param(["README.md"], [], id="nothing"),
    ],
)
def test_hook_files_named_on_the_command_line(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, files: list[str], expected: list[str]
) -> None:
    write(git_repo, {".tta-ci.toml": 'exclude = ["gen/**"]\n'})
    monkeypatch.chdir(git_repo)
    assert hook_files(_args(git_repo, files), {}) == expected


def test_hook_files_default_to_the_staged_ones(git_repo: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    write(git_repo, {"pkg/a.py": "A = 1\n", "pkg/b.py": "B = 1\n", "notes.md": "n\n"})
    git(git_repo, "add", "pkg/a.py", "notes.md")
    monkeypatch.chdir(git_repo / "pkg")  # paths are relative to the repository, not the cwd
    assert hook_files(_args(git_repo, []), {}) == ["pkg/a.py"]


def test_hook_says_nothing_to_do_without_loading_the_configuration(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(git_repo, {".tta-ci.toml": "exclude = 'not a list'\n"})  # never read: no candidate
    monkeypatch.chdir(git_repo)
    assert hook(_args(git_repo, ["README.md"]), {}) == 0
    assert capsys.readouterr().out == f"tta-ci: {NOTHING}\n"
