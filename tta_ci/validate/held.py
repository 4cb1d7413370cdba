"""Workspaces kept between two steps of one task: the one the existing tests ran in
(``ResultValidator.pinned``), with its warm servers, for the task's first validation.

A workspace belongs to the event loop that made it (its warm servers are that loop's
processes): one asked for from another loop (the Python API's ``asyncio.run`` per call) is
ended instead of used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Held", "HeldWorkspaces"]

log = logging.getLogger("tta_ci.validate")


@dataclass(frozen=True)
class Held:
    path: Path
    stack: contextlib.AsyncExitStack  # ends the workspace and its servers
    loop: asyncio.AbstractEventLoop

    async def end(self) -> None:
        """End it; one whose loop is gone is removed as well as can be."""
        try:
            await self.stack.aclose()
        except (RuntimeError, OSError) as exc:
            log.debug("ending the kept workspace %s: %s", self.path, exc)
            shutil.rmtree(self.path, ignore_errors=True)


class HeldWorkspaces:
    """Task id → its kept workspace (at most one each)."""

    def __init__(self) -> None:
        self._held: dict[str, Held] = {}

    async def keep(self, task_id: str, path: Path, stack: contextlib.AsyncExitStack) -> None:
        old = self._held.pop(task_id, None)
        self._held[task_id] = Held(path, stack, asyncio.get_running_loop())
        if old is not None:
            await old.end()

    async def take(self, task_id: str) -> Held | None:
        """The task's kept workspace, now the caller's to end; None when there is none here."""
        held = self._held.pop(task_id, None)
        if held is not None and held.loop is not asyncio.get_running_loop():
            await held.end()
            return None
        return held

    async def aclose(self) -> None:
        held, self._held = self._held, {}
        for one in held.values():
            await one.end()
