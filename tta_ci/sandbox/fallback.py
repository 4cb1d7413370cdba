"""The weak sandbox, used only when the configuration names it (``sandbox = "fallback"``).

No namespaces, so the defences are those a process can set up for its children:

* tta-ci's own process is made non-dumpable, so ``/proc/<tta-ci>/environ`` (where CI puts the
  secrets) cannot be read by a child of the same user;
* every command runs under the reaper (``reaper.py``): its own session, every process it
  leaves behind (a double-forked ``setsid`` daemon too) killed when it ends, no new privileges;
* run as root, the command runs as ``nobody`` (uid 65534) with the folders it may write handed
  over to it, or — when ``nobody`` cannot reach the interpreter — as root without any
  capability, which keeps it from the ``/proc`` of other processes;
* rlimits (CPU, memory, file size, processes), a scrubbed environment, a private home;
* a ``sitecustomize`` that refuses network connections before any other code runs.

The generated tests also face the static allowlist and, in their own process, the audit hook of
``tta_ci.validate.plugin`` from their first import on (collection, module level, ``atexit``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["NOBODY", "SITECUSTOMIZE", "fallback_argv", "limits", "make_non_dumpable"]

NOBODY = 65534
PR_SET_DUMPABLE = 4
REAPER = Path(__file__).resolve().with_name("reaper.py")

SITECUSTOMIZE = '''\
"""Installed by tta-ci's fallback sandbox: no network connection, from the first import on."""
import socket as _socket
import sys as _sys

_REAL = _socket.socket
_BLOCKED = {_socket.AF_INET, _socket.AF_INET6}
_EVENTS = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
           "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"}


class _GuardedSocket(_REAL):
    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is None and (family == -1 or family in _BLOCKED):
            raise PermissionError("network access is disabled in the tta-ci sandbox")
        super().__init__(family, type, proto, fileno)


def _audit(event, args):
    if event in _EVENTS:
        address = args[1] if len(args) > 1 else None
        if event.startswith("socket.get") or isinstance(address, tuple):
            raise PermissionError("network access is disabled in the tta-ci sandbox")


_socket.socket = _GuardedSocket
_sys.addaudithook(_audit)
'''


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or name is None:
        return None
    return ctypes.CDLL(name, use_errno=True)


@functools.cache
def make_non_dumpable() -> bool:
    """Make this process non-dumpable (Linux): processes of the same user that lack
    CAP_SYS_PTRACE can then no longer read its ``/proc/<pid>/environ``, ``mem`` or ``fd``.
    False where unsupported."""
    libc = _libc()
    return libc is not None and bool(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)


@functools.cache
def _nobody_can_run(python: str) -> bool:
    """Whether ``nobody`` can start ``python`` here (its prefix may sit in root's home)."""
    try:
        done = subprocess.run([python, "-c", "import pytest"], user=NOBODY, group=NOBODY,
                              extra_groups=[], capture_output=True, timeout=30, cwd="/",
                              env={"PATH": os.defpath}, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _hand_over(paths: Sequence[Path]) -> None:
    """Make ``paths`` (and everything in them) belong to ``nobody``."""
    for top in paths:
        os.chown(top, NOBODY, NOBODY)
        for root, dirs, files in os.walk(top):
            for name in (*dirs, *files):
                path = os.path.join(root, name)
                if os.lstat(path).st_uid != NOBODY:
                    os.chown(path, NOBODY, NOBODY, follow_symlinks=False)


def fallback_argv(argv: Sequence[str], *, writable: Sequence[Path],
                  pass_fds: Sequence[int] = ()) -> list[str]:
    """``argv`` under the reaper, as ``nobody`` (``writable`` handed over) or without
    capabilities when run as root, inheriting ``pass_fds`` through the reaper; made after
    this process is non-dumpable."""
    make_non_dumpable()
    spec: dict[str, object] = {"parent": os.getpid(), "pass_fds": list(pass_fds)}
    if os.geteuid() == 0:
        python = argv[0] if argv and "python" in Path(argv[0]).name else sys.executable
        if _nobody_can_run(python):
            _hand_over(writable)
            spec.update(uid=NOBODY, gid=NOBODY)
        else:
            spec["drop_caps"] = True
    return [sys.executable, "-I", "-S", str(REAPER), json.dumps(spec), "--", *argv]


def limits(timeout_s: float, memory_mb: int, *, nproc: bool = True) -> Callable[[], None]:
    """A ``preexec_fn`` setting the rlimits of a sandboxed process tree (CPU, memory, file
    size; with ``nproc``, processes: per user, so not under bubblewrap's user namespace)."""
    def apply() -> None:
        cpu = int(timeout_s) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        mem = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        size = 512 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        if nproc:
            resource.setrlimit(resource.RLIMIT_NPROC, (1024, 1024))

    return apply
