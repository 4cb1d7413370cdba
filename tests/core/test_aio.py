"""tta_ci.core.aio: SIGTERM ends a running command the way Ctrl-C does, wherever it lands."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator

import pytest

from tta_ci.core import aio


@pytest.fixture
def handler() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, aio.on_sigterm)
    aio.reset()
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        aio.reset()


class _Bomb:
    """Sends SIGTERM from a ``__del__``: an exception raised there is ignored, so a handler
    that raises would be lost (as in the at-fork hooks of a process being started)."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 0.05
        while time.monotonic() < deadline:  # the Python-level handler runs in here
            pass


def test_a_sigterm_where_exceptions_are_ignored_still_ends_the_run(handler: None) -> None:
    cleaned: list[str] = []

    async def work() -> str:
        try:
            _Bomb()  # collected at once
            await asyncio.sleep(10)
            return "went on"
        finally:
            cleaned.append("finally")

    start = time.monotonic()
    with pytest.raises(aio.Terminated):
        aio.run(work())
    assert cleaned == ["finally"] and aio.terminated()
    assert time.monotonic() - start < 5
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN  # a second one cannot cut it


def test_without_a_sigterm_run_returns_and_puts_the_handler_back(handler: None) -> None:
    async def work() -> int:
        await asyncio.sleep(0)
        return 7

    assert aio.run(work()) == 7
    assert not aio.terminated()
    assert signal.getsignal(signal.SIGTERM) is aio.on_sigterm
