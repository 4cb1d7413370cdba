"""The warm pytest interpreter of one sandbox: import once, fork one child per run.

Started inside the sandbox by ``tta_ci.sandbox.warm.WarmSandbox``::

    python -P -m tta_ci.sandbox.server --channel R,W [--plugin MOD]... [--preload MOD]...
        [--cover FILE] [--main MOD]...

It imports pytest (its built-in plugins and the installed ``pytest11`` entry points),
coverage, Hypothesis (and fills Hypothesis's Unicode tables in memory), the ``--plugin``
modules (tta-ci's plugin) and, optionally, the ``--preload`` modules of the project (refused
when importing them starts a thread: a fork copies only the thread that forks), measuring the
lines of ``--cover`` that run while it is imported; then it freezes the heap (``gc.freeze``),
answers ``{"event": "ready", ...}`` and serves (``forkserver.ForkServer``) JSON lines read
from descriptor R, answered on descriptor W:

``{"op": "run", "id", "args", "env", "cwd", "ctrl", "limits": {"cpu_s", "wall_s", "memory_mb",
"fsize_mb", "nproc"}, "mutant": null | {"set", "index"}}``
    fork a child that sets up what a fresh ``python -m pytest ARGS`` would have
    (``child.py``), switches to the mutant, and runs ``pytest.main(args)``; its stdout and
    stderr go to ``CTRL/stdout`` and ``CTRL/stderr``. Answer, when it has ended:
    ``{"id", "event": "done", "pid", "returncode" (negative: a signal), "wall_s", "user_s",
    "sys_s", "cpu_s", "maxrss_kb", "timed_out", "cpu_exceeded", "orphans_killed", "timing",
    "activation"}``. CPU times come from the child's own resource usage (``wait4``).
``{"op": "main", "id", "module", "args", "env", "cwd", "ctrl", "limits"}``
    fork a child set up the same way that runs ``MODULE.main(args)`` instead of pytest, for a
    module named with ``--main`` when the server started (imported then); answered as a run.
``{"op": "batch", "id", "args", "env", "cwd", "ctrl", "limits", "jobs": [{"ctrl", "env",
"limits", "mutant": {"set", "index"}}, ...]}``
    fork one child that collects ``args`` once (its ``env`` selects every job's tests), then
    one grandchild per job with its mutant, environment and tests (``batch.py``); answered as
    a run, with ``"jobs"``: one answer per job that ran (``"refused"``: its mutant cannot be
    switched in after the collection; run it as a run).
``{"op": "plain", "id", "args", "env", "cwd", "ctrl", "limits"}``
    in a server started with no ``--plugin``: fork a child set up the same way that runs
    ``python -m coverage ARGS`` (gate 8's plain re-check); answered as a run.
``{"op": "mutants", "id", "set", "module", "file", "original", "sources"}``
    compile the mutants once (``swap.py``); answer ``{"id", "event": "mutants", "plans"}``.

Several runs may be in flight; each answer comes when its run ends.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import json
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from tta_ci.sandbox import batch, child
from tta_ci.sandbox.forkserver import Child, ForkServer, protocol_channel
from tta_ci.sandbox.hardening import harden
from tta_ci.sandbox.swap import MutantSet

__all__ = ["PytestServer", "main", "warm_imports"]

_T0 = time.monotonic()


def _timed(timings: dict[str, float], name: str, step: Callable[[], Any]) -> Any:
    start = time.monotonic()
    value = step()
    timings[name] = round(time.monotonic() - start, 4)
    return value


def _pytest() -> None:
    import pytest  # noqa: F401
    from _pytest.config import default_plugins

    for name in default_plugins:
        __import__(f"_pytest.{name}")


def _hypothesis() -> None:
    import hypothesis.strategies  # noqa: F401
    from hypothesis.internal import charmap

    # from the machine's cache when it is mounted, else computed once here; kept in memory
    # for every child (st.text() costs seconds of CPU without them)
    charmap.charmap()
    charmap.intervals_from_codec("utf-8")
    charmap.query(categories=charmap.categories())


def _entry_points() -> list[str]:
    """Import the installed pytest plugins now: imported before pytest's assertion-rewriting
    hook exists, they are not rewritten in every run (seconds for Hypothesis)."""
    import importlib.metadata

    failed = []
    for point in importlib.metadata.entry_points(group="pytest11"):
        try:
            point.load()
        except Exception as exc:  # a broken plugin breaks the runs, not the server
            failed.append(f"{point.name}: {type(exc).__name__}: {exc}")
    return failed


def _coverage() -> None:
    import coverage.control
    import coverage.sqldata  # noqa: F401


def _preload(modules: Sequence[str], cover: str | None) -> dict[str, list[Any]]:
    """Import the project's ``modules``; the lines and arcs of ``cover`` that ran."""
    import coverage

    measure = coverage.Coverage(data_file=None, branch=True, include=[cover],
                                config_file=False) if cover else None
    if measure is not None:
        measure.start()
    try:
        for name in modules:
            __import__(name)
    finally:
        if measure is not None:
            measure.stop()
    if measure is None:
        return {}
    data = measure.get_data()
    real = os.path.realpath(cover or "")
    for name in data.measured_files():
        if os.path.realpath(name) == real:
            return {"lines": sorted(data.lines(name) or []), "arcs": sorted(data.arcs(name) or [])}
    return {}


def _freeze() -> None:
    gc.collect()
    gc.freeze()  # the heap is shared copy-on-write: the collector keeps off it in children


def _threads() -> int:
    return max(threading.active_count(), len(os.listdir("/proc/self/task")))


def warm_imports(plugins: Sequence[str], preload: Sequence[str], cover: str | None,
                 mains: Sequence[str] = ()) -> dict[str, Any]:
    """Everything a run needs, imported (and its caches filled) in this process."""
    timings: dict[str, float] = {}
    _timed(timings, "pytest", _pytest)
    _timed(timings, "hypothesis", _hypothesis)
    broken: list[str] = []
    if plugins or not mains:  # a server only for mains runs no pytest session
        broken = _timed(timings, "plugins", _entry_points)
        _timed(timings, "coverage", _coverage)
    for name in [*plugins, *mains]:
        _timed(timings, name, functools.partial(importlib.import_module, name))
    if _threads() > 1:
        raise RuntimeError(f"importing pytest and its plugins started {_threads() - 1} thread(s)")
    imported = _timed(timings, "preload", lambda: _preload(preload, cover))
    if _threads() > 1:
        raise RuntimeError(f"importing {', '.join(preload)} started a thread; a forked run "
                           "would not have it: start the server without --preload")
    _timed(timings, "freeze", _freeze)
    return {"timings": timings, "import_coverage": imported, "broken_plugins": broken}


class PytestServer(ForkServer):
    """Runs and mutant sets for one workspace and one hash seed."""

    def __init__(self, requests: int, channel: Any, state: child.ServerState) -> None:
        super().__init__(requests, channel)
        self.state = state

    def handle(self, request: dict[str, Any]) -> None:
        op = request.get("op")
        jobs: dict[str, Callable[[dict[str, Any], child.ServerState], int]] = {
            "run": child.run, "plain": child.plain, "main": child.main, "batch": batch.run}
        if op in jobs:
            self._fork(request, jobs[op])
        elif op == "mutants":
            self._mutants(request)
        else:
            super().handle(request)

    def _fork(self, request: dict[str, Any],
              job: Callable[[dict[str, Any], child.ServerState], int]) -> None:
        """A child for ``job``, killed at the request's wall-clock limit (a batch's: its own
        plus each of its jobs')."""
        limits = request.get("limits") or {}
        wall = float(limits.get("wall_s") or 3600)
        is_batch = request.get("op") == "batch"
        if is_batch:
            wall += sum(float((j.get("limits") or {}).get("wall_s") or 3600)
                        for j in request.get("jobs") or ())
        self.spawn(request.get("id"), lambda: job(request, self.state), wall_s=wall,
                   info={"ctrl": request["ctrl"], "cpu_s": limits.get("cpu_s"),
                         "batch": is_batch})

    def _mutants(self, request: dict[str, Any]) -> None:
        start = time.monotonic()
        try:
            found = MutantSet.compile(request["module"], request["file"], request["original"],
                                      request["sources"])
        except (SyntaxError, ValueError, KeyError) as exc:
            self.send({"id": request.get("id"), "event": "error",
                       "message": f"mutants do not compile: {exc}"})
            return
        self.state.mutants[str(request["set"])] = found
        self.send({"id": request.get("id"), "event": "mutants",
                   "plans": [p.describe() for p in found.plans],
                   "compile_s": round(time.monotonic() - start, 4)})

    def finished(self, done: Child, returncode: int, usage: resource.struct_rusage,
                 orphans: int) -> None:
        cpu = usage.ru_utime + usage.ru_stime
        limit = done.info.get("cpu_s")
        hard = child.cpu_limit(limit) + 1 if limit else None
        cpu_exceeded = returncode == -signal.SIGXCPU or (
            hard is not None and returncode == -signal.SIGKILL and not done.timed_out
            and cpu >= hard - 1)
        report: dict[str, Any] = {}
        try:
            with open(os.path.join(done.info["ctrl"], child.TIMING_FILE), encoding="utf-8") as fh:
                report = json.load(fh)
        except (OSError, ValueError):
            pass
        jobs: list[Any] | None = None
        if done.info.get("batch"):
            try:
                with open(os.path.join(done.info["ctrl"], batch.BATCH_FILE),
                          encoding="utf-8") as fh:
                    jobs = json.load(fh)
            except (OSError, ValueError):
                jobs = []  # it ended before its jobs did: none is answered
        extra = {} if jobs is None else {"jobs": jobs}
        self.send({"id": done.ident, "event": "done", **extra, "pid": done.pid,
                   "returncode": returncode,
                   "wall_s": round(time.monotonic() - done.start, 4),
                   "user_s": round(usage.ru_utime, 4), "sys_s": round(usage.ru_stime, 4),
                   "cpu_s": round(cpu, 4), "maxrss_kb": usage.ru_maxrss,
                   "timed_out": done.timed_out, "cpu_exceeded": cpu_exceeded,
                   "orphans_killed": orphans, "timing": report.get("timing", {}),
                   "activation": report.get("activation")})


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tta_ci.sandbox.server",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--channel", required=True, help="R,W: the inherited descriptors "
                        "of the requests and of the answers")
    parser.add_argument("--plugin", action="append", default=[], help="pytest plugin module "
                        "to import; its configure(environ) is called in every run")
    parser.add_argument("--preload", action="append", default=[], help="project module to "
                        "import once (it must start no thread)")
    parser.add_argument("--main", action="append", default=[], help="module (of tta-ci) "
                        "whose main(args) the server may run in a child (\"op\": \"main\")")
    parser.add_argument("--cover", help="file whose lines run by --preload are reported as "
                        "import-time coverage")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    hardened = harden()
    requests, channel = protocol_channel(args.channel)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # the client is gone: end, do not spin
    base_path = list(sys.path)  # before the preload, which may add to it
    try:
        warmed = warm_imports(args.plugin, args.preload, args.cover, args.main)
    except Exception as exc:  # the project's import failed, or started threads
        channel.write(json.dumps({"event": "error", "message": f"{type(exc).__name__}: {exc}"}))
        channel.write("\n")
        channel.flush()
        return 2
    state = child.ServerState.make(base_path, args.plugin, args.cover,
                                   warmed["import_coverage"], args.main)
    server = PytestServer(requests, channel, state)
    server.send({"event": "ready", "pid": os.getpid(), "hardened": hardened,
                 "startup_s": round(time.monotonic() - _T0, 4), "timings": warmed["timings"],
                 "broken_plugins": warmed["broken_plugins"], "threads": _threads(),
                 "hash_seed": os.environ.get("PYTHONHASHSEED"),
                 "cpu_s": round(sum(os.times()[:2]), 4)})
    server.serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
