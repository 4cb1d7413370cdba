"""tta_ci.engine.ratelimit: the sliding window of requests, per provider."""

from __future__ import annotations

import asyncio

from tta_ci.engine.ratelimit import SlidingWindow


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


async def test_sliding_window_never_admits_more_than_the_limit() -> None:
    clock = FakeClock()
    window = SlidingWindow(3, window_s=60, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(10):
        await window.acquire()
        stamps.append(clock.now)
    for start in stamps:
        assert sum(start <= s < start + 60 for s in stamps) <= 3
    assert stamps[3] == 60.0  # the 4th waits for the first to leave the window
