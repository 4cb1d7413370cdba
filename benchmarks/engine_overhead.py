"""Engine overhead: 500 tasks, 32 workers, a fake generator that sleeps 50 ms.

ideal = ceil(N / C) x latency; prints ``ratio=<wall / ideal>`` (target <= 1.05) and the
engine's CPU time per task.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time

from tta_ci.core.config import Config
from tta_ci.core.types import Task
from tta_ci.engine import Engine as ExecutionEngine
from tta_ci.engine.fake import FakeGenerator, FakeValidator

N_TASKS, CONCURRENCY, LATENCY_S = 500, 32, 0.050
TARGET = 1.05


def tasks() -> list[Task]:
    return [
        Task(id=f"pkg/m{i}.py::f", file=f"pkg/m{i}.py", symbol="f", kind="function",
             changed_lines=(1, 2), test_file=f"tests/test_m{i}.py")
        for i in range(N_TASKS)
    ]


async def measure() -> tuple[float, float]:
    engine = ExecutionEngine(
        Config(), max_concurrent_tasks=CONCURRENCY,
        generator=FakeGenerator(latency_s=LATENCY_S), validator=FakeValidator(),
    )
    planned = tasks()
    cpu0, t0 = time.process_time(), time.perf_counter()
    await engine.start()
    for task in planned:
        await engine.submit_task(task)
    results = await engine.wait_all()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    await engine.stop()
    assert all(r.outcome == "accepted" for r in results), "every fake task should be accepted"
    return wall, cpu


def main() -> int:
    ideal = math.ceil(N_TASKS / CONCURRENCY) * LATENCY_S
    wall, cpu = asyncio.run(measure())
    ratio = wall / ideal
    print(f"tasks={N_TASKS} concurrency={CONCURRENCY} latency={LATENCY_S * 1000:.0f}ms")
    print(f"wall={wall:.3f}s ideal={ideal:.3f}s cpu_per_task={cpu / N_TASKS * 1000:.3f}ms")
    print(f"ratio={ratio:.3f} target<={TARGET}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
