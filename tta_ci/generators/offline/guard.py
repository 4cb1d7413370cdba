"""Running one call of the PR's code in the sandbox process, under watch.

``guarded`` bounds a call's CPU time (a profiling timer raises ``OverBudget``), captures what
it prints (``Printed.big`` past a cap), and flags any attempt to write files, spawn processes
or open sockets (an audit hook refuses the operation). ``Tracer`` records the changed lines a
call runs and, on the lines holding a boundary, the values of the boundary's right side.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["OverBudget", "Printed", "Refused", "Tracer", "guarded", "install_audit"]

MAX_PRINTED = 20_000
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_REFUSED_PREFIXES = ("socket.", "subprocess.", "os.exec", "os.spawn", "os.posix_spawn",
                     "os.fork", "os.kill", "os.system", "ctypes.", "shutil.", "urllib.",
                     "http.", "ftplib.", "smtplib.", "webbrowser.", "pty.")
_REFUSED = frozenset({"os.remove", "os.unlink", "os.rename", "os.replace", "os.mkdir",
                      "os.rmdir", "os.truncate", "os.chmod", "os.chown", "os.symlink",
                      "os.link", "os.chdir", "os.putenv", "os.unsetenv", "os.utime",
                      "os.removexattr", "os.setxattr", "os.startfile", "sys.settrace",
                      "sys.setprofile"})


class OverBudget(BaseException):  # not an error of the code under test
    """The call used up its CPU time."""


class Refused(PermissionError):
    """The code under test tried something a unit test must not do."""


@dataclass
class Watch:
    """What the audit hook saw during the current call."""

    active: bool = False
    touched: str = ""


_WATCH = Watch()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _WATCH.active:
        return
    refused = event in _REFUSED or event.startswith(_REFUSED_PREFIXES)
    if event == "open" and len(args) >= 3:
        mode, flags = args[1], args[2]
        writes = isinstance(mode, str) and any(c in mode for c in "wax+")
        refused = writes or (isinstance(flags, int) and bool(flags & _WRITE_FLAGS))
    if refused:
        _WATCH.touched = _WATCH.touched or event
        raise Refused(f"{event} is refused while observing a call")


def install_audit() -> None:
    """Install the audit hook (once per process: it cannot be removed)."""
    sys.addaudithook(_audit)


@dataclass
class Printed:
    """What a guarded block printed, and the first refused operation it tried."""

    text: str = ""
    touched: str = ""

    @property
    def big(self) -> bool:
        return len(self.text) > MAX_PRINTED

    @property
    def clean(self) -> bool:
        return not self.touched and not self.big


class _Capped(io.StringIO):
    def write(self, text: str) -> int:
        if self.tell() <= MAX_PRINTED + 1:
            super().write(text[: MAX_PRINTED + 2 - self.tell()])
        return len(text)


def _over(signum: int, frame: types.FrameType | None) -> None:
    raise OverBudget


@contextlib.contextmanager
def guarded(cpu_s: float) -> Iterator[Printed]:
    """Run the block with ``cpu_s`` seconds of CPU time, output captured and audited."""
    printed = Printed()
    buffer = _Capped()
    previous = signal.signal(signal.SIGPROF, _over)
    _WATCH.active, _WATCH.touched = True, ""
    signal.setitimer(signal.ITIMER_PROF, cpu_s)
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            yield printed
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        _WATCH.active = False
        printed.text, printed.touched = buffer.getvalue(), _WATCH.touched


@dataclass
class Tracer:
    """Changed lines run in ``filename``, and boundary values seen where they run."""

    filename: str
    lines: set[int]
    probes: dict[int, list[Callable[[dict[str, Any]], None]]] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)

    def _local(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            line = frame.f_lineno
            if line in self.lines:
                self.seen.add(line)
                for probe in self.probes.get(line, ()):
                    probe({**frame.f_globals, **frame.f_locals})
        return self._local

    def _global(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        return self._local if frame.f_code.co_filename == self.filename else None

    @contextlib.contextmanager
    def tracing(self) -> Iterator[set[int]]:
        self.seen = set()
        sys.settrace(self._global)
        try:
            yield self.seen
        finally:
            sys.settrace(None)
