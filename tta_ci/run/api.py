"""``TestGenerator``: the pipeline from Python, for scripts and notebooks.

    with TestGenerator(repo="path/to/checkout") as gen:
        task_id = gen.submit_test_generation_task("pkg/mod.py", symbol="func")  # returns at once
        gen.get_task_status(task_id)                                            # returns at once
        results = gen.get_test_generation_results(task_id, timeout=300)
        # or, blocking: results = gen.generate_tests("pkg/mod.py")

The engine runs on an event loop in a background thread, so the calls work from plain
synchronous code. A module path without a symbol becomes one engine task per symbol; the id
returned stands for all of them.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Coroutine, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from tta_ci.core.config import Config, load_config
from tta_ci.core.types import TaskPriority, TaskStatus
from tta_ci.engine import QueuedTask, TaskResult, Validator
from tta_ci.generators import Generator
from tta_ci.run.engine import ExecutionEngine

__all__ = ["GenerationResults", "TestGenerator"]

T = TypeVar("T")


class GenerationResults(BaseModel):
    """The results of one submitted module or symbol."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    status: TaskStatus
    tasks: tuple[TaskResult, ...]

    @property
    def accepted(self) -> list[tuple[str, str]]:
        """(test file, accepted test code) of every accepted task."""
        return [
            (r.task.test_file, r.accepted_code)
            for r in self.tasks
            if r.accepted_code and r.task is not None
        ]


def overall_status(statuses: list[TaskStatus]) -> TaskStatus:
    if any(not s.done for s in statuses):
        return TaskStatus.RUNNING if TaskStatus.RUNNING in statuses else TaskStatus.QUEUED
    for only in (TaskStatus.SKIPPED, TaskStatus.CANCELLED, TaskStatus.FAILED):
        if statuses and all(s is only for s in statuses):
            return only
    return TaskStatus.COMPLETED


class TestGenerator:
    __test__ = False  # not a pytest class

    def __init__(
        self,
        config: Config | None = None,
        *,
        repo: Path | str = ".",
        environ: Mapping[str, str] | None = None,
        max_concurrent_tasks: int | None = None,
        generator: Generator | None = None,
        validator: Validator | None = None,
    ) -> None:
        self.repo = Path(repo)
        self.environ = dict(os.environ if environ is None else environ)
        self._config = config
        self._engine_args: dict[str, Any] = {
            "max_concurrent_tasks": max_concurrent_tasks,
            "generator": generator,
            "validator": validator,
        }
        self._groups: dict[str, list[str]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._engine: ExecutionEngine | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.repo, self.environ)
        return self._config

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _started(self) -> ExecutionEngine:
        """The engine, started on its own loop thread on first use."""
        if self._engine is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="tta-ci-engine", daemon=True
            )
            self._thread.start()
            engine = ExecutionEngine(
                self.config, repo=self.repo, environ=self.environ, **self._engine_args
            )
            self._call(engine.start())
            self._engine = engine
        return self._engine

    def submit_test_generation_task(
        self,
        module_path: str,
        symbol: str | None = None,
        *,
        priority: TaskPriority | str = TaskPriority.NORMAL,
        description: str = "",
    ) -> str:
        """Plan ``module_path`` (or one symbol of it) and queue it; returns an id at once."""
        from tta_ci.plan import plan_file

        plan = plan_file(
            self.repo, self.config, module_path, symbol=symbol, description=description
        )
        prio = TaskPriority(priority)
        engine = self._started()
        group = uuid.uuid4().hex[:12]
        ids = [  # unique per submission: the same symbol may be submitted again
            self._call(
                engine.submit_task(
                    QueuedTask.from_task(
                        t.model_copy(update={"priority": prio}), id=f"{t.id}@{group}"
                    )
                )
            )
            for t in plan.tasks
        ]
        self._groups[group] = ids
        return group

    def _ids(self, task_id: str) -> list[str]:
        if task_id not in self._groups:
            raise KeyError(f"unknown task id {task_id!r}")
        return self._groups[task_id]

    def get_task_status(self, task_id: str) -> TaskStatus:
        ids = self._ids(task_id)
        engine = self._started()
        return overall_status([self._call(engine.get_task_status(i)) for i in ids])

    def get_test_generation_results(
        self, task_id: str, timeout: float | None = None, poll_interval: float = 0.5
    ) -> GenerationResults:
        """Wait (polling every ``poll_interval`` s) until the task ended; TimeoutError after."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.get_task_status(task_id).done:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"task {task_id} still running after {timeout}s")
            time.sleep(poll_interval)
        engine = self._started()
        results = tuple(self._call(engine.get_task_result(i)) for i in self._ids(task_id))
        return GenerationResults(
            task_id=task_id, status=self.get_task_status(task_id), tasks=results
        )

    def generate_tests(
        self,
        module_path: str,
        symbol: str | None = None,
        *,
        timeout: float | None = None,
        write: bool = False,
    ) -> GenerationResults:
        """Blocking: submit, wait, and (with ``write``) write the accepted tests into the repo."""
        task_id = self.submit_test_generation_task(module_path, symbol)
        results = self.get_test_generation_results(task_id, timeout=timeout, poll_interval=0.05)
        if write and results.accepted:
            from tta_ci.publish.files import AcceptedTest, write_accepted_tests

            engine = self._started()
            records = [engine.metrics.records[r.task_id] for r in results.tasks
                       if r.accepted_code and r.task_id in engine.metrics.records]
            write_accepted_tests(self.repo, [AcceptedTest.from_record(r) for r in records])
        return results

    def close(self) -> None:
        if self._loop is None:
            return
        if self._engine is not None:
            self._call(self._engine.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = self._engine = None

    def __enter__(self) -> TestGenerator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
