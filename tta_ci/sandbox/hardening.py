"""What a warm server inside a sandbox does to itself and to each child it forks (Linux
``prctl`` and capabilities through ``ctypes``; standard library only).

* ``harden()``: the server becomes a child subreaper (processes that escape a child's group
  come back to it) and non-dumpable (a process of the same user cannot trace it, read its
  memory or open its descriptors through ``/proc``).
* ``drop_ptrace()``: a child gives up CAP_SYS_PTRACE, which root in a sandbox may hold and
  which would let it past the server's being non-dumpable.
"""

from __future__ import annotations

import ctypes
import functools
import sys

__all__ = ["PR_SET_PDEATHSIG", "drop_ptrace", "harden", "prctl"]

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_CAPBSET_DROP = 24
CAP_SYS_PTRACE = 19
_CAP_VERSION_3 = 0x20080522


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library this process already has loaded (``dlopen(NULL)``: no search, so no
    ``ldconfig`` process per call), once; the server loads it before it forks."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl  # noqa: B018 - looked up here: a libc without it is no libc to use
    except (OSError, AttributeError):
        return None
    return libc


def prctl(option: int, value: int) -> bool:
    """``prctl(option, value)``; False where it failed or is not Linux."""
    libc = _libc()
    return libc is not None and bool(libc.prctl(option, value, 0, 0, 0) == 0)


def harden() -> bool:
    """Make this process a child subreaper and non-dumpable; False where it cannot."""
    return prctl(PR_SET_CHILD_SUBREAPER, 1) & prctl(PR_SET_DUMPABLE, 0)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _has_ptrace() -> bool:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_SYS_PTRACE & 1)
    return False


def drop_ptrace() -> None:
    """Give up CAP_SYS_PTRACE for good (root in a sandbox may hold it: with it, a child could
    open the server's descriptors through ``/proc`` despite its being non-dumpable). Raises
    OSError when the capability is still held."""
    libc = _libc()
    if libc is not None:
        libc.prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0)  # fails harmlessly without it
        header = _CapHeader(_CAP_VERSION_3, 0)
        data = (_CapData * 2)()
        if libc.capget(ctypes.byref(header), data) == 0:
            mask = ~(1 << CAP_SYS_PTRACE) & 0xFFFFFFFF
            for part in ("effective", "permitted", "inheritable"):
                setattr(data[0], part, getattr(data[0], part) & mask)
            libc.capset(ctypes.byref(header), data)
    if sys.platform.startswith("linux") and _has_ptrace():
        raise OSError("cannot give up CAP_SYS_PTRACE: a run could reach the server")
