"""tta_ci.run.api: the TestGenerator Python API, with fake generator and validator."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import CommitFn

from tta_ci import Config, TaskPriority, TaskStatus
from tta_ci.engine.fake import FakeGenerator, FakeValidator
from tta_ci.run.api import TestGenerator

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


def test_submit_status_results_and_blocking_call(git_repo: Path, commit: CommitFn) -> None:
    commit({"calc.py": MODULE})
    gen = FakeGenerator(latency_s=0.2,
                        code=lambda r: f"def test_{r.task.symbol}():\n    assert True\n")
    with TestGenerator(Config(), repo=git_repo, environ={}, generator=gen,
                       validator=FakeValidator()) as api:
        task_id = api.submit_test_generation_task("calc.py", priority=TaskPriority.HIGH)
        assert api.get_task_status(task_id) in (TaskStatus.QUEUED, TaskStatus.RUNNING)
        with pytest.raises(TimeoutError):
            api.get_test_generation_results(task_id, timeout=0.01, poll_interval=0.005)
        results = api.get_test_generation_results(task_id, timeout=10, poll_interval=0.02)
        assert results.status is TaskStatus.COMPLETED
        assert sorted(r.task.symbol for r in results.tasks if r.task) == ["double", "half"]
        assert [f for f, _ in results.accepted] == ["tests/test_calc.py"] * 2

        one = api.generate_tests("calc.py", "half", timeout=10, write=True)
        assert [r.task.symbol for r in one.tasks if r.task] == ["half"]
    written = (git_repo / "tests" / "test_calc.py").read_text()
    assert "def test_half():" in written
    with pytest.raises(KeyError):
        TestGenerator(Config(), repo=git_repo, environ={}).get_task_status("nope")


def test_unknown_symbol_is_a_clear_error(git_repo: Path, commit: CommitFn) -> None:
    commit({"calc.py": MODULE})
    with TestGenerator(Config(), repo=git_repo, environ={}, generator=FakeGenerator(),
                       validator=FakeValidator()) as api, pytest.raises(Exception, match="triple"):
        api.submit_test_generation_task("calc.py", "triple")


