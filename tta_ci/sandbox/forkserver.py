"""A process that answers JSON-line requests on a private channel by forking one child per job.

Standard library only: it is the skeleton of the warm interpreters that run inside a sandbox
(``tta_ci.sandbox.server`` for pytest, the OpenHands worker parent). What it guarantees:

* **One channel, kept from the children.** Requests and answers travel on two pipes the
  client passed as extra descriptors (``--channel R,W``), never on 0/1/2: a sandbox's init
  process (bubblewrap's) holds those and could be reached through ``/proc``, and it never
  holds the extra ones. fd 1 is pointed at stderr, so a stray ``print`` never corrupts the
  channel, and a child closes the channel and every other descriptor of the server before
  its job runs.
* **Each child reaped alone.** Through its pidfd and ``os.wait4(pid)`` — never
  ``waitpid(-1)``, which could take the status and the resource usage of another child that
  has just ended — so the CPU time reported is that child's (and of the children it waited
  for), whatever else the machine runs.
* **Nothing left running.** A child leads its own process group, killed when it ends or when
  its wall-clock deadline passes; the server is a child subreaper, so a process that escaped
  the group (``setsid``, a double fork) comes back to it and is killed when its job ends; a
  child gets SIGKILL if the server dies.
* **Not readable by its children.** The server is non-dumpable and each child gives up
  CAP_SYS_PTRACE (which root in a sandbox may hold) before its job: a child cannot trace
  the server, read its memory or open its descriptors through ``/proc``.

Requests: ``{"op": "ping"}`` → ``{"event": "pong", "children", "threads", "processes"}``;
``{"op": "exit"}``, or the end of the requests: every child is killed, then the server leaves.
Other operations are the subclass's.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import selectors
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from tta_ci.sandbox.hardening import PR_SET_PDEATHSIG, drop_ptrace, prctl

__all__ = ["Child", "ForkServer", "processes", "protocol_channel"]

OUTPUT_CAP = 256 * 1024  # bytes kept of a child's captured output (the end of it)
_REAP_TRIES = 50


def protocol_channel(spec: str) -> tuple[int, IO[str]]:
    """The channel ``"R,W"`` (descriptors this process inherited): the requests' descriptor
    and the answers' stream. fd 1 now goes to stderr."""
    try:
        requests, answers = (int(part) for part in spec.split(","))
        os.fstat(requests)
        os.fstat(answers)
    except (ValueError, OSError) as exc:
        raise SystemExit(f"--channel {spec!r}: expected two open descriptors R,W ({exc})"
                         ) from None
    sys.stdout.flush()
    os.dup2(2, 1)
    return requests, os.fdopen(answers, "w", encoding="utf-8")


def processes() -> list[dict[str, Any]]:
    """The processes this one can see (in a sandbox: its PID namespace): pid, ppid, state."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    tail = handle.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            found.append({"pid": int(entry), "state": tail[0].decode(), "ppid": int(tail[1])})
    return found


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


@dataclass
class Child:
    """One running job: its process (group leader), deadline and captured output."""

    ident: Any
    pid: int
    pidfd: int
    start: float
    deadline: float
    info: dict[str, Any] = field(default_factory=dict)
    timed_out: bool = False
    output_fd: int | None = None
    output: bytearray = field(default_factory=bytearray)


class ForkServer:
    """The request loop. Subclasses implement ``handle`` (an operation other than ping and
    exit) and ``finished`` (a child has ended and been reaped)."""

    def __init__(self, requests: int, channel: IO[str]) -> None:
        self.requests = requests
        self.channel = channel
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, Child] = {}
        self.open = True
        self._buffer = b""

    # -- for subclasses --------------------------------------------------------------------

    def handle(self, request: dict[str, Any]) -> None:
        self.send({"id": request.get("id"), "event": "error",
                   "message": f"unknown op {request.get('op')!r}"})

    def finished(self, child: Child, returncode: int, usage: resource.struct_rusage,
                 orphans: int) -> None:
        raise NotImplementedError

    def spares(self, pid: int) -> bool:
        """Whether a stray process belongs to a job still running (kept by the sweep)."""
        return False

    def send(self, message: dict[str, Any]) -> None:
        self.channel.write(json.dumps(message) + "\n")
        self.channel.flush()

    def spawn(self, ident: Any, job: Callable[[], int], *, wall_s: float, capture: bool = False,
              info: dict[str, Any] | None = None) -> Child:
        """Fork a child that runs ``job`` (its return value is the exit status), killed with
        its group after ``wall_s``. ``capture``: its fds 1 and 2 go to a pipe kept here."""
        read_end, write_end = os.pipe() if capture else (-1, -1)
        owned = [k.fd for k in self.selector.get_map().values()]
        owned += [self.selector.fileno(), self.channel.fileno()]
        sys.stdout.flush()
        sys.stderr.flush()  # nothing buffered may be written twice
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            self._child(job, [*owned, read_end], write_end)
        if capture:
            os.close(write_end)
            os.set_blocking(read_end, False)
            self.selector.register(read_end, selectors.EVENT_READ, ("output", pid))
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # here too: no race with an early killpg
        pidfd = os.pidfd_open(pid)
        self.selector.register(pidfd, selectors.EVENT_READ, ("child", pid))
        child = Child(ident, pid, pidfd, start, start + wall_s, dict(info or {}),
                      output_fd=read_end if capture else None)
        self.children[pid] = child
        return child

    # -- the loop --------------------------------------------------------------------------

    def serve(self) -> None:
        requests = self.requests
        os.set_blocking(requests, False)
        self.selector.register(requests, selectors.EVENT_READ, ("requests", 0))
        while self.open or self.children:
            timeout = None
            if self.children:
                nearest = min(c.deadline for c in self.children.values())
                timeout = max(0.0, nearest - time.monotonic())
            for key, _ in self.selector.select(timeout):
                kind, pid = key.data
                if kind == "requests":
                    self._read_requests(requests)
                elif kind == "output":
                    self._drain(self.children[pid])
                elif pid in self.children:
                    self._reap(self.children[pid])
            now = time.monotonic()
            for child in self.children.values():
                if now >= child.deadline and not child.timed_out:
                    child.timed_out = True
                    _kill_group(child.pid)
        self.sweep()

    def stop(self) -> None:
        """Stop taking requests and kill every child (the loop ends once they are reaped)."""
        self.open = False
        for pid in list(self.children):
            _kill_group(pid)

    def _read_requests(self, fd: int) -> None:
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:  # the client went away
            self.selector.unregister(fd)
            self.stop()
            return
        self._buffer += chunk
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            if line.strip():
                self._dispatch(line)

    def _dispatch(self, line: bytes) -> None:
        try:
            request = json.loads(line)
        except ValueError:
            self.send({"event": "error", "message": "a request is not JSON"})
            return
        op = request.get("op") if isinstance(request, dict) else None
        if op == "exit":
            self.stop()
        elif op == "ping":
            self.send({"id": request.get("id"), "event": "pong", "children": len(self.children),
                       "threads": threading.active_count(), "processes": processes()})
        else:
            self.handle(request)

    def _drain(self, child: Child) -> None:
        if child.output_fd is None:
            return
        try:
            while chunk := os.read(child.output_fd, 65536):
                child.output += chunk
                del child.output[:-OUTPUT_CAP]
        except BlockingIOError:
            return
        self.selector.unregister(child.output_fd)  # end of file: every writer is gone
        os.close(child.output_fd)
        child.output_fd = None

    def _reap(self, child: Child) -> None:
        del self.children[child.pid]
        self.selector.unregister(child.pidfd)
        os.close(child.pidfd)
        _, status, usage = os.wait4(child.pid, 0)
        _kill_group(child.pid)  # what it left in its group
        orphans = self.sweep()
        self._drain(child)
        if child.output_fd is not None:  # a process it left holds the pipe open
            self.selector.unregister(child.output_fd)
            os.close(child.output_fd)
        self.finished(child, os.waitstatus_to_exitcode(status), usage, orphans)

    def sweep(self) -> int:
        """Kill and reap the processes handed to this subreaper that no running job owns.

        Strays are reaped by pid, never with ``waitpid(-1)`` (see the module's docstring)."""
        me = os.getpid()
        groups = set(self.children)
        strays = [p for p in processes() if p["ppid"] == me and p["pid"] not in self.children
                  and _pgid(p["pid"]) not in groups and not self.spares(p["pid"])]
        for proc in strays:
            if proc["state"] != "Z":
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc["pid"], signal.SIGKILL)
        for proc in strays:
            for _ in range(_REAP_TRIES):
                try:
                    if os.waitpid(proc["pid"], os.WNOHANG)[0]:
                        break
                except ChildProcessError:
                    break
                time.sleep(0.002)
        return len(strays)

    def _child(self, job: Callable[[], int], close: list[int], output: int) -> None:
        """In the forked child: its own group, the server's descriptors closed; never
        returns."""
        code = 70
        try:
            os.setpgid(0, 0)
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            drop_ptrace()
            for fd in close:
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            if output >= 0:
                os.dup2(output, 1)
                os.dup2(output, 2)
                os.close(output)
            code = job()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
