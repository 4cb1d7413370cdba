"""tta_ci.run.engine: the wired ExecutionEngine plans a queued task given as a file."""

from __future__ import annotations

from pathlib import Path

from support.gitrepo import CommitFn

from tta_ci import Config, TaskPriority, TaskStatus
from tta_ci.engine.fake import FakeGenerator, FakeValidator
from tta_ci.engine.queue import QueuedTask
from tta_ci.run.engine import ExecutionEngine

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


async def test_engine_plans_a_queued_task_given_as_a_file(git_repo: Path, commit: CommitFn) -> None:
    commit({"calc.py": MODULE})
    engine = ExecutionEngine(Config(), max_concurrent_tasks=2, repo=git_repo,
                             generator=FakeGenerator(), validator=FakeValidator())
    async with engine:
        one = await engine.submit_task(QueuedTask(target_file="calc.py", symbol="double",
                                                  priority=TaskPriority.HIGH))
        both = await engine.submit_task(QueuedTask(target_file="calc.py"))
        results = await engine.wait_all(timeout=30)
    by_id = {r.task_id: r for r in results}
    assert by_id[one].outcome == "accepted"
    assert by_id[one].task is not None and by_id[one].task.changed_lines[0] == 1
    assert by_id[both].status is TaskStatus.FAILED
    assert "2 testable symbols (double, half); give one symbol per task" in by_id[both].reason
