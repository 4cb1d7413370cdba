"""The workspace: a temporary copy of the code under test; the user's checkout is never written.

With a ref: a detached git worktree of that commit (removed afterwards). Without: the working
tree as it is now (tracked files with their current content plus untracked, non-ignored
files), so that staged or uncommitted code can be checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from tta_ci.core.errors import GitError
from tta_ci.git import cli as gitcli

__all__ = ["async_workspace", "workspace"]


def _copy_working_tree(repo: Path, dest: Path) -> None:
    if not gitcli.is_toplevel(repo):
        shutil.copytree(repo, dest, symlinks=True, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__"))
        return
    for rel in sorted(set(gitcli.listed_files(repo))):
        src = repo / rel
        if not src.is_file() and not src.is_symlink():
            continue  # deleted in the working tree, or a submodule
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)


@contextlib.contextmanager
def workspace(repo: Path, *, ref: str | None = None) -> Iterator[Path]:
    """A temporary copy of ``repo`` at ``ref`` (None: its working tree), removed afterwards."""
    repo = repo.resolve()
    if not repo.is_dir():
        raise GitError(f"{repo}: not a directory; check --repo")
    if ref is not None:
        with gitcli.worktree(repo, ref, prefix="tta-ci-ws-") as path:
            yield path
        return
    parent = Path(tempfile.mkdtemp(prefix="tta-ci-ws-"))
    path = parent / f"{repo.name}-{parent.name.rsplit('-', 1)[-1]}"
    try:
        path.mkdir()
        _copy_working_tree(repo, path)
        yield path
    finally:
        shutil.rmtree(parent, ignore_errors=True)


@contextlib.asynccontextmanager
async def async_workspace(repo: Path, *, ref: str | None = None) -> AsyncIterator[Path]:
    """``workspace`` for async code: made and removed in a worker thread (git and copies
    block)."""
    manager = workspace(repo, ref=ref)
    path = await asyncio.to_thread(manager.__enter__)
    try:
        yield path
    finally:
        await asyncio.to_thread(manager.__exit__, None, None, None)
