"""The fallback sandbox's reaper: ``python -I -S reaper.py SPEC -- ARGV...`` (standard library
only, nothing imported from the working directory or site-packages).

It makes itself a child subreaper, so that every process the command leaves behind — a
double-forked ``setsid`` daemon included — is re-parented to it instead of to init; runs the
command in a session of its own (as ``SPEC["uid"]``/``SPEC["gid"]`` when given, with no new
privileges, and, when it stays root, with an empty capability bounding set; inheriting the
descriptors ``SPEC["pass_fds"]`` names); waits for it; then
kills and reaps every process still below it. It ends with the command's status (a signal
is passed on as the same signal). SIGTERM (tta-ci's timeout, or tta-ci's death through the
parent-death signal) kills the whole tree at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 38, 36
_LIBC: Any = None


def _prctl(option: int, value: int) -> bool:
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return bool(_LIBC.prctl(option, value, 0, 0, 0) == 0)


def _children() -> list[int]:
    """Processes whose parent is this one (orphans of the tree re-parent here)."""
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[1] == me:
            found.append(int(entry))
    return found


def _kill_tree(first: int | None) -> None:
    """SIGKILL the command's group and every process below this one, until none is left."""
    if first is not None:
        with contextlib.suppress(OSError):
            os.killpg(first, signal.SIGKILL)
    for _ in range(200):
        pids = _children()
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    time.sleep(0.01)
            except ChildProcessError:
                break


def _child_setup(spec: dict[str, Any]) -> Any:
    drop_caps = bool(spec.get("drop_caps"))

    def setup() -> None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        if drop_caps:  # root that stays root: no capability survives the exec
            for cap in range(64):
                if not _prctl(PR_CAPBSET_DROP, cap):
                    break

    return setup


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    command = argv[argv.index("--") + 1:]
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_DUMPABLE, 0)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    child: subprocess.Popen[bytes] | None = None

    def on_term(signum: int, frame: object) -> None:
        _kill_tree(child.pid if child is not None else None)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    if os.getppid() != spec.get("parent", os.getppid()):
        return 137  # the parent died before the death signal was set
    uid, gid = spec.get("uid"), spec.get("gid")
    try:
        child = subprocess.Popen(command, start_new_session=True, preexec_fn=_child_setup(spec),
                                 user=uid, group=gid, extra_groups=[] if gid is not None else None,
                                 pass_fds=tuple(spec.get("pass_fds", ())))
    except OSError as exc:
        print(f"tta-ci sandbox: cannot start {command[0]}: {exc}", file=sys.stderr)
        return 127
    status = child.wait()
    _kill_tree(child.pid)
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
