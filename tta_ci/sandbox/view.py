"""What a process sees inside bubblewrap: an allowlist of paths, nothing else of the machine.

The root of the sandbox is empty but for:

* read-only: ``/usr`` (and ``/bin``, ``/lib``, ``/lib64``, ``/sbin`` as the links or folders
  they are), the few ``/etc`` files the interpreter and libc read (``ETC_FILES``; with the
  network shared, also those name resolution reads), the prefixes of the interpreter that will
  run and every entry of its ``sys.path`` (a path inside a git checkout only when it lies in
  the interpreter's own prefix: an in-project ``.venv`` is seen, the project's checkout is
  not), and tta-ci's own package folder (not the folder holding it, which may be a checkout);
* a private ``/tmp`` (tmpfs), ``/proc`` of its own PID namespace, a minimal ``/dev``;
* read-only too: the folders the caller names as such (the machine's shared caches of
  bytecode and Hypothesis tables, filled by the trusted host);
* read-write: the workspace, the run's private home, and the folders the caller names.

So ``$HOME``, the user's checkout (with ``.git/config`` and its token), the runner's temp and
tool folders, other processes and the network are not there at all.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "ETC_FILES",
    "NET_ETC_FILES",
    "bwrap_argv",
    "interpreter_paths",
    "readable_paths",
    "readonly_paths",
]

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf",
             "localtime", "timezone", "alternatives", "mime.types", "os-release", "ssl",
             "ca-certificates", "pki", "python3", f"python{sys.version_info[0]}."
             f"{sys.version_info[1]}")
NET_ETC_FILES = ("resolv.conf", "hosts", "host.conf", "gai.conf")
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # tta_ci/
_PROBE = ("import json, sys; print(json.dumps([[sys.prefix, sys.base_prefix, sys.exec_prefix, "
          "sys.base_exec_prefix], sys.path]))")
# Namespaces: all of them, or, as root where a user namespace cannot be made, all but that one.
UNSHARE = {"userns": ("--unshare-all",),
           "root": ("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                    "--unshare-cgroup-try")}


@functools.cache
def interpreter_paths(python: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(prefixes, sys.path) of ``python`` as it starts: asked of a fresh process once, so that
    entries a running program added (a test runner's ``pythonpath``) do not count."""
    try:
        done = subprocess.run([python, "-s", "-E", "-c", _PROBE], capture_output=True,
                              text=True, timeout=30, check=True, cwd="/",
                              env={"PATH": os.environ.get("PATH", os.defpath)})
        prefixes, paths = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.SubprocessError):
        if os.path.realpath(python) != os.path.realpath(sys.executable):
            return (), ()
        prefixes = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
        paths = list(sys.path)
    return tuple(dict.fromkeys(prefixes)), tuple(p for p in paths if p and p != "/")


def _in_checkout(path: Path) -> bool:
    """Whether ``path`` is in a git working tree (it or an ancestor holds ``.git``)."""
    return any((p / ".git").exists() for p in (path, *path.parents))


def _exposes_home(path: Path) -> bool:
    home = Path(os.path.expanduser("~")).resolve()
    return path == Path("/") or path == home or home.is_relative_to(path)


@functools.cache
def readonly_paths(python: str) -> list[str]:
    """The interpreter's prefixes, the ``sys.path`` entries worth seeing, tta-ci's package
    (worked out once per interpreter)."""
    prefixes, paths = interpreter_paths(python)
    resolved = [Path(p).resolve() for p in prefixes if p and Path(p).exists()]
    kept: list[Path] = [p for p in resolved if not _exposes_home(p)]
    for entry in paths:
        path = Path(entry).resolve()
        if not path.exists() or _exposes_home(path):
            continue
        inside_prefix = any(path.is_relative_to(p) for p in kept)
        if inside_prefix or not _in_checkout(path):
            kept.append(path)
    binary = Path(os.path.realpath(python)).parent
    if not binary.is_relative_to("/usr") and not _exposes_home(binary):
        kept.append(binary)
    kept.append(PACKAGE_DIR)
    return _outermost(str(p) for p in kept)


def readable_paths(python: str) -> list[str]:
    """Everything the view shows read-only: the system folders, the ``/etc`` files, the
    interpreter's paths (what an audit hook may let guarded code read, at any level)."""
    system = [n for n in SYSTEM_DIRS if Path(n).exists()]
    etc = [str(Path("/etc", n)) for n in ETC_FILES if Path("/etc", n).exists()]
    return [*system, *etc, *readonly_paths(python)]


def _outermost(paths: Iterable[str]) -> list[str]:
    """``paths`` without duplicates and without those inside another one."""
    ordered = sorted(set(paths))
    out: list[str] = []
    for path in ordered:  # sorted: a parent comes before its children
        if not any(Path(path).is_relative_to(parent) for parent in out):
            out.append(path)
    return out


def _system(share_net: bool) -> list[str]:
    args: list[str] = []
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    for name in (*ETC_FILES, *(NET_ETC_FILES if share_net else ())):
        path = Path("/etc", name)
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def bwrap_argv(argv: Sequence[str], *, bwrap: str, workdir: Path, home: Path,
               writable: Sequence[Path] = (), readonly: Sequence[Path] = (),
               share_net: bool = False, form: str = "userns",
               sealed: bool = False) -> list[str]:
    """The bubblewrap command line that runs ``argv`` in ``workdir`` with this view, plus the
    ``readonly`` folders the caller names (the trusted host's shared caches), bound read-only.
    ``sealed``: the workspace too, and every other folder but ``home`` and ``writable`` (``/``
    and ``/tmp`` remounted read-only): what one re-check of gate 8's shared plain interpreter
    runs cannot leave a file that another would read (a ``pytest.ini`` above the workspace).

    The environment is the one bubblewrap itself is started with (already clean): nothing of
    it goes on the command line, where any process could read it.
    """
    python = argv[0] if argv and "python" in Path(argv[0]).name else sys.executable
    cmd = [bwrap, *_system(share_net)]
    for path in readonly_paths(python):
        if not str(path).startswith("/tmp/") or path == "/tmp":
            cmd += ["--ro-bind", path, path]
    cmd += ["--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
    for path in readonly_paths(python):  # under /tmp: after the tmpfs that would hide them
        if path.startswith("/tmp/"):
            cmd += ["--ro-bind", path, path]
    for seen in dict.fromkeys(str(p) for p in readonly):  # after the tmpfs too
        cmd += ["--ro-bind", seen, seen]
    if sealed:
        cmd += ["--ro-bind", str(workdir), str(workdir)]
    for path in dict.fromkeys(str(p) for p in (*(() if sealed else (workdir,)),
                                               home, *writable)):
        cmd += ["--bind", path, path]
    if sealed:  # after the binds, which stay writable: their own mounts
        cmd += ["--remount-ro", "/tmp", "--remount-ro", "/"]
    cmd += [*UNSHARE[form], *(["--share-net"] if share_net else []), "--die-with-parent",
            "--new-session", "--cap-drop", "ALL", "--chdir", str(workdir), "--", *argv]
    return cmd
