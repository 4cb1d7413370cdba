"""Mutant runs of one set of test files, forked after one collection (``"op": "batch"``).

A run forked from the warm server (``child.run``) spends most of its milliseconds before the
first test: pytest's configuration, its plugins and the collection of the test files. Mutant
runs of one step differ only in the mutant and in the tests they select, so the server forks
one child (the *collector*) that configures pytest and collects the files once, with every
job's tests selected; at ``pytest_runtestloop`` it forks one grandchild per job, ``AT_ONCE``
(two on two cores) in flight together. A grandchild is what its run would have been from here on:

* its own process group, rlimits, environment, temp folder and Hypothesis home (the job's);
* its mutant switched in by ``__code__`` (``swap.py``). A switch that must execute the
  module (code that runs at import) would come too late after the test modules took their
  references: the grandchild refuses (exit ``REFUSED``, no events) and the client runs that
  job the usual way;
* tta-ci's plugin made again from the job's environment (``configure``), its events file
  starting with the collector's collection events, and only the job's tests kept;
* then pytest's own loop, session finish and unconfigure, as in a run.

Isolation between jobs is a fork's: each starts from the collector's memory as it was after
collection, never from another job's, and a job's budget is CPU time, so two side by side
give the verdicts one at a time gives. The collector waits for the grandchildren through their
pidfds, each with its job's wall-clock backstop, and takes its status and resource usage with
``os.wait4(pid)``; after the last it writes ``BATCH_FILE`` in its control folder, which the
server adds to its answer (``jobs``), and runs no test itself.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import select
import shutil
import signal
import sys
import time
from collections.abc import Mapping
from typing import Any

import pytest

from tta_ci.sandbox import child
from tta_ci.sandbox.hardening import PR_SET_PDEATHSIG, prctl

__all__ = ["BATCH_FILE", "REFUSED", "run"]

BATCH_FILE = "batch.json"  # in the collector's control folder: one answer per job
REFUSED = 75  # a grandchild's exit status: its mutant cannot be switched in after collection
AT_ONCE = max(1, min(2, len(os.sched_getaffinity(0))))  # grandchildren in flight together


class _Jobs:
    """The plugin object of the collector: at the test loop, one grandchild per job."""

    def __init__(self, request: Mapping[str, Any], state: child.ServerState,
                 phases: child.Phases, watched: list[str]) -> None:
        self.request = request
        self.state = state
        self.phases = phases
        self.watched = watched
        self.job: Mapping[str, Any] | None = None  # set in a grandchild

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        if self.job is not None:
            return None  # in a grandchild: pytest's own loop runs the job's tests
        jobs = list(self.request["jobs"])
        answers: list[dict[str, Any]] = [{} for _ in jobs]
        running: list[_Running] = []
        queued = iter(enumerate(jobs))
        while True:
            while len(running) < AT_ONCE and (item := next(queued, None)) is not None:
                sys.stdout.flush()
                sys.stderr.flush()  # nothing buffered may be written twice
                pid = os.fork()
                if pid == 0:
                    for other in running:
                        os.close(other.pidfd)
                    self._enter(item[1], session)
                    return None
                running.append(_Running(pid, *item))
            if not running:
                break
            for done in _wait(running):
                running.remove(done)
                answers[done.index] = done.reap()
        with open(os.path.join(self.request["ctrl"], BATCH_FILE), "w",
                  encoding="utf-8") as handle:
            json.dump(answers, handle)
        return True

    def _enter(self, job: Mapping[str, Any], session: pytest.Session) -> None:
        """In the grandchild: become the job's run."""
        os.setpgid(0, 0)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        self.job = job  # the handlers registered while collecting stay: a run's would
        child.limits(job.get("limits") or {})
        child.interpreter({**self.request, "env": job["env"]}, self.state,
                          self.state.pytest_main)
        mutant = job["mutant"]
        switched = self.state.mutants[mutant["set"]]
        activation = switched.activate(int(mutant["index"]))
        if activation["exec"]:
            os._exit(REFUSED)
        active = sys.modules.get(switched.module)
        self.phases.restart(job["ctrl"], activation,
                            lambda: [*switched.aliases(active), *self.watched])
        collected = self.request["env"].get("TTA_SANDBOX_REPORT")
        report = job["env"].get("TTA_SANDBOX_REPORT")
        if collected and report:
            with contextlib.suppress(FileNotFoundError):
                shutil.copyfile(collected, report)  # the collection's events come first
        child.configure_plugins(self.state)
        wanted = {n for n in job["env"].get("TTA_SANDBOX_SELECT", "").split("\n") if n}
        if wanted:
            dropped = [i for i in session.items if i.nodeid not in wanted]
            session.items[:] = [i for i in session.items if i.nodeid in wanted]
            if dropped:
                session.config.hook.pytest_deselected(items=dropped)


class _Running:
    """A grandchild in flight: its job, its pidfd and its wall-clock backstop."""

    def __init__(self, pid: int, index: int, job: Mapping[str, Any]) -> None:
        self.pid, self.index, self.job = pid, index, job
        self.start = time.monotonic()
        self.deadline = self.start + float((job.get("limits") or {}).get("wall_s") or 3600)
        self.pidfd = os.pidfd_open(pid)
        self.timed_out = False

    def reap(self) -> dict[str, Any]:
        """Its answer, as the server gives one for a run (killed with its group first when
        past its backstop)."""
        if self.timed_out:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        try:
            _, status, usage = os.wait4(self.pid, 0)
        finally:
            os.close(self.pidfd)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # whatever it left in its group
        limits = self.job.get("limits") or {}
        returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        hard = child.cpu_limit(limits["cpu_s"]) + 1 if limits.get("cpu_s") else None
        cpu_exceeded = returncode == -signal.SIGXCPU or (
            hard is not None and returncode == -signal.SIGKILL and not self.timed_out
            and cpu >= hard - 1)
        report: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError), open(
                os.path.join(self.job["ctrl"], child.TIMING_FILE), encoding="utf-8") as handle:
            report = json.load(handle)
        return {"pid": self.pid, "returncode": returncode, "refused": returncode == REFUSED,
                "wall_s": round(time.monotonic() - self.start, 4),
                "user_s": round(usage.ru_utime, 4), "sys_s": round(usage.ru_stime, 4),
                "cpu_s": round(cpu, 4), "maxrss_kb": usage.ru_maxrss,
                "timed_out": self.timed_out, "cpu_exceeded": cpu_exceeded,
                "orphans_killed": 0, "timing": report.get("timing", {}),
                "activation": report.get("activation")}


def _wait(running: list[_Running]) -> list[_Running]:
    """The grandchildren that ended, or passed their backstop (marked ``timed_out``)."""
    wait = max(0.0, min(r.deadline for r in running) - time.monotonic())
    ready, _, _ = select.select([r.pidfd for r in running], [], [], wait)
    now = time.monotonic()
    done = [r for r in running if r.pidfd in ready]
    for late in (r for r in running if r.pidfd not in ready and now >= r.deadline):
        late.timed_out = True
        done.append(late)
    return done


def run(request: Mapping[str, Any], state: child.ServerState) -> int:
    """The collector: set up as a run is (with every job's tests selected), collect, fork
    the jobs; its exit status."""
    phases = child.Phases(time.monotonic(), request["ctrl"])
    atexit._clear()
    child.standard_streams(phases.ctrl)
    child.limits(request.get("limits") or {})
    child.interpreter(request, state, state.pytest_main)
    child.configure_plugins(state)
    sets = [state.mutants[str(j["mutant"]["set"])] for j in request["jobs"]]
    watched: list[str] = []
    if sets:  # the mutants of one module: imported now if the server did not, as a run's
        importlib.import_module(sets[0].module)  # switch would, then one file to watch
        watched = sets[0].watch()
    child.quiet_rewrite_warning(state.warm_modules)
    jobs = _Jobs(request, state, phases, watched)
    code = int(pytest.main(list(request["args"]), plugins=[phases, jobs]))
    atexit._run_exitfuncs()
    return code
