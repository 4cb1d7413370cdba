"""``tta-ci hook`` through main(): SKIP per hook id, configuration errors on the full path."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import git, write

from tta_ci.cli.main import main


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
