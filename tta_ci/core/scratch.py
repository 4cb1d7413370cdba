"""tta-ci's temporary folders: one root per process, marked with its owner, removed at exit.

Every workspace, sandbox home and control folder of a run lives under ``scratch_root()``
(``<parent>/tta-ci-<random>/``), which holds an ``owner.pid`` file naming the process and its
start time. The parent is ``$TMPDIR`` when it is set; else ``/dev/shm`` where that is a
memory file system with room and no ``noexec`` (``scratch_parent``): a workspace is a copy of
every file of the project, and on a disk each new file costs far more than its bytes (about
0.7 ms each on some machines: most of a second for a project of a thousand files, against
0.07 s in memory); else the system's temp folder.

The root goes at interpreter exit (and ``remove_root`` is called by the command line on every
way out, SIGTERM included); a run that was killed (SIGKILL, a lost machine) leaves it behind,
and ``sweep_stale`` — called when the next run starts — removes every root whose owner is
gone. Folders made by others (a ``tta-ci demo`` directory) carry no owner file and are never
touched.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "OWNER_FILE",
    "remove_root",
    "scratch",
    "scratch_dir",
    "scratch_parent",
    "scratch_root",
    "sweep_stale",
]

OWNER_FILE = "owner.pid"
ROOT_PREFIX = "tta-ci-"
MEMORY = Path("/dev/shm")
MEMORY_FREE_BYTES = 2 * 1024**3  # what the memory file system must have free to be used
_LOCK = threading.Lock()
_ROOT: dict[int, Path] = {}  # pid → root (a forked child never removes its parent's root)


def _start_time(pid: int) -> str | None:
    """The start time of ``pid`` (clock ticks since boot, Linux), "" where /proc has no
    answer, None when the process does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def _alive(owner: str) -> bool:
    pid_text, _, started = owner.strip().partition(" ")
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if Path("/proc").is_dir():
        now = _start_time(pid)
        return now is not None and (not started or not now or now == started)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _memory_usable(path: Path) -> bool:
    """Whether ``path`` is a folder this process may write, with room, where code may run."""
    try:
        info = os.statvfs(path)
    except OSError:
        return False
    return (path.is_dir() and os.access(path, os.W_OK | os.X_OK)
            and not info.f_flag & os.ST_NOEXEC  # compiled extensions are mapped from it
            and info.f_bavail * info.f_frsize >= MEMORY_FREE_BYTES)


def scratch_parent() -> Path:
    """Where this process's root goes: ``$TMPDIR`` when set, else the memory file system
    when usable, else the system's temp folder."""
    if os.environ.get("TMPDIR") or not _memory_usable(MEMORY):
        return Path(tempfile.gettempdir())
    return MEMORY


def scratch_root() -> Path:
    """This process's root folder, made (with its owner file) on first use."""
    pid = os.getpid()
    with _LOCK:
        root = _ROOT.get(pid)
        if root is None or not root.is_dir():
            root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX, dir=scratch_parent()))
            root.chmod(0o711)  # a sandboxed child under another uid may pass through it
            (root / OWNER_FILE).write_text(f"{pid} {_start_time(pid) or ''}\n")
            if not _ROOT:
                atexit.register(remove_root)
            _ROOT[pid] = root
        return root


def scratch(prefix: str) -> Path:
    """A new folder under the root (removed with it, or earlier by the caller)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=scratch_root()))
    path.chmod(0o711)
    return path


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """``scratch(prefix)``, removed when the block ends."""
    path = scratch(prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def remove_root() -> None:
    """Remove this process's root and everything in it."""
    with _LOCK:
        root = _ROOT.pop(os.getpid(), None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


def sweep_stale(parent: Path | None = None) -> list[Path]:
    """Remove the roots left by tta-ci processes that are gone, in ``parent`` (default:
    every place a root may be); the paths removed."""
    if parent is None:
        places = dict.fromkeys((Path(tempfile.gettempdir()), MEMORY))
        return [p for place in places if place.is_dir() for p in sweep_stale(place)]
    removed: list[Path] = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(ROOT_PREFIX) or entry.is_symlink():
            continue
        try:
            owner = (entry / OWNER_FILE).read_text()
        except OSError:
            continue  # not a root (no owner file), or not ours to read
        if not _alive(owner):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
