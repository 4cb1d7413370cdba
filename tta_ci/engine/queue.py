"""The task queue: HIGH before NORMAL before LOW, first in first out within a priority."""

from __future__ import annotations

import asyncio
import itertools
import uuid

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tta_ci.core.types import Task, TaskPriority

__all__ = ["QueuedTask", "TaskQueue"]


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


class QueuedTask(BaseModel):
    """A unit of work for the engine.

    Either built from a planned ``Task`` (``QueuedTask.from_task``) or, as in the original
    API, from a ``target_file`` (and optional ``symbol``), which the engine plans on start.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=_new_id)
    task: Task | None = None
    target_file: str = ""
    symbol: str | None = None
    task_type: str = "unit_test"
    priority: TaskPriority = TaskPriority.NORMAL
    description: str = ""
    timeout_s: float | None = None  # overrides config.task_timeout_s

    @model_validator(mode="after")
    def _has_target(self) -> QueuedTask:
        if self.task is None and not self.target_file:
            raise ValueError("a QueuedTask needs a task or a target_file")
        return self

    @classmethod
    def from_task(cls, task: Task, **kwargs: object) -> QueuedTask:
        """Queue a planned task; its id is the task's id unless ``id=`` is given."""
        kwargs.setdefault("id", task.id)
        return cls(
            task=task,
            target_file=task.file,
            symbol=task.symbol,
            priority=task.priority,
            description=task.description,
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def label(self) -> str:
        if self.task is not None:
            return self.task.id
        return f"{self.target_file}::{self.symbol}" if self.symbol else self.target_file


class TaskQueue:
    """An asyncio priority queue that keeps submission order within a priority."""

    def __init__(self) -> None:
        self._queue: asyncio.PriorityQueue[tuple[int, int, QueuedTask]] = asyncio.PriorityQueue()
        self._counter = itertools.count()

    def put_nowait(self, item: QueuedTask) -> None:
        self._queue.put_nowait((item.priority.rank, next(self._counter), item))

    async def put(self, item: QueuedTask) -> None:
        self.put_nowait(item)

    async def get(self) -> QueuedTask:
        return (await self._queue.get())[2]

    def get_nowait(self) -> QueuedTask:
        return self._queue.get_nowait()[2]

    def task_done(self) -> None:
        self._queue.task_done()

    def drain(self) -> list[QueuedTask]:
        """Take every queued item out, in the order they would have run."""
        items: list[QueuedTask] = []
        while not self._queue.empty():
            items.append(self._queue.get_nowait()[2])
            self._queue.task_done()
        return items

    def __len__(self) -> int:
        return self._queue.qsize()

    def empty(self) -> bool:
        return self._queue.empty()
