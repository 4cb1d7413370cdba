"""``tta-ci generate`` and ``submit-task``: one symbol, in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.gitrepo import CommitFn

from tta_ci.cli.main import main

MODULE = '''\
def double(x: int) -> int:
    """Twice ``x``.

    >>> double(21)
    42
    """
    return 2 * x


def half(x: int) -> float:
    return x / 2
'''


@pytest.mark.slow
def test_generate_command_runs_one_symbol_offline(
    git_repo: Path, commit: CommitFn, capsys: pytest.CaptureFixture[str]
) -> None:
    commit({"calc.py": MODULE})
    argv = ["generate", "--target-file", "calc.py", "--symbol", "double", "--repo",
            str(git_repo), "--backend", "offline", "--priority", "high", "--json"]
    assert main(argv, {"PATH": "/usr/bin:/bin"}) == 0
    doc = json.loads(capsys.readouterr().out)
    (task,) = doc["tasks"]
    assert task["id"] == "calc.py::double" and task["status"] == "accepted"
    assert task["priority"] == "high"
    assert "assert double(21) == 42" in (git_repo / "tests" / "test_calc.py").read_text()
    assert main(["submit-task", "--target-file", "calc.py", "--symbol", "nope", "--repo",
                 str(git_repo)], {}) == 2
