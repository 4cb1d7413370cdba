"""tta_ci.engine.engine: priorities, concurrency, retries, timeouts, budgets, repairs, metrics."""

from __future__ import annotations

import asyncio
import random

import pytest

from tta_ci.core.config import Config
from tta_ci.core.errors import AuthError, ProviderUnavailable, RateLimited, SkipTask
from tta_ci.core.types import Task, TaskPriority, TaskStatus
from tta_ci.engine.engine import Engine as ExecutionEngine
from tta_ci.engine.fake import FakeGenerator, FakeValidator


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


class FakeClock:
    """A clock that only moves when somebody sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay
        await asyncio.sleep(0)


def engine_for(config: Config, gen: FakeGenerator, **kwargs: object) -> ExecutionEngine:
    kwargs.setdefault("validator", FakeValidator())
    return ExecutionEngine(config, generator=gen, **kwargs)  # type: ignore[arg-type]


async def test_engine_runs_in_priority_order_with_one_worker() -> None:
    gen = FakeGenerator()
    engine = engine_for(Config(), gen, max_concurrent_tasks=1)
    for name, prio in [("a", TaskPriority.LOW), ("b", TaskPriority.HIGH),
                       ("c", TaskPriority.NORMAL), ("d", TaskPriority.HIGH)]:
        await engine.submit_task(make_task(name, prio))
    await engine.start()
    await engine.wait_all(timeout=5)
    await engine.stop()
    assert [task_id.split("::")[1] for task_id, _ in gen.calls] == ["b", "d", "c", "a"]


async def test_submit_and_status_return_at_once_then_result() -> None:
    gen = FakeGenerator(latency_s=0.2)
    engine = engine_for(Config(), gen, max_concurrent_tasks=2)
    await engine.start()
    task_id = await asyncio.wait_for(engine.submit_task(make_task("f")), 0.05)
    status = await asyncio.wait_for(engine.get_task_status(task_id), 0.05)
    assert status in (TaskStatus.QUEUED, TaskStatus.RUNNING)
    with pytest.raises(TimeoutError):
        await engine.get_task_result(task_id, timeout=0.01)
    result = await engine.get_task_result(task_id, timeout=5)
    await engine.stop()
    assert result.status is TaskStatus.COMPLETED
    assert result.outcome == "accepted"
    assert await engine.get_task_status(task_id) is TaskStatus.COMPLETED


async def test_concurrency_never_exceeds_the_limit_and_reaches_it() -> None:
    gen = FakeGenerator(latency_s=0.03)
    engine = engine_for(Config(), gen, max_concurrent_tasks=3)
    await engine.start()
    for i in range(10):
        await engine.submit_task(make_task(f"f{i}"))
    results = await engine.wait_all(timeout=10)
    await engine.stop()
    assert engine.peak_active == 3
    assert all(r.outcome == "accepted" for r in results)


async def test_retry_after_is_honoured() -> None:
    clock = FakeClock()
    gen = FakeGenerator(failures={"pkg/mod.py::f": [RateLimited("429", retry_after=7.0)]})
    engine = engine_for(Config(), gen, clock=clock, sleep=clock.sleep)
    await engine.start()
    task_id = await engine.submit_task(make_task("f"))
    result = await engine.get_task_result(task_id, timeout=5)
    await engine.stop()
    assert clock.sleeps == [7.0]
    assert result.outcome == "accepted"
    assert result.retries == 1
    doc = engine.metrics.document()
    assert doc.totals.retries == 1


async def test_backoff_is_exponential_with_full_jitter() -> None:
    clock = FakeClock()
    failures = [ProviderUnavailable("503") for _ in range(3)]
    gen = FakeGenerator(failures={"pkg/mod.py::f": failures})
    engine = engine_for(Config(), gen, clock=clock, sleep=clock.sleep, rng=random.Random(1))
    await engine.start()
    result = await engine.get_task_result(await engine.submit_task(make_task("f")), timeout=5)
    await engine.stop()
    assert result.outcome == "accepted"
    assert len(clock.sleeps) == 3
    for n, delay in enumerate(clock.sleeps):
        assert 0 <= delay <= 2**n
    # full jitter: the three delays are not the deterministic 1, 2, 4
    assert clock.sleeps != [1.0, 2.0, 4.0]


async def test_non_retryable_error_fails_at_once() -> None:
    clock = FakeClock()
    gen = FakeGenerator(failures={"pkg/mod.py::f": [AuthError("401: bad key")]})
    engine = engine_for(Config(), gen, clock=clock, sleep=clock.sleep)
    await engine.start()
    result = await engine.get_task_result(await engine.submit_task(make_task("f")), timeout=5)
    await engine.stop()
    assert result.status is TaskStatus.FAILED
    assert "401: bad key" in result.reason
    assert clock.sleeps == []
    assert len(gen.calls) == 1


async def test_retries_are_bounded() -> None:
    clock = FakeClock()
    failures = [ProviderUnavailable("503") for _ in range(10)]
    gen = FakeGenerator(failures={"pkg/mod.py::f": failures})
    engine = engine_for(Config(max_retries=2), gen, clock=clock, sleep=clock.sleep)
    await engine.start()
    result = await engine.get_task_result(await engine.submit_task(make_task("f")), timeout=5)
    await engine.stop()
    assert result.status is TaskStatus.FAILED
    assert result.retries == 2
    assert len(gen.calls) == 3


async def test_task_timeout_fails_the_task_not_the_engine() -> None:
    gen = FakeGenerator(latency_s=5)
    engine = engine_for(Config(task_timeout_s=0.05), gen, max_concurrent_tasks=2)
    await engine.start()
    result = await engine.get_task_result(await engine.submit_task(make_task("f")), timeout=5)
    await engine.stop()
    assert result.status is TaskStatus.FAILED
    assert result.reason == "timeout after 0.05s"


async def test_stop_cancels_running_and_queued_tasks() -> None:
    gen = FakeGenerator(latency_s=30)
    engine = engine_for(Config(), gen, max_concurrent_tasks=1)
    await engine.start()
    ids = [await engine.submit_task(make_task(f"f{i}")) for i in range(3)]
    while await engine.get_task_status(ids[0]) is not TaskStatus.RUNNING:
        await asyncio.sleep(0.01)
    await asyncio.wait_for(engine.stop(), 5)
    statuses = [await engine.get_task_status(i) for i in ids]
    assert statuses == [TaskStatus.CANCELLED] * 3
    results = [await engine.get_task_result(i, timeout=1) for i in ids]
    assert results[0].reason == "engine stopped while running"
    assert results[1].reason == "engine stopped before the task ran"


async def test_cost_budget_skips_queued_tasks_and_lets_running_finish() -> None:
    gen = FakeGenerator(cost_usd=0.01)
    engine = engine_for(Config(budget_usd=0.025), gen, max_concurrent_tasks=1)
    for i in range(5):
        await engine.submit_task(make_task(f"f{i}"))
    await engine.start()
    results = await engine.wait_all(timeout=5)
    await engine.stop()
    assert [r.outcome for r in results] == ["accepted"] * 3 + ["skipped"] * 2
    assert results[3].status is TaskStatus.SKIPPED
    assert results[3].reason == "budget exhausted: $0.0300 of $0.0250 spent"


async def test_wall_time_budget() -> None:
    clock = FakeClock()

    class Slow(FakeGenerator):
        async def generate(self, request):  # type: ignore[no-untyped-def]
            clock.now += 10
            return await super().generate(request)

    gen = Slow()
    engine = engine_for(Config(max_wall_s=15), gen, max_concurrent_tasks=1, clock=clock)
    for i in range(4):
        await engine.submit_task(make_task(f"f{i}"))
    await engine.start()
    results = await engine.wait_all(timeout=5)
    await engine.stop()
    assert [r.outcome for r in results] == ["accepted", "accepted", "skipped", "skipped"]
    assert results[2].reason.startswith("time budget exhausted: 20.0s of 15s")


async def test_engine_rate_limits_requests_per_provider() -> None:
    clock = FakeClock()
    gen = FakeGenerator()
    gen_times: list[float] = []

    async def note_time(request):  # type: ignore[no-untyped-def]
        await request.rate_limit()
        gen_times.append(clock.now)
        return await FakeGenerator.generate(gen, request.__class__(request.task))

    gen.generate = note_time  # type: ignore[method-assign]
    config = Config(requests_per_minute=2)
    engine = engine_for(config, gen, max_concurrent_tasks=4, clock=clock, sleep=clock.sleep)
    await engine.start()
    for i in range(5):
        await engine.submit_task(make_task(f"f{i}"))
    await engine.wait_all(timeout=5)
    await engine.stop()
    assert len(gen_times) == 5
    for start in gen_times:
        assert sum(start <= t < start + 60 for t in gen_times) <= 2
    assert max(gen_times) == 120.0


async def test_openrouter_host_gets_the_free_key_limit_by_default() -> None:
    engine = engine_for(Config(), FakeGenerator())
    window = engine.limiter.window("openrouter.ai")
    assert window is not None and window.limit == 20
    assert engine.limiter.window("127.0.0.1") is None


async def test_repair_loop_feeds_back_until_accepted() -> None:
    gen = FakeGenerator()
    validator = FakeValidator(accept=lambda task, code: "test_2" in code)
    engine = engine_for(Config(), gen, validator=validator)
    await engine.start()
    result = await engine.get_task_result(await engine.submit_task(make_task("f")), timeout=5)
    await engine.stop()
    assert result.outcome == "accepted"
    assert result.attempts == 2
    assert len(validator.seen) == 2


async def test_identical_candidates_are_validated_once() -> None:
    gen = FakeGenerator(code=lambda r: "def test_same():\n    assert f() == 1\n")
    validator = FakeValidator(accept=lambda task, code: False)
    engine = engine_for(Config(max_attempts=3), gen, validator=validator)
    await engine.start()
    result = await engine.get_task_result(await engine.submit_task(make_task("f")), timeout=5)
    await engine.stop()
    assert result.outcome == "rejected"
    assert result.attempts == 3
    assert len(validator.seen) == 1


async def test_skip_from_generator_skips_the_task() -> None:
    gen = FakeGenerator(failures={"pkg/mod.py::f": [SkipTask("no offline strategy: untyped")]})
    engine = engine_for(Config(), gen)
    await engine.start()
    result = await engine.get_task_result(await engine.submit_task(make_task("f")), timeout=5)
    await engine.stop()
    assert result.status is TaskStatus.SKIPPED
    assert result.reason == "no offline strategy: untyped"


async def test_metrics_sum_what_the_generator_reported() -> None:
    gen = FakeGenerator(prompt_tokens=11, completion_tokens=7, cost_usd=0.002)
    validator = FakeValidator(accept=lambda task, code: "test_2" in code)
    engine = engine_for(Config(), gen, validator=validator)
    await engine.start()
    for i in range(3):
        await engine.submit_task(make_task(f"f{i}"))
    await engine.wait_all(timeout=5)
    await engine.stop()
    doc = engine.metrics.document(backend="fake")
    assert doc.totals.tasks == 3
    assert doc.totals.accepted == 3
    assert doc.totals.llm_requests == 6
    assert doc.totals.prompt_tokens == 66
    assert doc.totals.completion_tokens == 42
    assert doc.totals.cost_usd == pytest.approx(0.012)
    assert doc.models["fake/model"].requests == 6
    assert doc.models["fake/model"].accepted == 3
    assert doc.tasks[0].attempts == 2
    assert doc.to_json()["schema_version"] == 1


async def test_unknown_task_id_is_a_key_error() -> None:
    engine = engine_for(Config(), FakeGenerator())
    with pytest.raises(KeyError, match="unknown task id 'nope'"):
        await engine.get_task_status("nope")
