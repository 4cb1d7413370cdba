"""tta_ci.engine.queue: the priority queue of tasks."""

from __future__ import annotations

from tta_ci.core.types import Task, TaskPriority
from tta_ci.engine.queue import QueuedTask, TaskQueue


def make_task(name: str, priority: TaskPriority = TaskPriority.NORMAL) -> Task:
    return Task(
        id=f"pkg/mod.py::{name}",
        file="pkg/mod.py",
        symbol=name,
        kind="function",
        changed_lines=(3, 4),
        test_file="tests/test_mod.py",
        priority=priority,
    )


async def test_queue_orders_by_priority_then_fifo() -> None:
    queue = TaskQueue()
    items = [
        QueuedTask.from_task(make_task("low1", TaskPriority.LOW)),
        QueuedTask.from_task(make_task("normal1")),
        QueuedTask.from_task(make_task("high1", TaskPriority.HIGH)),
        QueuedTask.from_task(make_task("low2", TaskPriority.LOW)),
        QueuedTask.from_task(make_task("high2", TaskPriority.HIGH)),
        QueuedTask.from_task(make_task("normal2")),
    ]
    for item in items:
        await queue.put(item)
    order = [(await queue.get()).symbol for _ in items]
    assert order == ["high1", "high2", "normal1", "normal2", "low1", "low2"]
