"""Gate 8's plain interpreters, one per file in a workspace of its own: the fallback's way
(under bubblewrap, one ``confirm.PlainServer`` re-checks every file, one at a time).

When a call of the validator begins, ``Standbys.begin`` makes a fresh workspace and starts in
it, in its own fresh sandbox, a ``PlainProcess`` (``confirm.py``) that imports pytest and
coverage and then waits: its start-up overlaps the other gates. Each accepted file takes one
(``take``): the first takes the early one, and ``reserve`` starts the others once the verdicts
say how many are needed. Only then is the file written into that workspace and the process
given its run. Whatever is not taken is told to end, and its workspace removed (``close``), on
every way out.

Starting early is for bubblewrap only, where no sandbox sees another's folders or processes.
The fallback's runs all share one uid (``nobody``): a candidate running gates 3–7 could find a
waiting interpreter through ``/proc`` and write into its workspace, so there the validator
starts none before the verdict (``take`` starts it then).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path

from tta_ci.validate.confirm import PlainProcess

__all__ = ["Standby", "Standbys"]

WorkspaceFactory = Callable[[], AbstractAsyncContextManager[Path]]
ProcessFactory = Callable[[Path], PlainProcess]


@dataclass
class Standby:
    """A fresh workspace and the plain interpreter waiting in it."""

    ws: Path
    process: PlainProcess
    stack: contextlib.AsyncExitStack = field(repr=False)


class Standbys:
    """Plain interpreters waiting in fresh workspaces, one per file to re-check. Constructing
    does no I/O. ``open_workspace()`` makes a fresh workspace; ``make(ws)`` the (not yet
    started) process for it."""

    def __init__(self, open_workspace: WorkspaceFactory, make: ProcessFactory) -> None:
        self._open = open_workspace
        self._make = make
        self._waiting: list[asyncio.Task[Standby]] = []

    def begin(self, count: int = 1) -> None:
        """Start ``count`` more in the background."""
        self._waiting += [asyncio.ensure_future(self._start()) for _ in range(count)]

    def reserve(self, count: int) -> None:
        """Make sure ``count`` are started or starting, untaken."""
        self.begin(max(0, count - len(self._waiting)))

    async def _start(self) -> Standby:
        stack = contextlib.AsyncExitStack()
        try:
            ws = await stack.enter_async_context(self._open())
            process = await stack.enter_async_context(self._make(ws))
        except BaseException:
            await stack.aclose()
            raise
        return Standby(ws, process, stack)

    @contextlib.asynccontextmanager
    async def take(self) -> AsyncIterator[Standby]:
        """The next waiting interpreter (one is started if none is); its process and
        workspace end with the block."""
        if not self._waiting:
            self.begin()
        standby = await self._waiting.pop(0)
        async with standby.stack:
            yield standby

    async def close(self) -> None:
        """Tell every untaken interpreter to end, and remove its workspace; one still starting
        is let finish its start first (cut midway, it could leave a process behind)."""
        waiting, self._waiting = self._waiting, []
        for task in waiting:
            try:
                await asyncio.wait([task])  # a failed start has cleaned up after itself
            finally:
                if task.done() and not task.cancelled() and task.exception() is None:
                    await task.result().stack.aclose()
