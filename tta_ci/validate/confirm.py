"""Gate 8: an accepted file, re-checked from outside the process that judged it.

What the validator measured came from inside the test process (tta-ci's plugin), where a
hostile test could have wrapped the reporter. So every accepted file — exactly the pruned code
that will be published — runs once more in a workspace no candidate could write, under plain
``python -m coverage run --branch -m pytest`` with no tta-ci plugin loaded: under bubblewrap a
child of one ``PlainServer`` per run (a sealed sandbox, one file at a time), else a fresh
``PlainProcess`` in a fresh workspace of its own. tta-ci then reads
the JUnit XML report and the coverage data file from outside: every accepted test must be
there and pass, every accepted test must run a changed line or branch, and every changed line
the verdict claims covered must have run. Any disagreement rejects the file, with the reason.

The plain interpreter (either kind) can start before the verdict is known: it imports
pytest, coverage, the installed pytest plugins (``pytest11`` entry points, as pytest would
first thing) and Hypothesis (whose plugin imports it at the end of every session) — installed
packages only: no tta-ci plugin, no project or candidate code — and waits: a
``PlainProcess`` for one line on stdin, the arguments of ``coverage``, a ``PlainServer`` for a
request per file, each run by a child it forks. Then that process does exactly what ``python
-m coverage run --rcfile=… -m pytest …`` does, with stdin at ``/dev/null``. An empty line (or
the end of stdin) ends a ``PlainProcess`` unused. Its start-up so overlaps the other gates,
and Hypothesis is not imported under coverage's tracer at the end (about 0.2 s of CPU per
re-check); only the run itself is left for the end. Modules imported before pytest cannot be
assertion-rewritten, and pytest's warning that says so is ignored (``-W``), so that a
project's ``filterwarnings = error`` still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType

from tta_ci.core.errors import SandboxError
from tta_ci.core.scratch import scratch
from tta_ci.core.types import CheckResult, TestVerdict, Verdict
from tta_ci.sandbox.caches import machine_caches
from tta_ci.sandbox.commands import pytest_argv
from tta_ci.sandbox.isolation import sandboxed_process
from tta_ci.sandbox.warm import Budget, WarmSandbox, WarmSpec
from tta_ci.validate.layout import place_candidates
from tta_ci.validate.warmpool import WarmLauncher

__all__ = ["MAX_REPORT_BYTES", "PlainProcess", "PlainRun", "PlainServer", "disagreement",
           "plain_run", "read_plain_run", "recheck_argv"]

MAX_REPORT_BYTES = 16 * 1024 * 1024
REJECTED = "re-check disagrees"
_QUIET_PRELOAD = ("-W", "ignore::pytest.PytestAssertRewriteWarning")
_RC = "[run]\nbranch = True\ndynamic_context = test_function\ndata_file = {data}\n"
# The waiting interpreter: what a plain run imports first, then one line, then coverage's own
# command line (``coverage run … -m pytest …``) as ``python -m coverage`` runs it.
WAITING = """\
import importlib.metadata, json, os, sys
import coverage, coverage.cmdline, pytest
for point in importlib.metadata.entry_points(group="pytest11"):
    try:
        point.load()
    except Exception:
        pass
try:
    import hypothesis
except ImportError:
    pass
line = sys.stdin.readline()
if not line.strip():
    raise SystemExit(0)
args = json.loads(line)
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
raise SystemExit(coverage.cmdline.main(args))
"""


@dataclass(frozen=True)
class PlainRun:
    """What the plain run did, read from its files: outcome per test, lines per test."""

    outcomes: dict[str, str]  # "Class::test" → passed / failed / skipped
    lines: dict[str, set[int]]  # "Class::test" → lines of the target it ran
    arcs: dict[str, set[tuple[int, int]]]
    problem: str | None = None  # why the files could not be read


def recheck_argv(ctrl: Path, test_file: str, target: Path,
                 import_mode: str | None = None) -> list[str]:
    """The plain command line (no tta-ci plugin; the project's ``--import-mode``); its reports
    go to ``ctrl``."""
    rc = ctrl / "coveragerc"
    rc.write_text(_RC.format(data=ctrl / "coverage.data"), encoding="utf-8")
    argv = pytest_argv([test_file], coverage_rc=str(rc), coverage_include=[str(target)],
                       import_mode=import_mode, junit_xml=str(ctrl / "junit.xml"))
    at = argv.index("pytest") + 1
    return [*argv[:at], *_QUIET_PRELOAD, *argv[at:]]


def _test_name(case: ElementTree.Element, module: str) -> str:
    classname, name = case.get("classname", ""), case.get("name", "")
    name = name.split("[", 1)[0]
    owner = classname[len(module):].lstrip(".") if classname.startswith(module) else ""
    return f"{owner.replace('.', '::')}::{name}" if owner else name


def _outcomes(path: Path, test_file: str) -> dict[str, str]:
    if path.stat().st_size > MAX_REPORT_BYTES:
        raise ValueError("the JUnit report is too large")
    root = ElementTree.fromstring(path.read_bytes())
    module = str(PurePosixPath(test_file).with_suffix("")).replace("/", ".")
    outcomes: dict[str, str] = {}
    for case in root.iter("testcase"):
        kinds = {child.tag for child in case}
        outcome = ("failed" if kinds & {"failure", "error"} else
                   "skipped" if "skipped" in kinds else "passed")
        name = _test_name(case, module)
        if outcomes.get(name, "passed") == "passed":  # parametrized: the worst case counts
            outcomes[name] = outcome
    return outcomes


def _owner(context: str, names: Iterable[str]) -> str | None:
    """The accepted test a coverage context (``module.Class.test``) belongs to, if any."""
    for name in names:
        qualname = name.replace("::", ".")
        if context == qualname or context.endswith("." + qualname):
            return name
    return None


def _coverage(data_file: Path, target: Path, names: list[str]
              ) -> tuple[dict[str, set[int]], dict[str, set[tuple[int, int]]]]:
    """Lines and arcs of the target each test ran. coverage's ``test_function`` context names
    the first ``test*`` function called, which for a Hypothesis test is Hypothesis's own
    ``test_function``: what no context of a test holds goes to the tests that have none."""
    from coverage import CoverageData

    data = CoverageData(basename=str(data_file))
    data.read()
    wanted = os.path.realpath(target)
    files = [f for f in data.measured_files() if os.path.realpath(f) == wanted]
    lines: dict[str, set[int]] = {n: set() for n in names}
    arcs: dict[str, set[tuple[int, int]]] = {n: set() for n in names}
    other_lines: set[int] = set()
    other_arcs: set[tuple[int, int]] = set()
    for context in data.measured_contexts() if files else ():
        data.set_query_context(context)
        found, branches = set(data.lines(files[0]) or ()), set(data.arcs(files[0]) or ())
        owner = _owner(context, names)
        if owner is not None:
            lines[owner] |= found
            arcs[owner] |= branches
        elif context:  # "" is the import of the module, before any test
            other_lines |= found
            other_arcs |= branches
    for name in names:
        if not lines[name] and not arcs[name]:
            lines[name], arcs[name] = set(other_lines), set(other_arcs)
    return lines, arcs


def read_plain_run(ctrl: Path, test_file: str, target: Path, names: Iterable[str]) -> PlainRun:
    """The plain run's JUnit report and coverage data, as tta-ci reads them."""
    names = list(names)
    try:
        outcomes = _outcomes(ctrl / "junit.xml", test_file)
        lines, arcs = _coverage(ctrl / "coverage.data", target, names)
    except (OSError, ValueError, ElementTree.ParseError) as exc:
        return PlainRun({}, {}, {}, problem=f"its reports could not be read ({exc})"[:200])
    except Exception as exc:  # coverage's own data errors: the run is not confirmed
        return PlainRun({}, {}, {}, problem=f"its coverage data could not be read ({exc})"[:200])
    return PlainRun(outcomes, lines, arcs)


def disagreement(verdict: Verdict, run: PlainRun, changed: set[int]) -> str | None:
    """Why the plain run contradicts ``verdict`` (None: it agrees)."""
    if run.problem is not None:
        return run.problem
    accepted = [n for n, v in verdict.tests.items() if v.status == "accepted"]
    for name in accepted:
        outcome = run.outcomes.get(name)
        if outcome is None:
            return f"{name} did not run"
        if outcome != "passed":
            return f"{name} {outcome} when run plainly"
        ran = run.lines.get(name, set()) & changed
        branches = {a for a in run.arcs.get(name, set()) if a[0] in changed}
        if not ran and not branches:
            return f"{name} runs no changed line"
    extra = sorted(set(run.outcomes) - set(accepted))
    if extra:
        return f"{extra[0]} runs but was not judged"
    everything = set().union(*run.lines.values()) if run.lines else set()
    missing = sorted(set(verdict.covered_lines) - everything)
    if missing:
        return f"line {missing[0]} of the target did not run"
    return None


def confirmed(verdict: Verdict, problem: str | None) -> Verdict:
    """``verdict`` with its ``recheck`` check; rejected when the plain run disagreed."""
    checks = {**verdict.checks, "recheck": CheckResult(
        ok=problem is None, detail=problem or "a plain pytest + coverage run agrees")}
    if problem is None:
        return verdict.model_copy(update={"checks": checks})
    reason = f"{REJECTED}: {problem}"
    tests = {n: TestVerdict(status="rejected", reason=reason) if v.status == "accepted" else v
             for n, v in verdict.tests.items()}
    return verdict.model_copy(update={"accepted": False, "reason": reason, "checks": checks,
                                      "tests": tests, "code": None, "covered_lines": (),
                                      "feedback": reason})


class PlainProcess:
    """A plain interpreter in a fresh sandbox of workspace ``ws``, waiting for its one run.
    Constructing does no I/O; ``start`` (or ``async with``) starts it, ``close`` ends it
    (unused: told to end) and removes its control folder."""

    def __init__(self, ws: Path, *, environ: Mapping[str, str], python_path: Iterable[str],
                 isolation: str, timeout_s: float) -> None:
        self.ws = ws
        self.environ = {**environ, "PYTHONHASHSEED": "1", "PYTHONPATH": os.pathsep.join(
            str(ws / p) for p in python_path)}
        self.isolation = isolation
        self.timeout_s = timeout_s
        self.ctrl: Path | None = None
        self._stack = contextlib.AsyncExitStack()
        self._proc: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> PlainProcess:
        await self.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def start(self) -> None:
        """Start the interpreter: it imports pytest and coverage, then waits."""
        self.ctrl = scratch("recheck-")
        self._stack.callback(shutil.rmtree, self.ctrl, ignore_errors=True)
        try:
            caches = await machine_caches(self.environ, self.isolation)
            self._proc = await self._stack.enter_async_context(sandboxed_process(
                [sys.executable, "-c", WAITING], workdir=self.ws, environ=self.environ,
                isolation=self.isolation, writable=[self.ctrl], caches=caches,
                timeout_s=self.timeout_s))
        except BaseException:
            await self.close()
            raise
        self._readers = [asyncio.ensure_future(_drain(s)) for s in (self._proc.stdout,
                                                                   self._proc.stderr)]

    async def run(self, test_file: str, target: str, names: Iterable[str],
                  import_mode: str | None = None) -> PlainRun:
        """Send the go line for ``test_file`` (in the workspace by now) and read the reports."""
        proc, ctrl = self._proc, self.ctrl
        if proc is None or proc.stdin is None or ctrl is None:
            raise SandboxError("the plain interpreter of the re-check is not running")
        argv = recheck_argv(ctrl, test_file, self.ws / target, import_mode)
        try:
            proc.stdin.write(json.dumps(argv[argv.index("coverage") + 1:]).encode() + b"\n")
            await proc.stdin.drain()
            proc.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            pass  # it ended before its run: it wrote no reports, which says so
        try:
            await asyncio.wait_for(proc.wait(), timeout=self.timeout_s)
        except TimeoutError:
            return PlainRun({}, {}, {}, problem=f"it did not finish within {self.timeout_s:g}s")
        return read_plain_run(ctrl, test_file, self.ws / target, names)

    async def close(self) -> None:
        """End the interpreter (an unused one reads the end of its stdin and exits) and
        everything it started; remove its control folder."""
        proc = self._proc
        if proc is not None and proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()
        await self._stack.aclose()  # kills the sandbox's whole process group
        for reader in self._readers:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._readers.clear()


class PlainServer:
    """Gate 8 for many files: one plain interpreter in a fresh workspace of its own (made by
    ``open_workspace``; read-only in its sandbox: bubblewrap only), whose forked children each
    re-check one file, one at a time. It is a warm server (``tta_ci.sandbox.warm``) started
    with no tta-ci plugin and no project module: it imports pytest, coverage, the installed
    pytest plugins and Hypothesis, as ``PlainProcess`` does, once. A child runs ``python -m
    coverage run … -m pytest …`` as a fresh process would (``child.plain``) and is reaped, with
    everything it started, before the next file is written. Between re-checks it also serves,
    in the same turn order, the validator's runs of candidates under its hash seed
    (``borrowed``): tta-ci's pytest, whose plugin each such child imports itself; the server
    itself, non-dumpable, keeps nothing of a child. So no re-check sees another's
    file or process, and none can leave one behind: the workspace cannot be written, the files
    are the host's to place and remove, and the reports go to a control folder of the check's
    own. Constructing does no I/O; ``begin`` starts it in the background, ``close`` ends it."""

    def __init__(self, open_workspace: Callable[[], AbstractAsyncContextManager[Path]], *,
                 environ: Mapping[str, str], isolation: str, timeout_s: float,
                 hash_seed: int = 1) -> None:
        self._open = open_workspace
        self.environ = environ
        self.isolation = isolation
        self.timeout_s = timeout_s
        self.hash_seed = hash_seed
        self.checked = 0  # files re-checked
        self.lent = 0  # runs of tta-ci's pytest it served (``borrowed``)
        self._stack = contextlib.AsyncExitStack()
        self._started: asyncio.Future[tuple[Path, WarmSandbox]] | None = None
        self._turn: asyncio.Lock | None = None

    def begin(self) -> None:
        """Start it in the background (``run`` waits for it)."""
        if self._started is None:
            self._turn = asyncio.Lock()
            self._started = asyncio.ensure_future(self._start())

    async def _start(self) -> tuple[Path, WarmSandbox]:
        ws = await self._stack.enter_async_context(self._open())
        spec = WarmSpec(workspace=ws, isolation=self.isolation, plugins=(), sealed=True,
                        hash_seed=self.hash_seed)
        box = await self._stack.enter_async_context(WarmSandbox(spec, self.environ))
        return ws, box

    @contextlib.asynccontextmanager
    async def _in_turn(self) -> AsyncIterator[tuple[Path, WarmSandbox]]:
        """The started interpreter and its workspace, for one check at a time."""
        self.begin()
        assert self._started is not None and self._turn is not None
        ws, box = await asyncio.shield(self._started)
        async with self._turn:
            yield ws, box

    async def run(self, code: str, test_file: str, target: str, names: Iterable[str], *,
                  python_path: Iterable[str], import_mode: str | None = None) -> PlainRun:
        """Write ``code`` as a test file beside ``test_file``, re-check it plainly, remove it."""
        async with self._in_turn() as (ws, box):
            path = place_candidates(ws, test_file, {0: code})[0]
            ctrl = box.new_ctrl()
            try:
                argv = recheck_argv(ctrl, path, ws / target, import_mode)
                env = {**self.environ, "PYTHONPATH": os.pathsep.join(
                    str(ws / p) for p in python_path)}
                result = await box.plain(
                    argv[argv.index("coverage") + 1:], env=env, ctrl=ctrl,
                    budget=Budget(cpu_s=self.timeout_s, wall_s=self.timeout_s))
                self.checked += 1
                if result.timed_out or result.cpu_exceeded:
                    return PlainRun({}, {}, {},
                                    problem=f"it did not finish within {self.timeout_s:g}s")
                return read_plain_run(ctrl, path, ws / target, names)
            finally:
                box.release(ctrl)
                (ws / path).unlink(missing_ok=True)

    @contextlib.asynccontextmanager
    async def borrowed(self, files: Mapping[str, str]
                       ) -> AsyncIterator[tuple[Path, WarmLauncher]]:
        """For one run of tta-ci's own pytest (its plugin loaded by each child itself, before
        any candidate, as pytest loads ``-p`` plugins): the workspace with ``files``
        (workspace-relative path → text) written into it, and a launcher whose processes
        fork from this interpreter. In turn with the re-checks, as they are with each other;
        the files, and the folders made for them, go afterwards. The validator runs its
        candidates' runs under this interpreter's hash seed here (``runner.hash_seed``)."""
        async with self._in_turn() as (ws, box):
            written: list[Path] = []
            made: list[Path] = []
            try:
                for rel, text in files.items():
                    path = ws / rel
                    if not path.resolve().is_relative_to(ws.resolve()):
                        raise ValueError(f"{rel}: not inside the workspace")
                    missing = [p for p in path.parents if p.is_relative_to(ws)
                               and not p.exists()]
                    path.parent.mkdir(parents=True, exist_ok=True)
                    made += missing  # deepest first
                    path.write_text(text, encoding="utf-8")
                    written.append(path)
                self.lent += 1
                yield ws, WarmLauncher(box)
            finally:
                for path in written:
                    path.unlink(missing_ok=True)
                for folder in made:
                    with contextlib.suppress(OSError):
                        folder.rmdir()

    async def close(self) -> None:
        """End the interpreter and remove its workspace (one still starting finishes its
        start first: cut midway, it could leave a process behind)."""
        started, self._started = self._started, None
        if started is not None:
            await asyncio.wait([started])
        await self._stack.aclose()


async def _drain(stream: asyncio.StreamReader | None) -> None:
    """Read ``stream`` to its end and drop it (a full pipe would block the run; the verdict
    comes from the reports, never from what the tests print)."""
    while stream is not None and await stream.read(65536):
        pass


async def plain_run(ws: Path, test_file: str, target: str, names: Iterable[str], *,
                    environ: Mapping[str, str], python_path: Iterable[str], isolation: str,
                    timeout_s: float, import_mode: str | None = None) -> PlainRun:
    """Run ``test_file`` of workspace ``ws`` plainly in a fresh sandbox and read its reports."""
    async with PlainProcess(ws, environ=environ, python_path=python_path, isolation=isolation,
                            timeout_s=timeout_s) as process:
        return await process.run(test_file, target, names, import_mode)
