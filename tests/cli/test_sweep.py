"""``tta-ci sweep`` through main(): what it refuses before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import CommitFn
from support.sweep import PROJECT

from tta_ci.cli.main import main


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        pytest.param(["--mode", "commit"], {}, "a sweep has no pull request to commit on",
                     id="commit-mode"),
        pytest.param([], {"GITHUB_REPOSITORY": "octo/calc"}, "needs GITHUB_TOKEN",
                     id="pr-without-token"),
        pytest.param([], {"GITHUB_TOKEN": "ghs_x"}, "GITHUB_REPOSITORY is not set",
                     id="pr-without-repository"),
    ],
)
def test_a_sweep_that_cannot_publish_stops_first(
    git_repo: Path, commit: CommitFn, argv: list[str], environ: dict[str, str], message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    commit(PROJECT)
    assert main(["sweep", "--repo", str(git_repo), *argv], environ) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not (git_repo / ".tta-ci").exists()  # no work was done


def test_an_output_dir_that_cannot_be_written_stops_the_sweep_first(
    git_repo: Path, commit: CommitFn, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(PROJECT)
    argv = ["sweep", "--repo", str(git_repo), "--mode", "none", "--output-dir", "/etc/hostname"]
    assert main(argv, {}) == 2
    err = capsys.readouterr().err
    assert err.startswith("tta-ci: error: --output-dir /etc/hostname: not a writable folder (")
    assert "sweep:" not in err and err.count("\n") == 1  # no survey was made


def test_a_repository_without_public_functions_sweeps_to_nothing(
    git_repo: Path, commit: CommitFn, capsys: pytest.CaptureFixture[str]
) -> None:
    commit({"calc.py": "def _hidden():\n    return 1\n"})
    assert main(["sweep", "--repo", str(git_repo), "--mode", "none", "--backend", "offline"],
                {}) == 0
    out = capsys.readouterr()
    assert out.out.startswith("0 task(s): 0 accepted")
    assert "sweep: 0 of 0 public function(s) not fully tested" in out.err
