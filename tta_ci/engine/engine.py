"""Engine: a priority queue drained by a bounded pool of asyncio workers.

    engine = Engine(config, max_concurrent_tasks=5, generator=..., validator=...)
    await engine.start()
    task_id = await engine.submit_task(QueuedTask.from_task(task))   # returns at once
    status = await engine.get_task_status(task_id)                   # returns at once
    result = await engine.get_task_result(task_id, timeout=60)
    await engine.stop()

Budget: when the cost or wall-time budget is spent, running tasks finish and queued tasks
become SKIPPED with the reason.

The engine is given its generator and validator (and, for tasks given only as a file, a
``resolve`` function that plans them); ``tta_ci.run.engine.ExecutionEngine`` is the public
engine that builds them from the configuration.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from urllib.parse import urlsplit

from tta_ci.core import progress
from tta_ci.core.config import DEFAULT_API_BASE, Config
from tta_ci.core.errors import ProviderError, SkipTask, UsageError
from tta_ci.core.types import Candidate, Outcome, Task, TaskStatus
from tta_ci.engine.attempts import Attempts, TaskResult, Validator, _Progress
from tta_ci.engine.cache import CacheLayer, ResultCache
from tta_ci.engine.metrics import MetricsCollector
from tta_ci.engine.queue import QueuedTask, TaskQueue
from tta_ci.engine.ratelimit import RateLimiter
from tta_ci.engine.records import task_record
from tta_ci.generators.base import Generator

__all__ = ["Engine", "Resolver", "TaskResult"]

log = logging.getLogger("tta_ci.engine")
FREE_OPENROUTER_RPM = 20
Resolver = Callable[[QueuedTask], Task]  # plans a task given as a file (and symbol)


class Engine:
    def __init__(
        self,
        config: Config,
        max_concurrent_tasks: int | None = None,
        *,
        generator: Generator | None = None,
        validator: Validator | None = None,
        resolve: Resolver | None = None,
        metrics: MetricsCollector | None = None,
        on_task_done: Callable[[TaskResult], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        cache: ResultCache | None = None,
        recheck: Callable[[Task, str], Awaitable[bool]] | None = None,
    ) -> None:
        self.config = config
        self.max_concurrent_tasks = max_concurrent_tasks or config.concurrency
        self.metrics = metrics or MetricsCollector(clock=clock)
        self.generator = generator
        self.validator = validator
        self._resolver = resolve
        self._on_task_done = on_task_done
        self.cache = cache
        self._recheck = recheck
        self._cache_layer: CacheLayer | None = None
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self.limiter = RateLimiter(self._rpm_for, clock=clock, sleep=sleep)
        self._queue = TaskQueue()
        self._submitted: dict[str, QueuedTask] = {}
        self._status: dict[str, TaskStatus] = {}
        self._results: dict[str, TaskResult] = {}
        self._done: dict[str, asyncio.Event] = {}
        self._all_done = asyncio.Event()
        self._all_done.set()
        self._workers: list[asyncio.Task[None]] = []
        self._attempts: Attempts | None = None
        self.budget_reason: str | None = None
        self.active = 0
        self.peak_active = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._workers:
            return
        await self._backends()
        if self.generator is None or self.validator is None:
            raise UsageError("the engine needs a generator and a validator; pass them, or use "
                             "tta_ci.ExecutionEngine, which builds them from the configuration")
        self._attempts = Attempts(
            self.config,
            self.generator,
            self.validator,
            rate_limit=self.limiter.gate(self.generator.provider),
            on_call=lambda call: self.metrics.record_call(call),
            should_stop_repairs=self._check_budget,
            sleep=self._sleep,
            rng=self._rng,
        )
        if self.cache is not None:
            self._cache_layer = CacheLayer(
                self.cache,
                generator=self.generator.name,
                model=self.config.model,
                still_passes=self._recheck or self._validator_accepts,
            )
        self._workers = [
            asyncio.create_task(self._worker(), name=f"tta-worker-{i}")
            for i in range(self.max_concurrent_tasks)
        ]

    async def stop(self) -> None:
        """Cancel running tasks, mark the rest CANCELLED, release the backends."""
        for item in self._queue.drain():
            self._finish(item, self._cancelled(item, "engine stopped before the task ran"))
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        await self._close_backends()

    async def _backends(self) -> None:
        """Hook for subclasses that build the generator and validator on start."""

    async def _close_backends(self) -> None:
        """Hook for subclasses that own the generator and validator."""

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- the public API --------------------------------------------------------------------

    async def submit_task(self, item: QueuedTask | Task) -> str:
        """Queue a task; returns its id at once."""
        if isinstance(item, Task):
            item = QueuedTask.from_task(item)
        if item.id in self._submitted:
            raise UsageError(f"task id {item.id!r} was already submitted")
        self._submitted[item.id] = item
        self._status[item.id] = TaskStatus.QUEUED
        self._done[item.id] = asyncio.Event()
        self._all_done.clear()
        self._queue.put_nowait(item)
        return item.id

    async def get_task_status(self, task_id: str) -> TaskStatus:
        return self._status[self._known(task_id)]

    async def get_task_result(self, task_id: str, timeout: float | None = None) -> TaskResult:
        """Wait for the task to end; raises TimeoutError after ``timeout`` seconds."""
        await asyncio.wait_for(self._done[self._known(task_id)].wait(), timeout)
        return self._results[task_id]

    async def wait_all(self, timeout: float | None = None) -> list[TaskResult]:
        """Wait until every submitted task ended; results in submission order."""
        await asyncio.wait_for(self._all_done.wait(), timeout)
        return [self._results[i] for i in self._submitted]

    def results(self) -> list[TaskResult]:
        return [self._results[i] for i in self._submitted if i in self._results]

    def _known(self, task_id: str) -> str:
        if task_id not in self._submitted:
            raise KeyError(f"unknown task id {task_id!r}")
        return task_id

    # -- workers ---------------------------------------------------------------------------

    def _rpm_for(self, provider: str) -> int | None:
        if self.config.requests_per_minute is not None:
            return self.config.requests_per_minute
        if provider == urlsplit(DEFAULT_API_BASE).hostname:
            return FREE_OPENROUTER_RPM
        return None

    def _check_budget(self) -> bool:
        """True once a budget is spent (and from then on)."""
        if self.budget_reason is None:
            budget, spent = self.config.budget_usd, self.metrics.cost_usd
            if budget is not None and spent >= budget:
                self.budget_reason = f"budget exhausted: ${spent:.4f} of ${budget:.4f} spent"
            limit, elapsed = self.config.max_wall_s, self.metrics.elapsed()
            if limit is not None and elapsed >= limit:
                self.budget_reason = f"time budget exhausted: {elapsed:.1f}s of {limit:g}s"
        return self.budget_reason is not None

    async def _worker(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if self._check_budget():
                    reason = str(self.budget_reason)
                    result = self._ended(item, TaskStatus.SKIPPED, "skipped", reason)
                else:
                    try:
                        result = await self._run(item)
                    except asyncio.CancelledError:
                        self._finish(item, self._cancelled(item, "engine stopped while running"))
                        raise
                self._finish(item, result)
            finally:
                self._queue.task_done()

    def _finish(self, item: QueuedTask, result: TaskResult) -> None:
        if item.id in self._results:
            return
        self._results[item.id] = result
        self._status[item.id] = result.status
        self.metrics.record_task(task_record(item, result))
        self._done[item.id].set()
        if len(self._results) == len(self._submitted):
            self._all_done.set()
        self._check_budget()
        if self._on_task_done is not None:
            self._on_task_done(result)

    def _ended(
        self,
        item: QueuedTask,
        status: TaskStatus,
        outcome: Outcome,
        reason: str,
        state: _Progress | None = None,
        started: float | None = None,
    ) -> TaskResult:
        now = self.metrics.elapsed()
        p = state or _Progress()
        return TaskResult(
            task_id=item.id,
            status=status,
            outcome=outcome,
            reason=reason,
            task=item.task,
            candidate=p.candidate,
            verdict=p.verdict,
            attempts=p.attempts,
            retries=p.retries,
            calls=tuple(p.calls),
            possible_bugs=tuple(p.bugs.values()),
            started_s=now if started is None else started,
            finished_s=now,
        )

    def _cancelled(self, item: QueuedTask, reason: str) -> TaskResult:
        return self._ended(item, TaskStatus.CANCELLED, "cancelled", reason)

    async def _run(self, item: QueuedTask) -> TaskResult:
        assert self._attempts is not None
        self._status[item.id] = TaskStatus.RUNNING
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)
        started = self.metrics.elapsed()
        state = _Progress()
        timeout = item.timeout_s or self.config.task_timeout_s
        task: Task | None = item.task
        try:
            if task is None:
                task = await asyncio.to_thread(self._resolve, item)  # git: off the loop
            async with asyncio.timeout(timeout):
                with progress.task(task.id):
                    cached = await self._from_cache(item, task, started)
                    if cached is not None:
                        return cached
                    outcome, reason = await self._attempts.run(task, state)
            status = TaskStatus.COMPLETED
        except TimeoutError:
            status, outcome, reason = TaskStatus.FAILED, "failed", f"timeout after {timeout:g}s"
        except SkipTask as exc:
            status, outcome, reason = TaskStatus.SKIPPED, "skipped", str(exc)
        except ProviderError as exc:
            status, outcome, reason = TaskStatus.FAILED, "failed", f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # recorded on the task result, never lost
            log.debug("task %s failed", item.id, exc_info=True)
            status, outcome, reason = TaskStatus.FAILED, "failed", f"{type(exc).__name__}: {exc}"
        finally:
            self.active -= 1
        result = self._ended(item, status, outcome, reason, state, started)
        if item.task is None and task is not None:
            result = result.model_copy(update={"task": task})
        if task is not None:
            self._store(task, result)
        return result

    # -- the result cache ------------------------------------------------------------------

    async def _from_cache(self, item: QueuedTask, task: Task, started: float) -> TaskResult | None:
        if self._cache_layer is None:
            return None
        entry = await self._cache_layer.lookup(task)
        if entry is None:
            return None
        candidate = Candidate(
            code=entry.verdict.code or "",
            generator=entry.generator,
            model=entry.model,
            model_reason=entry.model_reason,
        )
        return TaskResult(
            task_id=item.id,
            status=TaskStatus.COMPLETED,
            outcome=entry.outcome,
            reason=entry.reason,
            task=task,
            candidate=candidate,
            verdict=entry.verdict,
            possible_bugs=entry.possible_bugs,
            cached=True,
            started_s=started,
            finished_s=self.metrics.elapsed(),
        )

    def _store(self, task: Task, result: TaskResult) -> None:
        if self._cache_layer is not None:
            self._cache_layer.store(task, result)

    async def _validator_accepts(self, task: Task, code: str) -> bool:
        assert self.validator is not None
        return (await self.validator.validate(task, code)).accepted

    def _resolve(self, item: QueuedTask) -> Task:
        """The planned task of a QueuedTask given only as a target file (and symbol)."""
        if self._resolver is None:
            raise UsageError(f"{item.label}: a task given as a file needs a resolver; "
                             "use tta_ci.ExecutionEngine, which plans it")
        return self._resolver(item)
