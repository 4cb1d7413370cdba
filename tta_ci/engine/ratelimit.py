"""Client-side rate limiting: at most N requests to one provider in any 60-second window.

A sliding window rather than a token bucket: a bucket lets a full burst through at the start
of every refill, which is exactly the 429 storm a free OpenRouter key (20 requests a minute,
account-wide) must never see.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable

__all__ = ["RateLimiter", "SlidingWindow"]

WINDOW_S = 60.0


class SlidingWindow:
    """Admits at most ``limit`` acquisitions in any ``window_s`` seconds."""

    def __init__(
        self,
        limit: int,
        *,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._stamps: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()
        self.waited_s = 0.0

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= self.window_s:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    return
                delay = self.window_s - (now - self._stamps[0])
                self.waited_s += delay
                await self._sleep(delay)


class RateLimiter:
    """One sliding window per provider; ``None`` as the limit means unlimited."""

    def __init__(
        self,
        limit_for: Callable[[str], int | None],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._limit_for = limit_for
        self._clock = clock
        self._sleep = sleep
        self._windows: dict[str, SlidingWindow | None] = {}

    def window(self, provider: str) -> SlidingWindow | None:
        if provider not in self._windows:
            limit = self._limit_for(provider)
            self._windows[provider] = (
                None
                if limit is None
                else SlidingWindow(limit, clock=self._clock, sleep=self._sleep)
            )
        return self._windows[provider]

    async def acquire(self, provider: str) -> None:
        window = self.window(provider)
        if window is not None:
            await window.acquire()

    def gate(self, provider: str) -> Callable[[], Awaitable[None]]:
        """A zero-argument coroutine function for ``GenerationRequest.rate_limit``."""

        async def _acquire() -> None:
            await self.acquire(provider)

        return _acquire
