"""``run``: ``asyncio.run`` for tta-ci's commands, where SIGTERM ends the run the way Ctrl-C
does.

CI cancels a job (and ``timeout`` ends a command) with SIGTERM. The CLI's handler
(``on_sigterm``) raises ``Terminated``, which unwinds like Ctrl-C so that every workspace and
sandbox is removed on the way out. An exception raised from a signal handler is lost, though,
when the signal lands in code whose exceptions are ignored (the at-fork hooks of a process
being started), and the run would go on. So while ``run`` runs a coroutine, SIGTERM is the
event loop's instead: it cancels the coroutine's task (as ``asyncio.run`` does on Ctrl-C),
the cancellation unwinds it, and ``Terminated`` is raised from ``run`` once it has.
"""

from __future__ import annotations

import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["Terminated", "on_sigterm", "run", "terminated"]

T = TypeVar("T")
_TERMINATED: list[bool] = []  # a SIGTERM came since ``reset``


class Terminated(KeyboardInterrupt):
    """SIGTERM (CI cancellation, ``timeout``): unwinds like Ctrl-C, so that every workspace
    and sandbox is removed on the way out."""


def reset() -> None:
    _TERMINATED.clear()


def terminated() -> bool:
    """Whether a SIGTERM came since ``reset`` (a Ctrl-C does not count)."""
    return bool(_TERMINATED)


def on_sigterm(signum: int, frame: object) -> None:
    """The handler outside an event loop: raise ``Terminated``."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the cleanup
    _TERMINATED.append(True)
    raise Terminated


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``; a SIGTERM meanwhile (with ``on_sigterm`` in place) cancels it
    and raises ``Terminated`` once it has unwound."""
    import asyncio  # here: the hook's no-op path imports this module, and nothing heavy
    import threading

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        ours = (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGTERM) is on_sigterm)

        def cancel() -> None:
            loop.remove_signal_handler(signal.SIGTERM)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut it
            _TERMINATED.append(True)
            if task is not None:
                task.cancel()

        if ours:
            loop.add_signal_handler(signal.SIGTERM, cancel)
        try:
            return await main
        except asyncio.CancelledError:
            if _TERMINATED:
                raise Terminated from None
            raise
        finally:
            if ours and not _TERMINATED:
                loop.remove_signal_handler(signal.SIGTERM)
                signal.signal(signal.SIGTERM, on_sigterm)

    return asyncio.run(guarded())
