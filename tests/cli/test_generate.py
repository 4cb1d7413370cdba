"""``tta-ci generate`` and ``submit-task``: one symbol, in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.gitrepo import CommitFn

from tta_ci.cli.generate import generate
from tta_ci.cli.main import build_parser, main
from tta_ci.core.errors import UsageError

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


def test_an_unknown_symbol_stops_before_any_work(git_repo: Path, commit: CommitFn) -> None:
    commit({"calc.py": MODULE})
    args = build_parser().parse_args(["generate", "--target-file", "calc.py", "--symbol", "nope",
                                      "--repo", str(git_repo)])
    with pytest.raises(UsageError, match=r"calc\.py: no symbol 'nope'; available: double, half"):
        generate(args, {})
    assert not (git_repo / ".tta-ci").exists()
