"""The workspace: a plain temporary folder holding the tree under test and nothing of git.

With a ref: that commit's files (``git archive``). Without: the working tree as it is now
(tracked files with their current content, plus untracked files that are not ignored), so that
staged or uncommitted code can be checked. Either way, also the files git ignores that the
checkout has and the package needs to import: a generated ``_version.py``
(setuptools-scm, hatch-vcs), compiled extensions, data inside packages. What is carried over is
``carried``: never ``.git``, caches, tta-ci's outputs, virtual environments, ``build/`` or
``dist/``, and never a dotfile (``.env`` and the like hold secrets), within a size cap. No
worktree is registered in the user's repository, so a killed run leaves nothing there.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path, PurePosixPath

from tta_ci.core.errors import GitError
from tta_ci.core.scratch import scratch
from tta_ci.git import cli as gitcli

__all__ = ["EXCLUDED", "async_workspace", "carried", "changed_files", "digest", "workspace"]

EXCLUDED = frozenset({
    ".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis",
    ".tox", ".nox", "node_modules", ".tta-ci", "htmlcov", ".venv", "venv", "build", "dist",
    ".eggs",
})
CODE_SUFFIXES = (".py", ".pyi", ".so", ".pyd", ".dylib", ".dll")
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_IGNORED_BYTES = 256 * 1024 * 1024


def _excluded(rel: PurePosixPath) -> bool:
    return any(part in EXCLUDED or part.startswith(".") for part in rel.parts)


def carried(rel: str, *, in_package: bool) -> bool:
    """Whether an ignored file at ``rel`` belongs in the workspace: code or an extension
    anywhere, other files inside a package folder; nothing excluded, no dotfile."""
    path = PurePosixPath(rel)
    if _excluded(path) or path.name.endswith(".egg-info"):
        return False
    return path.suffix in CODE_SUFFIXES or in_package


def _walk_ignored(repo: Path, entries: Iterable[str]) -> Iterator[str]:
    """Files of the ignored ``entries`` (folders end in ``/``), skipping excluded folders and
    virtual environments without entering them."""
    for entry in entries:
        if not entry.endswith("/"):
            yield entry
            continue
        top = repo / entry
        for root, dirs, files in os.walk(top):
            base = Path(root)
            rel_root = base.relative_to(repo)
            if _excluded(PurePosixPath(rel_root.as_posix())) or (base / "pyvenv.cfg").exists():
                dirs.clear()
                continue
            yield from ((rel_root / name).as_posix() for name in files)


def _copy_ignored(repo: Path, dest: Path) -> None:
    total = 0
    entries = [e for e in gitcli.ignored_paths(repo) if not _excluded(PurePosixPath(e))]
    for rel in _walk_ignored(repo, entries):
        src = repo / rel
        target = dest / rel
        in_package = (src.parent / "__init__.py").is_file()
        if not target.parent.is_dir() or target.exists() or src.is_symlink():
            continue  # only into folders of the tree under test
        if not carried(rel, in_package=in_package) or not src.is_file():
            continue
        size = src.stat().st_size
        if size > MAX_FILE_BYTES or total + size > MAX_IGNORED_BYTES:
            continue
        total += size
        shutil.copy2(src, target)


def _inside(link: Path, top: Path) -> bool:
    target = os.readlink(link)
    return not os.path.isabs(target) and (link.parent / target).resolve().is_relative_to(
        top.resolve())


def _copy_working_tree(repo: Path, dest: Path) -> None:
    for rel in sorted(set(gitcli.listed_files(repo))):
        src = repo / rel
        if ".git" in PurePosixPath(rel).parts:
            continue
        if src.is_symlink() and not _inside(src, repo):
            continue  # a link out of the checkout would show what the sandbox hides
        if not src.is_file() and not src.is_symlink():
            continue  # deleted in the working tree, or a submodule
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)


def _copy_plain_folder(repo: Path, dest: Path) -> None:
    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in EXCLUDED or n.startswith(".")
                or (Path(folder, n) / "pyvenv.cfg").exists()}

    shutil.copytree(repo, dest, symlinks=True, dirs_exist_ok=True, ignore=ignore)


@contextlib.contextmanager
def workspace(repo: Path, *, ref: str | None = None) -> Iterator[Path]:
    """A temporary copy of ``repo`` at ``ref`` (None: its working tree), removed afterwards."""
    repo = repo.resolve()
    if not repo.is_dir():
        raise GitError(f"{repo}: not a directory; check --repo")
    parent = scratch("ws-")
    path = parent / repo.name
    try:
        path.mkdir()
        toplevel = gitcli.is_toplevel(repo)
        if ref is not None:
            gitcli.archive_into(repo, ref, path)
        elif toplevel:
            _copy_working_tree(repo, path)
        else:
            _copy_plain_folder(repo, path)
        if toplevel:
            _copy_ignored(repo, path)
        yield path
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def digest(top: Path) -> dict[str, str]:
    """Every file under ``top`` (relative path → sha256 of its bytes; a link's target text)."""
    found: dict[str, str] = {}
    for root, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d not in ("__pycache__", ".pytest_cache", ".hypothesis")]
        for name in files:
            path = Path(root, name)
            if path.is_symlink():
                data = os.readlink(path).encode(errors="surrogateescape")
            else:
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
            found[path.relative_to(top).as_posix()] = hashlib.sha256(data).hexdigest()
    return found


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Paths added, changed or removed between two ``digest`` results, sorted."""
    return sorted({p for p in before.keys() | after.keys() if before.get(p) != after.get(p)})


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
