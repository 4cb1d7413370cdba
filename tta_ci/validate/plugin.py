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
``TTA_SANDBOX_WRITABLE``    os.pathsep-separated directories guarded tests may write to
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
``start`` {nodeid}, ``result`` {nodeid, outcome, exc_type, message, longrepr, output_bytes,
violation}, ``coverage`` {contexts: {nodeid: {lines, arcs}}}, ``finished`` {exitstatus}.
Guarded tests may not write outside the writable directories, start processes, open sockets
or send signals: an audit hook refuses, and the violation is reported.

The state is made from the environment by ``configure(environ)``: at import, and again in each
run forked from a warm interpreter (``tta_ci.sandbox.server``) that imported this module once.
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
        self.guarded = {os.path.realpath(p) for p in _split(_ENV.get("TTA_SANDBOX_GUARDED"))}
        self.results: dict[str, dict[str, Any]] = {}
        report = _ENV.get("TTA_SANDBOX_REPORT") or os.devnull
        self.report = open(report, "a", encoding="utf-8")  # noqa: SIM115


def _split(value: str | None) -> list[str]:
    return [p for p in (value or "").split(os.pathsep) if p]


def _emit(event: str, **data: Any) -> None:
    _STATE.report.write(json.dumps({"event": event, **data}) + "\n")
    _STATE.report.flush()


def _writable(path: Any) -> bool:
    if isinstance(path, int):
        return True
    real = os.path.realpath(os.fsdecode(path))
    if real == os.devnull or real.startswith(("/dev/fd/", "/dev/std", "/proc/self/fd/")):
        return True
    return any(real == d or real.startswith(d + os.sep) for d in _STATE.writable)


def _violation(event: str, args: tuple[Any, ...]) -> str | None:
    if event == "open":
        path, mode, flags = args[0], args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writes and not _writable(path):
            return f"writes outside tmp_path: {os.path.relpath(os.fsdecode(path))}"
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
    nodeid = _STATE.active
    if nodeid is None:
        return
    problem = _violation(event, args)
    if problem is not None:
        _STATE.violations.setdefault(nodeid, problem)
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
    if is_file:
        _emit("collect_start", path=str(collector.path))
    report = yield
    if is_file:
        if report.failed:
            _emit("collect_error", path=str(collector.path),
                  message=str(report.longrepr)[-_LONGREPR_CAP:])
        _emit("collect_end", path=str(collector.path))
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
