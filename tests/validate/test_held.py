"""tta_ci.validate.held: a workspace kept for a task's next step, in its own event loop only."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from tta_ci.validate.held import HeldWorkspaces


def _stack(ended: list[str], name: str) -> contextlib.AsyncExitStack:
    stack = contextlib.AsyncExitStack()
    stack.callback(ended.append, name)
    return stack


def test_a_kept_workspace_is_taken_once_in_its_loop(tmp_path: Path) -> None:
    ended: list[str] = []
    held = HeldWorkspaces()

    async def steps() -> tuple[Path | None, Path | None]:
        await held.keep("t", tmp_path, _stack(ended, "first"))
        first = await held.take("t")
        assert first is not None and ended == []
        await first.stack.aclose()
        again = await held.take("t")
        return first.path, again.path if again else None

    assert asyncio.run(steps()) == (tmp_path, None)
    assert ended == ["first"]


def test_keeping_again_ends_the_older_and_close_ends_the_rest(tmp_path: Path) -> None:
    ended: list[str] = []
    held = HeldWorkspaces()

    async def steps() -> None:
        await held.keep("t", tmp_path, _stack(ended, "old"))
        await held.keep("t", tmp_path, _stack(ended, "new"))
        assert ended == ["old"]
        await held.keep("u", tmp_path, _stack(ended, "other"))
        await held.aclose()

    asyncio.run(steps())
    assert sorted(ended) == ["new", "old", "other"]


def test_one_kept_by_another_loop_is_ended_not_used(tmp_path: Path) -> None:
    ended: list[str] = []
    held = HeldWorkspaces()
    asyncio.run(held.keep("t", tmp_path, _stack(ended, "gone")))
    assert asyncio.run(held.take("t")) is None
    assert ended == ["gone"]
