"""tta_ci.plan.tasks: the priority of a task."""

from __future__ import annotations

import pytest

from tta_ci.core.types import TaskPriority
from tta_ci.plan.tasks import priority_of


@pytest.mark.parametrize(
    ("module", "symbol", "expected"),
    [
        ("pkg.mod", "f", TaskPriority.HIGH),
        ("pkg.mod", "C.__init__", TaskPriority.HIGH),
        ("pkg.mod", "C._m", TaskPriority.LOW),
        ("pkg._impl", "f", TaskPriority.LOW),
        ("pkg.mod", "<module>", TaskPriority.NORMAL),
    ],
)
def test_priority(module: str, symbol: str, expected: TaskPriority) -> None:
    assert priority_of(module, symbol) is expected


def test_the_cap_counts_only_the_tasks_the_backend_would_try() -> None:
    from tta_ci.core.types import Skip, Task
    from tta_ci.plan.tasks import apply_cap

    tasks = [Task(id=f"m.py::{n}", file="m.py", symbol=n, kind="function", changed_lines=(i,),
                  test_file="tests/test_m.py", start_line=i) for i, n in enumerate("abcd", 1)]

    def no_b(task: Task) -> Skip | None:
        return Skip(file=task.file, symbol=task.symbol, reason="no", backend="x") \
            if task.symbol == "b" else None

    kept, skipped = apply_cap(tasks, 2, no_b)
    assert [t.symbol for t in kept] == ["a", "c"]
    assert [(s.symbol, s.reason) for s in skipped] == [("b", "no"), ("d", "over max_tasks (2)")]
