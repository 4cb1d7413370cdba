"""ResultValidator: the gates, cheapest first, for one or many candidates of one task.

Per target, once (cached across repair attempts): the existing tests run with per-test
coverage (which changed lines they miss); with ``mutation = true`` (the default), the mutants
of the changed lines (and the base version of the symbol) are planned, and each runs only the
existing tests whose coverage reached it (which mutants they kill). Per call: one workspace;
the static gates in process (the allowlist of ``policy.py``, with the imports the project
allows); then the candidates placed beside the task's test file, and a few pytest processes
for all of them together (run 0 alone with per-test coverage, then alternately with and
without the existing tests, each run in the reverse order of the one before); pollution is
pinned on a candidate only when an existing test breaks. Then each mutant the existing tests
miss runs the passing candidate tests that reach it, and gate 7 keeps the functions that add
something (``behaviour.py``). Last, every file still accepted — its pruned code, exactly what
will be published — is re-checked from outside (gate 8, ``confirm.py``) in a fresh workspace,
by a plain interpreter started there as soon as a candidate passes the static gates: it imports
pytest and coverage while the other gates run, and gets the file only once the verdict is known.
Under bubblewrap that is one ``PlainServer`` (its workspace read-only in its sandbox, one fork
per file, one file at a time) for every call of a ``shared`` validator, else for the call,
started under the second hash seed: the candidates' runs alone under that seed are forks of it
too (``_run_aside``), so the task's workspace needs one warm server, not one per seed;
under the fallback, a ``PlainProcess`` per file in a workspace of its own (``standby.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import shutil
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tta_ci.core import progress
from tta_ci.core.config import Config
from tta_ci.core.lines import python_lines
from tta_ci.core.mutants import Mutant
from tta_ci.core.paths import read_pytest_rules
from tta_ci.core.secrets import Redactor
from tta_ci.core.types import CheckResult, Task, Verdict
from tta_ci.sandbox.isolation import isolation_level
from tta_ci.sandbox.workspace import async_workspace
from tta_ci.validate.behaviour import PINNED
from tta_ci.validate.confirm import PlainProcess, PlainServer, confirmed, disagreement
from tta_ci.validate.gates import StaticReport, check_static
from tta_ci.validate.imports import import_policy
from tta_ci.validate.judge import Coverage, executable_lines, function_name, prune
from tta_ci.validate.layout import existing_tests, place_candidates, relevant_tests
from tta_ci.validate.mutation import (
    MutantRunner,
    Planned,
    RunnerFactory,
    kills,
    plan_mutants,
    reaching,
    score,
    swap_runner,
)
from tta_ci.validate.runner import Launcher, RunReport, RunSpec, hash_seed, run_pytest
from tta_ci.validate.shared import SharedWorkspace
from tta_ci.validate.standby import Standbys
from tta_ci.validate.verdict import Batch, build_verdict, functional, redacted
from tta_ci.validate.warmpool import WarmPool

__all__ = ["ResultValidator"]

MUTANT_TEST_TIMEOUT_S = 10.0  # per test, on a mutant
MUTANTS_AT_ONCE = 2  # mutant runs of one step in flight together
CONFIRMS_AT_ONCE = 2  # gate 8's plain runs of one call in flight together
WALL_BACKSTOP = 4.0  # with the CPU clock: a run's wall-clock limit, times its CPU budget


@dataclass(frozen=True)
class _Baseline:
    passed: frozenset[str]
    coverage: Coverage
    existing: tuple[str, ...] = ()
    contexts: Mapping[str, frozenset[int]] = field(default_factory=dict)  # node id → lines run
    planned: tuple[Planned, ...] | None = None  # None: mutation is off
    killed: frozenset[int] = frozenset()  # planned mutants the existing tests kill


def _contexts(report: RunReport) -> dict[str, frozenset[int]]:
    return {n: frozenset(int(x) for x in d.get("lines", ())) for n, d in report.coverage.items()}


class ResultValidator:
    """Judges generated test files for a task against the code of ``repo`` (at ``ref``)."""

    def __init__(self, config: Config, repo: Path, *, environ: Mapping[str, str],
                 ref: str | None = None, mutant_runner: RunnerFactory | None = None,
                 shared: bool = False) -> None:
        """``mutant_runner(ws, target, run)`` makes the ``run_mutant(spec, mutant)`` that runs
        tests on a mutant (default: with ``warm`` on, a fork of a warm interpreter with the
        mutant switched in, ``WarmPool``; else, or when that fails, the mutant written over
        the target file for fresh processes, ``swap_runner``). ``shared``: every call runs
        in one workspace, with its warm servers, until ``aclose`` (``shared.py``); else each
        call makes its own."""
        self.config = config
        self.shared = shared
        self.repo = repo
        self.environ = environ
        self.ref = ref
        self.warm: WarmPool | None = None
        self._own_runner = mutant_runner is None  # the default: warm, else on disk
        if mutant_runner is None and config.warm:
            self.warm = WarmPool(environ, config)
            mutant_runner = self.warm.factory
        self.mutant_runner = mutant_runner or swap_runner
        self._baselines: dict[tuple[str, ...], _Baseline] = {}
        self._cover_runs: dict[tuple[str, ...], asyncio.Task[RunReport]] = {}
        self._pythonpath: tuple[str, ...] = ()  # the project's pytest ``pythonpath``
        self._import_mode: str | None = None  # and its ``--import-mode``
        self._shared = SharedWorkspace(repo, ref, self._end_servers)
        self._plain: PlainServer | None = None  # gate 8's, of a shared validator
        self._plain_loop: asyncio.AbstractEventLoop | None = None
        self._prestarting: asyncio.Future[None] | None = None

    async def validate(self, task: Task, code: str,
                       evidence: Mapping[str, str] | None = None) -> Verdict:
        return (await self.validate_many(task, [code], [evidence or {}]))[0]

    async def validate_many(self, task: Task, codes: Sequence[str],
                            evidence: Sequence[Mapping[str, str]] = ()) -> list[Verdict]:
        """One verdict per code; ``evidence[i]`` says where the tests of ``codes[i]`` took
        their expectations from (test name → source)."""
        start = time.monotonic()
        batch = self._batch(task)
        standbys = self._standbys(task, batch)
        plain = self._plain_server(batch.isolation)
        progress.stage("preparing the sandbox")
        try:
            async with self._task_workspace() as ws:
                self._read_settings(ws)
                policy = import_policy(ws, roots=self._python_path(task), target=task.file)
                statics = [check_static(code, policy=policy) for code in codes]
                runnable = {
                    i: prune(code, [n for n, r in st.functions.items() if r is None])
                    for i, (code, st) in enumerate(zip(codes, statics, strict=True))
                    if st.file_reason is None
                }
                if runnable and plain is not None:
                    # gate 8's interpreter starts while gates 3-7 run: only where no sandbox
                    # sees another (the fallback's runs share a uid: one could reach it). It
                    # runs the candidates alone under the second hash seed too: then it
                    # starts now, else (a call's own) once the first run is done
                    batch.aside = plain if self._aside_seeds() else None
                    if plain is self._plain or batch.aside is not None:
                        plain.begin()
                    else:
                        batch.after_first_run = plain.begin
                if runnable and self.warm is not None:  # a server per hash seed, meanwhile
                    self.warm.prestart(ws, RunSpec(files=(), python_path=self._python_path(
                        task)), task.file, self._warm_seeds(plain is not None))
                if runnable:  # after the servers: it would slow their start
                    _prefetch_pruning()
                try:
                    if runnable:
                        await self._run_candidates(ws, task, batch, runnable, statics,
                                                   evidence)
                finally:
                    self._shared.remove(list(batch.paths.values()))
            verdicts = [build_verdict(i, code, st, batch, 0.0)
                        for i, (code, st) in enumerate(zip(codes, statics, strict=True))]
            if plain is None:
                standbys.reserve(sum(v.accepted for v in verdicts))
            slots = asyncio.Semaphore(CONFIRMS_AT_ONCE)

            async def confirm(verdict: Verdict) -> Verdict:
                if not verdict.accepted:
                    return verdict
                async with slots:
                    return await self._confirm(task, verdict, batch, standbys, plain)

            try:
                async with asyncio.TaskGroup() as group:  # one that fails ends the others
                    confirming = [group.create_task(confirm(v)) for v in verdicts]
            except ExceptionGroup as failed:
                raise failed.exceptions[0] from None  # what went wrong, as it was raised
            verdicts = [c.result() for c in confirming]
        finally:
            await standbys.close()  # the untaken ones end, their workspaces go
            if plain is not None and plain is not self._plain:
                await plain.close()  # the call's own
        spent = round(time.monotonic() - start, 3)
        return [redacted(v, batch.redact).model_copy(update={"duration_s": spent})
                for v in verdicts]

    async def _run_candidates(self, ws: Path, task: Task, batch: Batch,
                              runnable: dict[int, str], statics: Sequence[StaticReport],
                              evidence: Sequence[Mapping[str, str]]) -> None:
        """Gates 3 to 7 for the candidates that passed the static gates, into ``batch``."""
        # the existing tests' coverage and mutant runs go on while the candidates' runs do:
        # they need neither (only their pollution checks wait for the baseline)
        # in a thread: it reads the test files, while the loop starts the servers
        existing = await asyncio.to_thread(self._existing, ws, task, batch)
        preparing = asyncio.ensure_future(self._prepare(ws, task, batch, existing))
        try:
            batch.paths = self._place(ws, task, runnable)
            batch.evidence = {batch.paths[i]: dict(evidence[i]) for i in runnable
                              if i < len(evidence)}
            await self._run_batch(ws, task, batch, existing, preparing)
        finally:
            if not preparing.done():
                preparing.cancel()
                await asyncio.gather(preparing, return_exceptions=True)
        names = {batch.paths[i]: [n for n, r in statics[i].functions.items() if r is None]
                 for i in runnable}
        await self._candidate_kills(ws, task, batch, names)

    def _standbys(self, task: Task, batch: Batch) -> Standbys:
        """Gate 8's plain interpreters, each in a fresh workspace of the same commit."""
        def make(ws: Path) -> PlainProcess:  # the settings: read from the task's workspace
            # coverage traces pytest's plugins and collection too: twice the time
            return PlainProcess(ws, environ=self.environ, python_path=self._python_path(task),
                                isolation=batch.isolation,
                                timeout_s=2 * self.config.validation_timeout_s)

        return Standbys(self._workspace, make)

    def prestart(self, tasks: Sequence[Task]) -> None:
        """A ``shared`` validator about to judge ``tasks``: start, in the background, the
        interpreters they will use (the shared workspace's warm servers, one per hash seed of
        the runs, and gate 8's plain one), so that their start-up overlaps the generator's."""
        if not self.shared or not tasks or self._prestarting is not None:
            return
        task = tasks[0]
        plain = self._plain_server(isolation_level(self.config))

        async def start() -> None:
            ws = await self._shared.get()
            self._read_settings(ws)
            if plain is not None:
                plain.begin()
            if self.warm is not None:
                self.warm.prestart(ws, RunSpec(files=(), python_path=self._python_path(task)),
                                   task.file, self._warm_seeds(plain is not None))

        self._prestarting = asyncio.ensure_future(start())

    def _aside_seeds(self) -> set[int]:
        """The hash seeds of the runs of candidates alone that gate 8's interpreter runs
        (``runner.hash_seed``): every one but the first seed's."""
        runs = self.config.runs
        return {hash_seed(r, runs) for r in range(runs) if not _together(r, runs)} - {1}

    def _warm_seeds(self, aside: bool) -> list[int]:
        """The hash seeds the warm servers of a workspace serve: the first, and every other
        one that gate 8's interpreter does not (``aside``: there is one)."""
        runs = self.config.runs
        seeds = {1, *(hash_seed(r, runs) for r in range(runs))}
        return sorted(seeds - (self._aside_seeds() if aside else set()))

    def _plain_server(self, isolation: str) -> PlainServer | None:
        """Gate 8's plain interpreter under bubblewrap (not started yet): a ``shared``
        validator's one, made in this loop, else the call's own; None under the fallback."""
        if isolation != "bwrap":
            return None
        timeout = 2 * self.config.validation_timeout_s  # coverage traces collection too
        seed = min(self._aside_seeds(), default=1)
        if not self.shared:
            return PlainServer(self._workspace, environ=self.environ, isolation="bwrap",
                               timeout_s=timeout, hash_seed=seed)
        loop = asyncio.get_running_loop()
        if self._plain is None or self._plain_loop is not loop:
            self._plain = PlainServer(self._workspace, environ=self.environ,
                                      isolation="bwrap", timeout_s=timeout, hash_seed=seed)
            self._plain_loop = loop
        return self._plain

    async def _confirm(self, task: Task, verdict: Verdict, batch: Batch,
                       standbys: Standbys, plain: PlainServer | None) -> Verdict:
        """Gate 8: the accepted (pruned) code, written into a fresh workspace only now, run
        plainly by the interpreter waiting there in its fresh sandbox."""
        progress.stage("re-checking from outside")
        names = [n for n, v in verdict.tests.items() if v.status == "accepted"]
        if plain is not None:
            run = await plain.run(verdict.code or "", task.test_file, task.file, names,
                                  python_path=self._python_path(task),
                                  import_mode=self._import_mode)
            return confirmed(verdict, disagreement(verdict, run, batch.changed))
        async with standbys.take() as standby:
            path = place_candidates(standby.ws, task.test_file, {0: verdict.code or ""})[0]
            run = await standby.process.run(path, task.file, names, self._import_mode)
        return confirmed(verdict, disagreement(verdict, run, batch.changed))

    async def pinned(self, task: Task) -> Verdict | None:
        """With mutation on: a verdict saying "already pinned by your tests" when the existing
        tests run every changed line and kill every mutant, of at least one (no test could add
        anything)."""
        if not self.config.mutation:
            return None
        batch = self._batch(task)
        async with self._task_workspace() as ws:
            baseline = await self._prepare(ws, task, batch)
        if batch.changed - baseline.coverage.lines or batch.open_mutants or not batch.planned:
            return None  # something to add, or nothing tried that could say so
        found = score(batch.planned or (), batch.killed_by_existing, ())
        detail = (f"the existing tests run all {len(batch.changed)} changed lines and kill "
                  f"all {found.tried} mutants")
        return Verdict(accepted=False, reason=PINNED, mutation=found, isolation=batch.isolation,
                       checks={"behaviour": CheckResult(ok=False, detail=detail)},
                       uncovered_lines=())

    def _batch(self, task: Task) -> Batch:
        return Batch(task=task, isolation=isolation_level(self.config),
                     changed=set(task.changed_lines),
                     redact=Redactor.from_env(self.environ, self.config))

    def _place(self, ws: Path, task: Task, codes: Mapping[int, str]) -> dict[int, str]:
        """Write candidates into the shared workspace (no other task takes them for tests)."""
        paths = place_candidates(ws, task.test_file, codes)
        self._shared.placed.update(paths.values())
        return paths

    @contextlib.asynccontextmanager
    async def _task_workspace(self) -> AsyncIterator[Path]:
        """Where a task's gates 3 to 7 run: the validator's shared workspace when it is
        ``shared``, else a fresh one."""
        if self.shared:
            yield await self._shared.get()
            return
        async with self._workspace() as ws:
            yield ws

    @contextlib.asynccontextmanager
    async def _workspace(self) -> AsyncIterator[Path]:
        """A fresh workspace; its warm servers end with it."""
        async with async_workspace(self.repo, ref=self.ref) as ws:
            try:
                yield ws
            finally:
                await self._end_servers(ws)

    async def _end_servers(self, ws: Path) -> None:
        if self.warm is not None:
            await self.warm.release(ws)

    async def aclose(self) -> None:
        """End the shared workspace and every warm server."""
        loop = asyncio.get_running_loop()
        prestarting, self._prestarting = self._prestarting, None
        if prestarting is not None and prestarting.get_loop() is loop:
            with contextlib.suppress(Exception):
                await prestarting  # what it started is ended below
        runs = [r for r in self._cover_runs.values() if r.get_loop() is loop]
        self._cover_runs = {}
        for run in runs:  # one whose callers were all cancelled may still be running
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
        plain, self._plain = self._plain, None
        if plain is not None and self._plain_loop is loop:
            await plain.close()
        await self._shared.aclose()
        if self.warm is not None:
            await self.warm.close()

    async def recheck(self, task: Task, code: str) -> bool:
        """Whether a test accepted earlier (a cached one) still passes on the code under test:
        one sandboxed run of it, beside the task's test file."""
        progress.stage("re-running the cached test")
        async with self._task_workspace() as ws:
            self._read_settings(ws)
            paths = self._place(ws, task, {0: code})
            try:
                spec = RunSpec(files=(paths[0],), guarded=(paths[0],),
                               python_path=self._python_path(task))
                report = await self._run(ws, spec, isolation_level(self.config),
                                         target=task.file)
            finally:
                self._shared.remove(list(paths.values()))
        outcomes = [r.outcome for r in report.results.values()]
        clean = not report.collect_errors and not report.dead_files
        return clean and bool(outcomes) and all(o == "passed" for o in outcomes)

    def _python_path(self, task: Task) -> tuple[str, ...]:
        """The import root of the target, then the project's pytest ``pythonpath``."""
        return tuple(dict.fromkeys((task.import_root or ".", *self._pythonpath)))

    def _read_settings(self, ws: Path) -> None:
        rules = read_pytest_rules(str(ws))
        self._pythonpath = tuple(p for p in rules.pythonpath
                                 if not p.startswith("/") and ".." not in p.split("/"))
        self._import_mode = rules.import_mode

    def _existing(self, ws: Path, task: Task, batch: Batch) -> list[str]:
        """The project's settings, the target's changed executable lines (into ``batch``),
        and the existing tests of the target."""
        self._read_settings(ws)
        batch.source_lines = _source_lines(ws / task.file)
        executable = executable_lines("\n".join(batch.source_lines))
        batch.changed = {n for n in batch.changed if n in executable} or batch.changed
        found = [t for t in existing_tests(ws, self.config.test_dirs)
                 if t not in self._shared.placed]  # other tasks' candidates are no tests
        return relevant_tests(ws, found, task.test_file, task.module,
                              import_root=task.import_root, symbol=task.symbol)

    async def _prepare(self, ws: Path, task: Task, batch: Batch,
                       existing: list[str] | None = None) -> _Baseline:
        """The existing tests' coverage and mutant kills (once per target), into ``batch``."""
        if existing is None:
            existing = await asyncio.to_thread(self._existing, ws, task, batch)
        baseline = await self._baseline(ws, task, existing, batch)
        batch.baseline = baseline.coverage
        if baseline.planned is not None:
            batch.planned = list(baseline.planned)
            batch.killed_by_existing = set(baseline.killed)
        return baseline

    async def _run_batch(self, ws: Path, task: Task, batch: Batch, existing: list[str],
                         preparing: Awaitable[_Baseline]) -> None:
        """The candidates' runs, while the existing tests' baseline is made; the pollution
        checks of the runs with the existing tests once it is there. Where a mutant is
        written over the target in ``ws`` (a caller's own mutant runner, or no shared
        workspace), the runs from the second on wait for the baseline instead."""
        candidates = list(batch.paths.values())
        baseline: _Baseline | None = None
        aside = self._mutants_aside()
        checks: list[tuple[RunSpec, RunReport]] = []
        runs = self.config.runs
        for run in range(runs):
            together = _together(run, runs)
            alive = [f for f in candidates if f not in batch.dead]
            if not alive:
                break
            progress.stage(f"validating {run + 1}/{runs}")
            spec = RunSpec(files=tuple(alive + (existing if together else [])),
                           guarded=tuple(alive), seed=run // 2, reverse=run % 2 == 1, run=run,
                           hash_seed=hash_seed(run, runs),
                           cover=task.file if run == 0 else None,
                           python_path=self._python_path(task))
            if run > 0 and baseline is None and not aside:
                baseline = await preparing
            if batch.aside is not None and spec.hash_seed in self._aside_seeds():
                report = await self._run_aside(ws, batch.aside, spec, batch.isolation)
            else:
                report = await self._run(ws, spec, batch.isolation, target=task.file)
            batch.reports.append(report)
            batch.dead.update(report.dead_files)
            if run == 0 and batch.after_first_run is not None:
                batch.after_first_run()
            if together and existing:
                checks.append((spec, report))
        if baseline is None:
            baseline = await preparing
        for spec, report in checks:
            await self._find_polluters(ws, spec, report, baseline.passed, batch)

    async def _candidate_kills(self, ws: Path, task: Task, batch: Batch,
                               names: Mapping[str, list[str]]) -> None:
        """Each mutant the existing tests miss, run with the passing candidate tests that
        reach it: which of them kill it."""
        if not batch.planned or not batch.reports or not batch.open_mutants:
            return
        passing: set[str] = set()
        for path, listed in names.items():
            tests, _ = functional(batch, path, listed)
            good = {n for n, v in tests.items() if v.status == "accepted"}
            passing |= {n for n in batch.reports[0].results
                        if n.split("::", 1)[0] == path and function_name(n) in good}
        contexts = _contexts(batch.reports[0])
        runner = self._mutant_runner(ws, task, batch)
        planned = batch.planned
        open_mutants = sorted(batch.open_mutants)

        runs: list[tuple[int, list[str], RunSpec]] = []
        for index in open_mutants:
            selected = reaching(planned[index], contexts, passing)
            if selected:
                files = tuple(sorted({n.split("::", 1)[0] for n in selected}))
                runs.append((index, selected, RunSpec(
                    files=files, guarded=files, select=tuple(selected),
                    python_path=self._python_path(task))))
        if runs:
            progress.stage(f"mutants {_span(len(runs))}")
        reports = await _mutant_runs(runner, [(spec, planned[i].mutant) for i, _, spec in runs])
        for (index, selected, _), report in zip(runs, reports, strict=True):
            for nodeid in kills(report, selected):
                batch.kills.setdefault(nodeid, set()).add(index)

    def _mutant_runner(self, ws: Path, task: Task, batch: Batch) -> MutantRunner:
        async def run(spec: RunSpec, launcher: Launcher | None = None) -> RunReport:
            return await self._run(ws, spec, batch.isolation, mutant=True, launcher=launcher)

        if not self._mutants_aside():
            return self.mutant_runner(ws, task.file, run)
        # the candidates' runs (and the other tasks', in a shared workspace) read the files
        # of ``ws`` meanwhile: a mutant written over one is written in a copy of its own
        cold = self._private_swap(ws, task, batch)
        return cold if self.warm is None else self.warm.factory(ws, task.file, run, cold)

    def _mutants_aside(self) -> bool:
        """Whether no mutant is ever written over the target in the task's workspace: then
        the candidates' runs go on while the existing tests run on the mutants."""
        return self._own_runner and (self.shared or self.warm is not None)

    def _private_swap(self, ws: Path, task: Task, batch: Batch) -> MutantRunner:
        """``swap_runner`` in a fresh workspace per mutant, with the run's test files copied
        from ``ws`` (the candidates are only there)."""
        async def run_mutant(spec: RunSpec, mutant: Mutant) -> RunReport:
            async with self._workspace() as private:
                for rel in spec.files:
                    (private / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(ws / rel, private / rel)

                async def run(spec: RunSpec, launcher: Launcher | None = None) -> RunReport:
                    return await self._run(private, spec, batch.isolation, mutant=True,
                                           launcher=launcher)

                return await swap_runner(private, task.file, run)(spec, mutant)

        return run_mutant

    async def _run(self, ws: Path, spec: RunSpec, isolation: str, *, mutant: bool = False,
                   launcher: Launcher | None = None, target: str | None = None) -> RunReport:
        """One sandboxed run; on a mutant a test has less time (a mutant that loops for ever
        is killed by its timeout, and should not cost a quarter of the run's). With the CPU
        clock (``test_clock``), a test's budget is CPU time and the run's wall-clock limit
        only a generous backstop: a busy machine does not change a verdict. With ``target``
        (the file under test) and ``warm`` on, its processes are forks of the workspace's
        warm interpreter, else (or when that fails) fresh ones."""
        if launcher is None and target is not None and self.warm is not None:
            async def forked(spec: RunSpec, launcher: Launcher | None = None) -> RunReport:
                return await self._run(ws, spec, isolation, mutant=mutant, launcher=launcher)

            report = await self.warm.run(ws, spec, target, forked)
            if report is not None:
                return report
        timeout = self.config.validation_timeout_s
        per_test = max(1.0, timeout / 4)
        spec = spec.model_copy(update={"import_mode": self._import_mode})
        if mutant:
            per_test = min(per_test, MUTANT_TEST_TIMEOUT_S)
        if self.config.test_clock == "cpu":
            timeout *= WALL_BACKSTOP
        return await run_pytest(ws, spec, environ=self.environ, isolation=isolation,
                                timeout_s=timeout, test_timeout_s=per_test,
                                test_clock=self.config.test_clock, launcher=launcher)

    async def _run_aside(self, ws: Path, plain: PlainServer, spec: RunSpec,
                         isolation: str) -> RunReport:
        """A run of candidates alone in gate 8's interpreter, under its hash seed: their files
        copied from ``ws`` into its workspace for the run."""
        files = {f: (ws / f).read_text(encoding="utf-8") for f in spec.files}
        async with plain.borrowed(files) as (aside, launcher):
            return await self._run(aside, spec, isolation, launcher=launcher)

    async def _baseline(self, ws: Path, task: Task, existing: list[str],
                        batch: Batch) -> _Baseline:
        key = (self.ref or "", task.file, task.import_root, *map(str, task.changed_lines),
               "|", *existing)
        if key not in self._baselines:
            coverage = Coverage()
            passed: frozenset[str] = frozenset()
            contexts: dict[str, frozenset[int]] = {}
            if existing:
                report = await self._existing_coverage(ws, task, existing, batch)
                for data in report.coverage.values():
                    coverage.add(data, batch.changed)
                passed = frozenset(n for n, r in report.results.items() if r.outcome == "passed")
                contexts = _contexts(report)
            baseline = _Baseline(passed, coverage, tuple(existing), contexts)
            if self.config.mutation:
                baseline = await self._existing_kills(ws, task, batch, baseline)
            self._baselines[key] = baseline
        return self._baselines[key]

    async def _existing_coverage(self, ws: Path, task: Task, existing: list[str],
                                 batch: Batch) -> RunReport:
        """The existing tests' run with per-test coverage of the target. In the shared
        workspace, one run serves every task of a target (their changed lines differ, the run
        does not), also those that ask while it runs."""
        progress.stage("coverage of the existing tests")
        spec = RunSpec(files=tuple(existing), cover=task.file,
                       python_path=self._python_path(task))
        if not self.shared:
            return await self._run(ws, spec, batch.isolation, target=task.file)
        key = (str(ws), task.file, *spec.python_path, "|", *existing)
        loop = asyncio.get_running_loop()
        run = self._cover_runs.get(key)
        if run is None or run.get_loop() is not loop or (
                run.done() and (run.cancelled() or run.exception() is not None)):
            run = loop.create_task(self._run(ws, spec, batch.isolation, target=task.file))
            self._cover_runs[key] = run
        return await asyncio.shield(run)  # one caller cancelled: the others still wait

    async def _existing_kills(self, ws: Path, task: Task, batch: Batch,
                              baseline: _Baseline) -> _Baseline:
        text = _source_text(ws / task.file)
        planned = await asyncio.to_thread(plan_mutants, text, task, sorted(batch.changed),
                                          self.config.mutation_max_mutants)
        runner = self._mutant_runner(ws, task, batch)
        runs: list[tuple[int, list[str], RunSpec]] = []
        for index, item in enumerate(planned):
            selected = reaching(item, baseline.contexts, baseline.passed)
            if selected:  # one failing existing test is enough: stop there
                runs.append((index, selected, RunSpec(
                    files=tuple(sorted({n.split("::", 1)[0] for n in selected})),
                    select=tuple(selected), python_path=self._python_path(task), maxfail=1)))
        if runs:
            progress.stage(f"existing tests on mutants {_span(len(runs))}")
        reports = await _mutant_runs(runner, [(spec, planned[i].mutant) for i, _, spec in runs])
        killed = {i for (i, selected, _), report in zip(runs, reports, strict=True)
                  if kills(report, selected)}
        return _Baseline(baseline.passed, baseline.coverage, baseline.existing,
                         baseline.contexts, tuple(planned), frozenset(killed))

    async def _find_polluters(self, ws: Path, spec: RunSpec, report: RunReport,
                              passed: frozenset[str], batch: Batch) -> None:
        broken = sorted(n for n in passed if _outcome(report, n) != "passed")
        if not broken:
            return
        suspects = [f for f in spec.guarded if f not in batch.polluters]
        progress.stage("pollution check")
        if len(suspects) == 1:
            batch.polluters[suspects[0]] = broken[0]
            return
        existing = [f for f in spec.files if f not in spec.guarded]
        for path in suspects:
            alone = spec.model_copy(update={"files": (path, *existing), "guarded": (path,)})
            check = await self._run(ws, alone, batch.isolation, target=batch.task.file)
            hurt = [n for n in broken if _outcome(check, n) != "passed"]
            if hurt:
                batch.polluters[path] = hurt[0]


def _together(run: int, runs: int) -> bool:
    """Whether run ``run`` of ``runs`` has the existing tests with the candidates."""
    return runs == 1 or run % 2 == 1


_PREFETCHED: list[threading.Thread] = []


def _prefetch_pruning() -> None:
    """Import the pruning edit (``libcst``, a tenth of a second or two) in a thread, once per
    process: a verdict that drops a test needs it right after the last run."""
    if not _PREFETCHED:
        thread = threading.Thread(target=importlib.import_module,
                                  args=("tta_ci.validate.prune",), daemon=True)
        _PREFETCHED.append(thread)
        thread.start()


def _span(count: int) -> str:
    """The mutants a step runs together, as its stage names them: ``1/1``, ``1-4/4``."""
    return f"1/{count}" if count == 1 else f"1-{count}/{count}"


async def _mutant_runs(runner: MutantRunner, items: Sequence[tuple[RunSpec, Mutant]]
                       ) -> list[RunReport]:
    """The reports of one step's mutant runs: together when the runner can (a warm server
    forks them after one collection, ``WarmMutants.many``), else side by side."""
    many = getattr(runner, "many", None)
    if many is not None and len(items) > 1:
        return list(await many(items))
    reports: list[RunReport | None] = [None] * len(items)

    async def one(index: int) -> None:
        reports[index] = await runner(*items[index])

    await _side_by_side(one(i) for i in range(len(items)))
    return [r for r in reports if r is not None]


async def _side_by_side(runs: Iterable[Awaitable[None]]) -> None:
    """The mutant runs of one step, ``MUTANTS_AT_ONCE`` at a time (each a process of its own:
    on two cores, one task's mutants take half the time; the verdicts do not depend on the
    order)."""
    slots = asyncio.Semaphore(MUTANTS_AT_ONCE)

    async def held(run: Awaitable[None]) -> None:
        async with slots:
            await run

    await asyncio.gather(*(held(r) for r in runs))


def _outcome(report: RunReport, nodeid: str) -> str:
    record = report.results.get(nodeid)
    return record.outcome if record is not None else "missing"


def _source_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _source_lines(path: Path) -> list[str]:
    return python_lines(_source_text(path))
