"""``tta-ci hook`` in process, with the offline generator and the real sandboxed validator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.cli.main import main

pytestmark = pytest.mark.slow

CALC = '''\
from __future__ import annotations


def add(a: int, b: int) -> int:
    """The sum of two integers."""
    return a + b
'''
USER_TESTS = "def test_user_work_in_progress() -> None:\n    assert [1] * 2 == [1, 1]\n"


def test_hook_writes_beside_a_staged_test_file_and_never_into_it(
    git_repo: Path, commit: CommitFn, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    commit({"pkg/__init__.py": "", "pkg/calc.py": "VERSION = 1\n"})
    write(git_repo, {"pkg/calc.py": CALC, "tests/test_calc.py": USER_TESTS})
    git(git_repo, "add", "pkg/calc.py", "tests/test_calc.py")
    index_before = git(git_repo, "diff", "--cached")
    monkeypatch.chdir(git_repo)

    assert main(["hook", "pkg/calc.py", "tests/test_calc.py"], {"PRE_COMMIT": "1"}) == 1
    out = capsys.readouterr().out
    assert "tta-ci: ✔ accepted pkg/calc.py::add" in out
    assert "tests/test_calc.py holds uncommitted changes; wrote tests/test_calc_tta.py" in out
    assert out.rstrip().endswith("`git add tests/test_calc_tta.py` and commit again")
    assert (git_repo / "tests/test_calc.py").read_text() == USER_TESTS
    assert (git_repo / "pkg/calc.py").read_text() == CALC
    assert git(git_repo, "diff", "--cached") == index_before
    written = (git_repo / "tests/test_calc_tta.py").read_text()
    assert "pkg.calc" in written and "def test_" in written
    metrics = json.loads((git_repo / ".tta-ci/out/metrics.json").read_text())
    assert metrics["totals"]["accepted"] == 1
    assert "wrote tests/test_calc_tta.py" in metrics["notes"]

    # the user stages the new file: the next run has nothing to do, and says why
    git(git_repo, "add", "tests/test_calc_tta.py")
    assert main(["hook", "pkg/calc.py"], {"PRE_COMMIT": "1"}) == 0
    out = capsys.readouterr().out
    assert "already in tests/test_calc_tta.py" in out
    assert (git_repo / "tests/test_calc_tta.py").read_text() == written
