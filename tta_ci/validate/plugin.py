"""The pytest plugin tta-ci loads inside the sandbox (``-p tta_ci.validate.plugin``).

It only needs the standard library, pytest and coverage.py, and is driven by environment
variables set by the runner:

``TTA_SANDBOX_REPORT``      JSON-lines file the plugin appends its events to
``TTA_SANDBOX_SEED``        order seed: guarded tests first, then the others, each
                            sorted by a hash of (seed, node id) ...
``TTA_SANDBOX_REVERSE``     ... reversed when "1" (so that every pair of tests flips order)
``TTA_SANDBOX_RUN``         run number: seeds ``random`` before each test
``TTA_SANDBOX_COVER``       absolute path of the target file to measure (empty: no coverage)
``TTA_SANDBOX_COVDATA``     coverage data file
``TTA_SANDBOX_GUARDED``     os.pathsep-separated candidate files whose tests are guarded
``TTA_SANDBOX_WRITABLE``    os.pathsep-separated directories guarded code may write to (and
                            read); the temp folder (``TMPDIR``, where ``tmp_path`` lives) always
``TTA_SANDBOX_READABLE``    os.pathsep-separated paths guarded code may read besides the
                            working directory (the interpreter, the system libraries)
``TTA_SANDBOX_TEST_TIMEOUT`` seconds per test (setup + call + teardown)
``TTA_SANDBOX_TEST_CLOCK``  what that budget counts: ``wall`` (default) or ``cpu`` (the
                            process's CPU time, ITIMER_PROF: a busy machine does not use it up)
``TTA_SANDBOX_TEST_WALL``   with ``cpu``: the wall-clock backstop per test, for a test blocked
                            in a sleep or on I/O (default: 10 times the CPU budget)
``TTA_SANDBOX_COVER_BASE``  JSON ``{"lines": [...], "arcs": [...]}`` of the target measured
                            while it was imported before this plugin started (a warm
                            interpreter preloads it); merged into the context ``""``
``TTA_SANDBOX_SELECT``      newline-separated node ids to run (empty: all collected tests)

Events: ``collect_start``/``collect_end`` {path}, ``collect_error`` {path, message},
``collect_violation`` {path, violation}, ``start`` {nodeid}, ``result`` {nodeid, outcome,
exc_type, message, longrepr, output_bytes, violation}, ``coverage`` {contexts: {nodeid: {lines,
arcs}}}, ``finished`` {exitstatus}, ``exit_violation`` {violation}.

Guarded code — a candidate file while it is imported (module level), its tests (setup, call,
teardown), and everything that runs after the session (``atexit``) — may not write outside the
writable folders, read outside the readable ones, start processes, open sockets or send
signals: an audit hook, installed before any candidate is imported, refuses, and the violation
is reported.

The state is made from the environment by ``configure(environ)``: at import, and again in each
run forked from a warm interpreter (``tta_ci.sandbox.server``) that imported this module (and
installed its audit hook) once, before any candidate; such a run is guarded exactly as a fresh
process is, its ``atexit`` handlers included.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sys
from collections.abc import Generator, Mapping
from types import FrameType
from typing import Any

import pytest

__all__ = ["SandboxTimeout", "configure"]

_ENV: Mapping[str, str] = os.environ
_WALL_BACKSTOP = 10.0  # with the CPU clock: the wall limit per test, times the CPU budget
_LONGREPR_CAP = 4000
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS = {"os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.chmod": (0,),
                "os.chown": (0,), "os.truncate": (0,), "os.utime": (0,), "os.rename": (0, 1),
                "os.symlink": (1,), "os.link": (1,), "shutil.rmtree": (0,)}
_PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                   "os.fork", "os.forkpty", "pty.spawn"}
_SOCKET_EVENTS = {"socket.connect", "socket.bind", "socket.getaddrinfo", "socket.sendto",
                  "socket.gethostbyname"}
_SIGNAL_EVENTS = {"os.kill", "os.killpg", "signal.pthread_kill"}
_LIST_EVENTS = {"os.listdir", "os.scandir", "glob.glob"}
_ALWAYS_READABLE = ("/dev/null", "/dev/urandom", "/dev/random", "/dev/zero", "/proc/self",
                    "/proc/thread-self", "/sys", "/usr", "/lib", "/lib64", "/bin", "/etc/localtime",
                    "/etc/mime.types", "/etc/ssl", "/etc/passwd", "/etc/group")
AT_EXIT = "<exit>"  # the guard's owner once the session is over


class SandboxTimeout(BaseException):
    """Raised in a test that ran past ``TTA_SANDBOX_TEST_TIMEOUT``."""


class _State:
    def __init__(self) -> None:
        self.active: str | None = None  # node id of the guarded test now running
        self.violations: dict[str, str] = {}
        self.writable = [os.path.realpath(p) for p in _split(_ENV.get("TTA_SANDBOX_WRITABLE"))]
        self.writable.append(os.path.realpath(_ENV.get("TMPDIR", "/tmp")))
        prefix = sys.pycache_prefix
        if prefix and os.path.isdir(prefix) and not os.access(prefix, os.W_OK):
            # a read-only bytecode cache: the import system tries (and fails) to add a
            # module's bytecode there; the attempt is not the test's
            self.writable.append(os.path.realpath(prefix))
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        self.readable = [os.path.realpath(p) for p in (
            os.getcwd(), *prefixes, *_split(_ENV.get("TTA_SANDBOX_READABLE")),
            *_ALWAYS_READABLE)]
        self.readable.append(f"/proc/{os.getpid()}")
        self.guarded = {os.path.realpath(p) for p in _split(_ENV.get("TTA_SANDBOX_GUARDED"))}
        self.results: dict[str, dict[str, Any]] = {}
        report = _ENV.get("TTA_SANDBOX_REPORT") or os.devnull
        self.report = open(report, "a", encoding="utf-8")  # noqa: SIM115


def _split(value: str | None) -> list[str]:
    return [p for p in (value or "").split(os.pathsep) if p]


def _emit(event: str, **data: Any) -> None:
    _STATE.report.write(json.dumps({"event": event, **data}) + "\n")
    _STATE.report.flush()


def _within(real: str, roots: list[str]) -> bool:
    return any(real == d or real.startswith(d.rstrip(os.sep) + os.sep) for d in roots)


def _writable(path: Any) -> bool:
    if isinstance(path, int):
        return path in (0, 1, 2)  # not a descriptor of the runner's own files
    real = os.path.realpath(os.fsdecode(path))
    if real == os.devnull or real.startswith(("/dev/fd/", "/dev/std", "/proc/self/fd/")):
        return True
    return _within(real, _STATE.writable)


def _readable(path: Any) -> bool:
    if isinstance(path, int) or _writable(path):
        return True
    return _within(os.path.realpath(os.fsdecode(path)), _STATE.readable)


def _violation(event: str, args: tuple[Any, ...]) -> str | None:
    if event == "open":
        path, mode, flags = args[0], args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writes and not _writable(path):
            return f"writes outside tmp_path: {os.path.relpath(os.fsdecode(path))}"
        if not writes and path is not None and not _readable(path):
            return f"reads outside the workspace: {os.fsdecode(path)}"
        return None
    if event in _LIST_EVENTS:
        path = args[0] if args and args[0] is not None else "."
        if not isinstance(path, int) and not _readable(path):
            return f"reads outside the workspace: {os.fsdecode(path)}"
        return None
    if event in _PATH_EVENTS:
        for index in _PATH_EVENTS[event]:
            if len(args) > index and not _writable(args[index]):
                return f"writes outside tmp_path: {os.path.relpath(os.fsdecode(args[index]))}"
        return None
    if event in _PROCESS_EVENTS:
        return "forbidden call: subprocess"
    if event in _SOCKET_EVENTS:
        return "forbidden call: socket"
    if event in _SIGNAL_EVENTS:
        return "forbidden call: os.kill"
    return None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    owner = _STATE.active
    if owner is None:
        return
    problem = _violation(event, args)
    if problem is not None:
        if owner == AT_EXIT and owner not in _STATE.violations:
            _emit("exit_violation", violation=problem)
        _STATE.violations.setdefault(owner, problem)
        raise PermissionError(f"tta-ci sandbox: {problem}")


def _start_coverage() -> Any:
    target = _ENV.get("TTA_SANDBOX_COVER")
    if not target:
        return None
    import coverage

    cov = coverage.Coverage(data_file=_ENV["TTA_SANDBOX_COVDATA"], branch=True,
                            include=[target], config_file=False)
    cov.start()
    return cov


def configure(environ: Mapping[str, str]) -> None:
    """(Re)make the plugin's state from ``environ``: its report file, guards, coverage."""
    global _ENV, _STATE, _COV
    _ENV = environ
    _STATE = _State()
    _COV = _start_coverage()


_STATE: _State
_COV: Any
configure(os.environ)
sys.addaudithook(_audit)


def _order_key(nodeid: str) -> str:
    return hashlib.sha256(f"{_ENV.get('TTA_SANDBOX_SEED', '0')}:{nodeid}".encode()).hexdigest()


def _selected(items: list[pytest.Item], config: pytest.Config) -> list[pytest.Item]:
    wanted = {n for n in _ENV.get("TTA_SANDBOX_SELECT", "").split("\n") if n}
    if not wanted:
        return items
    keep = [i for i in items if i.nodeid in wanted]
    dropped = [i for i in items if i.nodeid not in wanted]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    return keep


def pytest_collection_modifyitems(items: list[pytest.Item], config: pytest.Config) -> None:
    """Only the selected tests; guarded (candidate) tests first, so that any state they leave
    reaches the others."""
    items[:] = _selected(items, config)
    reverse = _ENV.get("TTA_SANDBOX_REVERSE") == "1"
    guarded = [i for i in items if os.path.realpath(str(i.path)) in _STATE.guarded]
    others = [i for i in items if os.path.realpath(str(i.path)) not in _STATE.guarded]
    for group in (guarded, others):
        group.sort(key=lambda item: _order_key(item.nodeid), reverse=reverse)
    items[:] = guarded + others


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    is_file = isinstance(collector, pytest.File)
    path = str(collector.path)
    guarded = is_file and os.path.realpath(path) in _STATE.guarded
    if is_file:
        _emit("collect_start", path=path)
    if guarded:  # the candidate's module level runs now, as it is imported
        _STATE.active = f"collect:{path}"
    try:
        report = yield
    finally:
        if guarded:
            _STATE.active = None
    if is_file:
        violation = _STATE.violations.get(f"collect:{path}")
        if violation is not None:
            _emit("collect_violation", path=path, violation=violation)
        if report.failed:
            _emit("collect_error", path=path, message=str(report.longrepr)[-_LONGREPR_CAP:])
        _emit("collect_end", path=path)
    return report


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    if signum == signal.SIGPROF:
        raise SandboxTimeout(f"test used more than {_ENV['TTA_SANDBOX_TEST_TIMEOUT']} s of CPU")
    raise SandboxTimeout("test timed out")


def _start_timers() -> None:
    """The per-test budget: wall time, or CPU time with a generous wall-clock backstop."""
    timeout = float(_ENV.get("TTA_SANDBOX_TEST_TIMEOUT", "0"))
    if timeout <= 0:
        return
    wall = timeout
    if _ENV.get("TTA_SANDBOX_TEST_CLOCK") == "cpu":
        wall = float(_ENV.get("TTA_SANDBOX_TEST_WALL") or timeout * _WALL_BACKSTOP)
        signal.signal(signal.SIGPROF, _on_alarm)
        signal.setitimer(signal.ITIMER_PROF, timeout)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, wall)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, Any, Any]:
    nodeid = item.nodeid
    _emit("start", nodeid=nodeid)
    random.seed(f"{_ENV.get('TTA_SANDBOX_RUN', '0')}:{nodeid}")
    if _COV is not None:
        _COV.switch_context(nodeid)
    _start_timers()
    if os.path.realpath(str(item.path)) in _STATE.guarded:
        _STATE.active = nodeid
    try:
        return (yield)
    finally:
        _STATE.active = None
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        if _COV is not None:
            _COV.switch_context("")
        record = _STATE.results.pop(nodeid, {"outcome": "passed"})
        record["violation"] = _STATE.violations.get(nodeid)
        _emit("result", nodeid=nodeid, **record)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Any, Any]:
    report = yield
    record = _STATE.results.setdefault(item.nodeid, {"outcome": "passed", "output_bytes": 0})
    record["output_bytes"] += len(report.capstdout) + len(report.capstderr)
    if report.skipped and record["outcome"] == "passed":
        record["outcome"] = "skipped"
    if report.failed and record["outcome"] in ("passed", "skipped"):
        timed_out = call.excinfo is not None and call.excinfo.errisinstance(SandboxTimeout)
        record["outcome"] = "timeout" if timed_out else "failed"
        record["phase"] = report.when
        record["exc_type"] = call.excinfo.typename if call.excinfo is not None else ""
        crash = getattr(report.longrepr, "reprcrash", None)
        record["message"] = (crash.message if crash is not None else str(report.longrepr))[:1000]
        record["longrepr"] = str(report.longrepr)[-_LONGREPR_CAP:]
    return report


def _coverage_by_context(cov: Any) -> dict[str, dict[str, list[Any]]]:
    cov.stop()
    data = cov.get_data()
    target = os.path.realpath(_ENV["TTA_SANDBOX_COVER"])
    files = [f for f in data.measured_files() if os.path.realpath(f) == target]
    contexts: dict[str, dict[str, list[Any]]] = {}
    if not files:
        return contexts
    for context in sorted(data.measured_contexts()):
        data.set_query_context(context)
        lines = sorted(data.lines(files[0]) or [])
        arcs = sorted(data.arcs(files[0]) or [])
        if lines or arcs:
            contexts[context] = {"lines": lines, "arcs": arcs}
    return contexts


def _with_import_time(contexts: dict[str, dict[str, list[Any]]]) -> dict[str, dict[str, list[Any]]]:
    """Add the lines (and arcs) the target ran while it was imported before this plugin
    measured anything, to the context ``""``, where a fresh process records them."""
    base = json.loads(_ENV.get("TTA_SANDBOX_COVER_BASE") or "{}")
    if not base:
        return contexts
    empty = contexts.setdefault("", {"lines": [], "arcs": []})
    empty["lines"] = sorted({*empty["lines"], *base.get("lines", ())})
    empty["arcs"] = sorted({*map(tuple, empty["arcs"]), *map(tuple, base.get("arcs", ()))})
    return contexts


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _COV is not None:
        _emit("coverage", contexts=_with_import_time(_coverage_by_context(_COV)))
    _emit("finished", exitstatus=int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    """From here on everything is guarded: ``atexit`` handlers, and threads that outlive their
    test, do not run unwatched."""
    if _STATE.guarded:
        _STATE.active = AT_EXIT
