"""tta_ci.validate.shared: one workspace for every task of a validator, in its own event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.gitrepo import CommitFn

from tta_ci.validate.shared import SharedWorkspace


def _shared(repo: Path, ended: list[Path]) -> SharedWorkspace:
    async def on_end(ws: Path) -> None:
        ended.append(ws)

    return SharedWorkspace(repo, None, on_end)


def test_every_caller_of_one_loop_gets_the_same_workspace(git_repo: Path,
                                                          commit: CommitFn) -> None:
    commit({"m.py": "X = 1\n"})
    ended: list[Path] = []
    shared = _shared(git_repo, ended)

    async def steps() -> tuple[Path, Path]:
        first, second = await asyncio.gather(shared.get(), shared.get())
        assert (first / "m.py").read_text() == "X = 1\n"
        (first / "tests").mkdir()
        (first / "tests/test_m_tta1.py").write_text("def test(): pass\n")
        shared.placed.add("tests/test_m_tta1.py")
        shared.remove(["tests/test_m_tta1.py"])
        assert not (first / "tests/test_m_tta1.py").exists() and not shared.placed
        await shared.aclose()
        return first, second

    first, second = asyncio.run(steps())
    assert first == second and not first.exists()
    assert ended == [first]


def test_another_loop_gets_a_new_workspace(git_repo: Path, commit: CommitFn) -> None:
    commit({"m.py": "X = 1\n"})
    ended: list[Path] = []
    shared = _shared(git_repo, ended)
    first = asyncio.run(shared.get())

    async def again() -> Path:
        try:
            found = await shared.get()
            assert (found / "m.py").read_text() == "X = 1\n"
            return found
        finally:
            await shared.aclose()

    second = asyncio.run(again())
    assert second != first and not first.exists() and not second.exists()
