"""One workspace of the code under test for every task of a validator, with its warm servers.

Every task of a run validates the same commit, so the existing tests' runs, the candidates'
runs and the mutants of every task (gates 3 to 7, and the "already pinned" check) share one
workspace and its warm interpreters, instead of each task making its own (a warm server costs
about a second of CPU to start). Candidates are written beside their task's test file under
names of their own and removed when their validation ends; while they are there, no other
task takes them for existing tests. A candidate cannot write into the workspace (it writes
into ``tmp_path`` only); gate 8 still re-checks every accepted file in a fresh workspace.

The workspace belongs to the event loop that made it (its warm servers are that loop's
processes), whose owner ends it (``aclose``) before the loop ends; asked for from another
loop, a new one is made and the old one ended as well as can be.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

from tta_ci.sandbox.workspace import async_workspace

__all__ = ["SharedWorkspace"]

log = logging.getLogger("tta_ci.validate")


class SharedWorkspace:
    """The workspace of ``repo`` at ``ref``, made on first use; ``on_end(ws)`` ends its
    servers before it is removed."""

    def __init__(self, repo: Path, ref: str | None,
                 on_end: Callable[[Path], Awaitable[None]]) -> None:
        self.repo, self.ref, self.on_end = repo, ref, on_end
        self.placed: set[str] = set()  # candidate files in it now (workspace-relative)
        self._path: Path | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None

    async def get(self) -> Path:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            await self.aclose()
            self._loop, self._lock = loop, asyncio.Lock()
        assert self._lock is not None
        async with self._lock:
            if self._path is None:
                stack = contextlib.AsyncExitStack()
                self._path = await stack.enter_async_context(
                    async_workspace(self.repo, ref=self.ref))
                self._stack = stack
            return self._path

    def remove(self, paths: list[str]) -> None:
        """The candidate files of a validation that ended."""
        for rel in paths:
            self.placed.discard(rel)
            if self._path is not None:
                (self._path / rel).unlink(missing_ok=True)

    async def aclose(self) -> None:
        path, stack, self._path, self._stack = self._path, self._stack, None, None
        self.placed.clear()
        if path is None or stack is None:
            return
        try:
            await self.on_end(path)
            await stack.aclose()
        except (RuntimeError, OSError) as exc:  # its loop is gone
            log.debug("ending the shared workspace %s: %s", path, exc)
            shutil.rmtree(path, ignore_errors=True)
