"""Batched pytest runs in the sandbox, read back from the plugin's event file.

One ``run_pytest`` call is one or more pytest processes over a set of test files: when a
process dies before the end (interpreter crash, ``os._exit``, wall-clock timeout), the test
or file that was running is recorded as ``crashed``/``timeout`` and the rest is run again
without it, so a single bad test never costs the results of the others.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from tta_ci.core.scratch import scratch_dir
from tta_ci.sandbox.commands import PLUGIN, pytest_argv
from tta_ci.sandbox.isolation import SandboxResult, run_sandboxed
from tta_ci.sandbox.view import readable_paths

__all__ = ["ColdLauncher", "Launcher", "RunReport", "RunSpec", "TestRecord", "hash_seed",
           "run_pytest"]

MAX_RESTARTS = 20
MAX_EVENT_BYTES = 64 * 1024 * 1024
RESTART_BUDGET = 3  # all restarts of one run together: at most this many times its timeout


class TestRecord(BaseModel):
    __test__ = False

    nodeid: str
    outcome: str  # passed, failed, skipped, timeout, crashed
    phase: str = "call"
    exc_type: str = ""
    message: str = ""
    longrepr: str = ""
    output_bytes: int = 0
    violation: str | None = None


class RunSpec(BaseModel):
    """How to run one pytest process; the order is decided by (seed, reverse)."""

    files: tuple[str, ...]  # relative to the workspace
    guarded: tuple[str, ...] = ()  # candidate files: their tests are guarded
    seed: int = 0
    reverse: bool = False
    run: int = 0
    cover: str | None = None  # target file to measure, relative to the workspace
    python_path: tuple[str, ...] = ()  # relative to the workspace
    select: tuple[str, ...] = ()  # node ids to run (empty: every test of ``files``)
    import_mode: str | None = None  # the project's ``--import-mode``
    maxfail: int = 0  # stop after that many failures (0: never)

    hash_seed: int = 1  # the run's ``PYTHONHASHSEED`` (``hash_seed``)


def hash_seed(run: int, runs: int) -> int:
    """The ``PYTHONHASHSEED`` of run ``run`` of ``runs``. With three or more, the runs alone
    (even) alternate two seeds, 1 then 2, and the runs with the existing tests (odd) keep the
    first: the second seed is only ever asked of the candidates alone, which gate 8's
    interpreter can run (``ResultValidator``), so the existing tests need no second
    interpreter. With two runs, the second (with the existing tests) takes the second seed.
    A warm interpreter's seed is fixed when it starts: each seed is one server."""
    if runs == 2:
        return run + 1
    return 2 if run % 4 == 2 else 1


class RunReport(BaseModel):
    results: dict[str, TestRecord] = Field(default_factory=dict)
    collect_errors: dict[str, str] = Field(default_factory=dict)  # file → message
    # file → what its module level tried while it was imported (refused by the guard)
    file_violations: dict[str, str] = Field(default_factory=dict)
    exit_violation: str | None = None  # what ran after the session tried (atexit, threads)
    guarded: tuple[str, ...] = ()  # the candidate files of the run
    dead_files: dict[str, str] = Field(default_factory=dict)  # file → "crashed"/"timeout"
    coverage: dict[str, dict[str, list[Any]]] = Field(default_factory=dict)
    processes: int = 0
    stderr: str = ""


class Launcher(Protocol):
    """Starts one pytest process over a spec's files and waits for it."""

    def control(self) -> contextlib.AbstractAsyncContextManager[Path]:
        """A fresh folder the process may write (its events file, coverage data)."""

    async def launch(self, spec: RunSpec, env: dict[str, str], ctrl: Path,
                     timeout_s: float) -> SandboxResult:
        """``python -m pytest`` over ``spec.files`` with the environment ``env``."""


@dataclass(frozen=True)
class ColdLauncher:
    """A fresh sandboxed interpreter per process."""

    ws: Path
    isolation: str

    @contextlib.asynccontextmanager
    async def control(self) -> AsyncIterator[Path]:
        with scratch_dir("run-") as ctrl:
            yield ctrl

    async def launch(self, spec: RunSpec, env: dict[str, str], ctrl: Path,
                     timeout_s: float) -> SandboxResult:
        argv = pytest_argv(list(spec.files), plugin=PLUGIN, import_mode=spec.import_mode,
                           maxfail=spec.maxfail)
        return await run_sandboxed(argv, workdir=self.ws, isolation=self.isolation,
                                   timeout_s=timeout_s, environ=env, writable=[ctrl])


def _environ(environ: Mapping[str, str], spec: RunSpec, ws: Path, ctrl: Path,
             test_timeout_s: float, test_clock: str) -> dict[str, str]:
    env = dict(environ)
    env.update({
        "PYTHONPATH": os.pathsep.join(str(ws / p) for p in spec.python_path),
        "PYTHONHASHSEED": str(spec.hash_seed),
        "TTA_SANDBOX_REPORT": str(ctrl / "events.jsonl"),
        "TTA_SANDBOX_SEED": str(spec.seed),
        "TTA_SANDBOX_REVERSE": "1" if spec.reverse else "0",
        "TTA_SANDBOX_RUN": str(spec.run),
        "TTA_SANDBOX_COVER": str(ws / spec.cover) if spec.cover else "",
        "TTA_SANDBOX_COVDATA": str(ctrl / ".coverage"),
        "TTA_SANDBOX_GUARDED": os.pathsep.join(str(ws / f) for f in spec.guarded),
        "TTA_SANDBOX_WRITABLE": "",  # guarded code writes into tmp_path only, never ``ctrl``
        "TTA_SANDBOX_READABLE": os.pathsep.join(readable_paths(sys.executable)),
        "TTA_SANDBOX_TEST_TIMEOUT": str(test_timeout_s),
        "TTA_SANDBOX_TEST_CLOCK": test_clock,
        "TTA_SANDBOX_SELECT": "\n".join(spec.select),
    })
    return env


def _events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    events = []
    with path.open("rb") as f:
        text = f.read(MAX_EVENT_BYTES).decode("utf-8", errors="replace")
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            break  # the process died mid-line
    return events


def _rel(path: str, ws: Path) -> str:
    try:
        return Path(path).resolve().relative_to(ws.resolve()).as_posix()
    except ValueError:
        return path


def _apply(events: list[dict[str, Any]], report: RunReport, ws: Path) -> tuple[bool, str | None,
                                                                              str | None]:
    """Fold events into ``report``; (finished, test running at the end, file collecting)."""
    running: str | None = None
    collecting: str | None = None
    finished = False
    for event in events:
        kind = event.pop("event")
        if kind == "start":
            running = event["nodeid"]
        elif kind == "result":
            report.results[event["nodeid"]] = TestRecord.model_validate(event)
            running = None
        elif kind == "collect_start":
            collecting = _rel(event["path"], ws)
        elif kind == "collect_end":
            collecting = None
        elif kind == "collect_error":
            report.collect_errors[_rel(event["path"], ws)] = event["message"]
        elif kind == "collect_violation":
            report.file_violations[_rel(event["path"], ws)] = event["violation"]
        elif kind == "exit_violation":
            report.exit_violation = report.exit_violation or event["violation"]
        elif kind == "coverage":
            report.coverage = event["contexts"]
        elif kind == "finished":
            finished = True
    return finished, running, collecting


def _culprit(running: str | None, collecting: str | None, result: SandboxResult,
             report: RunReport) -> str | None:
    """Record the test or file that ended the process; return its file."""
    outcome = "timeout" if result.timed_out else "crashed"
    if running is not None:
        detail = result.stderr[-2000:] if outcome == "crashed" else ""
        report.results[running] = TestRecord(
            nodeid=running, outcome=outcome, message=f"exit status {result.returncode}",
            longrepr=detail)
        path = running.split("::", 1)[0]
    elif collecting is not None:
        path = collecting
    else:
        return None
    report.dead_files[path] = outcome
    return path


async def run_pytest(ws: Path, spec: RunSpec, *, environ: Mapping[str, str], isolation: str,
                     timeout_s: float, test_timeout_s: float, test_clock: str = "wall",
                     launcher: Launcher | None = None) -> RunReport:
    """Run the files of ``spec`` until every one has run to the end or died. ``test_clock``:
    what ``test_timeout_s`` counts (``cpu`` or ``wall``); ``launcher``: how each process
    starts (default: a fresh sandboxed interpreter)."""
    launcher = launcher or ColdLauncher(ws, isolation)
    report = RunReport(guarded=spec.guarded)
    files = list(spec.files)
    deadline = time.monotonic() + RESTART_BUDGET * timeout_s  # restarts cannot go on for ever
    while files and report.processes < MAX_RESTARTS:
        if report.processes and time.monotonic() >= deadline:
            for name in files:
                report.dead_files.setdefault(name, "timeout")
            break
        async with launcher.control() as ctrl:
            current = spec.model_copy(update={"files": tuple(files)})
            env = _environ(environ, current, ws, ctrl, test_timeout_s, test_clock)
            result = await launcher.launch(current, env, ctrl, timeout_s)
            report.processes += 1
            finished, running, collecting = _apply(_events(ctrl / "events.jsonl"), report, ws)
        report.stderr = (result.stdout[-3000:] + result.stderr[-3000:])
        if finished:
            break
        path = _culprit(running, collecting, result, report)
        if path is None or path not in files:
            for name in files:
                report.dead_files.setdefault(name, "timeout" if result.timed_out else "crashed")
            break
        files.remove(path)
    return report
