"""Mutant runs in a warm interpreter, with fresh processes as the fallback.

A ``WarmPool`` belongs to one ``ResultValidator``: per workspace it starts one warm pytest
server (``tta_ci.sandbox.warm``) in the same sandbox as a cold run (the same view, limits and
filtered environment), with the target module imported once, and runs every mutant of that
workspace as a fork of it, the mutant switched in by ``__code__`` (``tta_ci.sandbox.swap``)
instead of written to disk. Its ``factory`` is the validator's ``mutant_runner``.

The mutant runs of one step (``WarmMutants.many``) whose specs differ only in the tests they
select fork after one collection (``WarmSandbox.run_batch``): each run's first process is a
job of a ``_Batch`` that starts once every run of the step has come to it. A mutant whose
switch must execute the module (import-time code) runs alone, as does any later process of
a run (after a crash or a timeout) and any job the batch did not answer.

Whenever the warm path cannot answer for a run — the server does not start (even without the
target imported), stops answering, or a test loaded the target's file under a second module
name (which the switch does not reach) — that run is done again the cold way
(``swap_runner``), and so is every later one of the workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tta_ci.core.config import Config
from tta_ci.core.errors import SandboxError
from tta_ci.sandbox.commands import PLUGIN, pytest_args
from tta_ci.sandbox.isolation import SandboxResult, isolation_level
from tta_ci.sandbox.warm import BatchJob, Budget, MutantRef, WarmResult, WarmSandbox, WarmSpec
from tta_ci.validate.mutation import Mutant, MutantRunner, RunFn, swap_runner
from tta_ci.validate.runner import RunReport, RunSpec

__all__ = ["BatchLauncher", "WarmLauncher", "WarmMutants", "WarmPool", "module_name"]

log = logging.getLogger(__name__)


def _batch_key(spec: RunSpec) -> tuple[object, ...]:
    """What the runs of one batch share: all of the spec but its selection."""
    return (spec.files, spec.guarded, spec.seed, spec.reverse, spec.run, spec.hash_seed,
            spec.cover, spec.python_path, spec.import_mode, spec.maxfail)


def module_name(target: str, roots: tuple[str, ...]) -> str | None:
    """The dotted name ``target`` (a workspace-relative ``.py`` file) is imported by from the
    first import root holding it; None when none does."""
    path = PurePosixPath(target)
    for root in roots or (".",):
        base = PurePosixPath(root)
        try:
            rel = path.relative_to(base) if str(base) not in ("", ".") else path
        except ValueError:
            continue
        if rel.suffix != ".py":
            return None
        parts = list(rel.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts and all(p.isidentifier() for p in parts):
            return ".".join(parts)
    return None


@dataclass
class WarmLauncher:
    """The ``runner.Launcher`` of a warm server: each process a fork, with ``mutant`` on."""

    box: WarmSandbox
    mutant: MutantRef | None = None

    @contextlib.asynccontextmanager
    async def control(self) -> AsyncIterator[Path]:
        ctrl = self.box.new_ctrl()
        try:
            yield ctrl
        finally:
            self.box.release(ctrl)

    async def launch(self, spec: RunSpec, env: dict[str, str], ctrl: Path,
                     timeout_s: float) -> SandboxResult:
        result = await self.box.run(_args(spec), env=env, budget=_budget(timeout_s),
                                    mutant=self.mutant, ctrl=ctrl)
        return _checked(result)


def _args(spec: RunSpec) -> list[str]:
    return pytest_args(list(spec.files), plugin=PLUGIN, import_mode=spec.import_mode,
                       maxfail=spec.maxfail)


def _budget(timeout_s: float) -> Budget:
    return Budget(cpu_s=timeout_s, wall_s=timeout_s)


def _checked(result: WarmResult) -> SandboxResult:
    aliases = (result.activation or {}).get("aliases")
    if aliases:
        raise SandboxError(f"the tests load the target a second time: {', '.join(aliases)}")
    return result.sandbox_result()


class _Batch:
    """The mutant runs of one step that share their files (not their selections): once all
    ``size`` of them have come to their first process (``join``) or given up before it
    (``leave``), one request runs them all after one collection (``WarmSandbox.run_batch``)."""

    def __init__(self, box: WarmSandbox, size: int) -> None:
        self.box = box
        self.size = size
        self._jobs: dict[int, tuple[list[str], BatchJob]] = {}
        self._gone: set[int] = set()
        self._run: asyncio.Future[dict[int, WarmResult | None]] | None = None
        self._started = asyncio.Event()

    async def join(self, index: int, args: list[str], job: BatchJob) -> WarmResult | None:
        self._jobs[index] = (args, job)
        self._start()
        await self._started.wait()  # the others are still on their way
        assert self._run is not None
        return (await asyncio.shield(self._run)).get(index)

    def leave(self, index: int) -> None:
        if index not in self._jobs:
            self._gone.add(index)
            self._start()

    def _start(self) -> None:
        if self._run is None and self._jobs and len(self._jobs) + len(self._gone) >= self.size:
            self._run = asyncio.ensure_future(self._all())
            self._started.set()

    async def _all(self) -> dict[int, WarmResult | None]:
        order = sorted(self._jobs)
        jobs = [self._jobs[i][1] for i in order]
        budget = Budget(cpu_s=max(j.budget.cpu_s for j in jobs),
                        wall_s=max(j.budget.wall_s for j in jobs))
        results = await self.box.run_batch(self._jobs[order[0]][0], jobs, budget=budget)
        return dict(zip(order, results, strict=True))


@dataclass
class BatchLauncher(WarmLauncher):
    """A ``WarmLauncher`` whose first process is a job of ``batch`` (when the batch could
    not run it, and for any later process of the run: a run of its own)."""

    batch: _Batch | None = None
    index: int = 0
    batched: bool = False  # the batch ran its first process

    async def launch(self, spec: RunSpec, env: dict[str, str], ctrl: Path,
                     timeout_s: float) -> SandboxResult:
        batch, self.batch = self.batch, None
        if batch is not None and self.mutant is not None:
            result = await batch.join(self.index, _args(spec),
                                      BatchJob(ctrl, env, _budget(timeout_s), self.mutant))
            if result is not None:
                self.batched = True
                return _checked(result)
        return await super().launch(spec, env, ctrl, timeout_s)


@dataclass
class WarmMutants:
    """The ``MutantRunner`` of a workspace (``WarmPool.factory``): one mutant at a time, or
    the runs of one step together (``many``)."""

    pool: WarmPool
    ws: Path
    target: str
    run: RunFn
    cold: MutantRunner

    async def __call__(self, spec: RunSpec, mutant: Mutant) -> RunReport:
        report = await self.pool.run(self.ws, spec, self.target, self.run, mutant)
        return report if report is not None else await self.cold(spec, mutant)

    async def many(self, items: Sequence[tuple[RunSpec, Mutant]]) -> list[RunReport]:
        """Each ``(spec, mutant)`` run; those of one spec but their selection after one
        collection; all of them one at a time the usual way when the warm path cannot."""
        reports = await self.pool.run_many(self.ws, self.target, self.run, items)
        if reports is not None:
            return reports
        return [await self(spec, mutant) for spec, mutant in items]


class WarmPool:
    """The warm servers of one validator: per workspace, one per hash seed (the seed of an
    interpreter is fixed when it starts), ended with the workspace."""

    def __init__(self, environ: Mapping[str, str], config: Config) -> None:
        self.environ = environ
        self.config = config
        self._boxes: dict[tuple[Path, int], WarmSandbox] = {}
        self._cold: set[Path] = set()  # workspaces where the warm path gave up
        # per server: the mutant sets compiled there, and what switching each mutant in does
        self._plans: dict[tuple[Path, int], dict[str, list[dict[str, object]]]] = {}
        self._starting: dict[tuple[Path, int], asyncio.Future[WarmSandbox | str]] = {}
        self.fallbacks: list[str] = []  # why, each time the warm path gave up
        self.warm_runs = 0  # runs the warm path answered
        self.batched_runs = 0  # of which forked after a collection they shared

    async def run(self, ws: Path, spec: RunSpec, target: str, run: RunFn,
                  mutant: Mutant | None = None) -> RunReport | None:
        """``run(spec)`` with its processes forked from the warm server of ``ws`` (that has
        ``target`` imported), ``mutant`` switched in; None when the warm path cannot answer
        for it (then, and from now on in ``ws``, the caller runs cold)."""
        module = module_name(target, spec.python_path)
        if module is None or ws in self._cold:
            return None
        try:
            box = await self._box(ws, spec, target, module)
            if box is None:
                return None
            ref = await self._load(box, ws, target, module, mutant) if mutant else None
            report = await run(spec, WarmLauncher(box, ref))
        except SandboxError as exc:
            await self._give_up(ws, str(exc))
            return None
        self.warm_runs += 1
        return report

    def factory(self, ws: Path, target: str, run: RunFn,
                cold: MutantRunner | None = None) -> WarmMutants:
        """``mutant_runner(ws, target, run)``: each mutant in the warm server of ``ws``,
        else as ``cold`` runs it (default: ``swap_runner`` in ``ws``)."""
        return WarmMutants(self, ws, target, run, cold or swap_runner(ws, target, run))

    async def run_many(self, ws: Path, target: str, run: RunFn,
                       items: Sequence[tuple[RunSpec, Mutant]]) -> list[RunReport] | None:
        """``run(spec)`` for each ``(spec, mutant)`` in the warm server of ``ws``. The runs
        whose specs differ only in their selection, and whose mutants can be switched in
        after a collection (no import-time code differs), fork after one collection; the
        others run alone, two at a time. None when the warm path cannot answer (then, and
        from now on in ``ws``, the caller runs cold)."""
        if not items:
            return []
        first = items[0][0]
        module = module_name(target, first.python_path)
        if (module is None or ws in self._cold
                or len({spec.hash_seed for spec, _ in items}) > 1):
            return None
        try:
            box = await self._box(ws, first, target, module)
            if box is None:
                return None
            set_id, plans = await self._load_all(box, ws, target, module,
                                                 [m for _, m in items])
            groups: dict[tuple[object, ...], list[int]] = {}
            for index, (spec, _) in enumerate(items):
                if not plans[index].get("import_time"):
                    groups.setdefault(_batch_key(spec), []).append(index)
            batches: dict[int, tuple[_Batch, int]] = {}
            for members in groups.values():
                if len(members) > 1:
                    batch = _Batch(box, len(members))
                    batches.update({i: (batch, n) for n, i in enumerate(members)})
            alone = asyncio.Semaphore(2)

            async def one(index: int) -> RunReport:
                spec = items[index][0]
                ref = MutantRef(set_id, index)
                if index not in batches:
                    async with alone:
                        return await run(spec, WarmLauncher(box, ref))
                batch, number = batches[index]
                launcher = BatchLauncher(box, ref, batch, number)
                try:
                    return await run(spec, launcher)
                finally:
                    batch.leave(number)
                    self.batched_runs += launcher.batched

            reports: list[RunReport] = []
            for outcome in await asyncio.gather(*(one(i) for i in range(len(items))),
                                                return_exceptions=True):
                if isinstance(outcome, BaseException):
                    raise outcome  # every run has ended: none is left behind
                reports.append(outcome)
        except SandboxError as exc:
            await self._give_up(ws, str(exc))
            return None
        self.warm_runs += len(items)
        return reports

    def prestart(self, ws: Path, spec: RunSpec, target: str, seeds: Iterable[int]) -> None:
        """Start, in the background, the servers of ``ws`` for ``spec`` under each hash seed
        of ``seeds``, together: on two cores the second is up when the first is."""
        module = module_name(target, spec.python_path)
        if module is None or ws in self._cold:
            return
        for seed in dict.fromkeys(seeds):
            later = spec.model_copy(update={"hash_seed": seed})
            key = (ws, seed)
            if key not in self._boxes and key not in self._starting:
                self._starting[key] = asyncio.ensure_future(
                    self._start(ws, later, target, module))

    async def _box(self, ws: Path, spec: RunSpec, target: str, module: str
                   ) -> WarmSandbox | None:
        """The server of ``ws`` for the spec's hash seed: started once, whoever asks first
        (the tasks of a run share a workspace, and ask at once)."""
        key = (ws, spec.hash_seed)
        while key not in self._boxes:
            starting = self._starting.get(key)
            if starting is None:
                starting = self._starting[key] = asyncio.ensure_future(
                    self._start(ws, spec, target, module))
            try:
                box = await asyncio.shield(starting)
            except asyncio.CancelledError:
                if starting.cancelled():  # the workspace went cold meanwhile, not this task
                    return None
                raise
            if self._starting.get(key) is starting:
                del self._starting[key]
                if isinstance(box, str):
                    await self._give_up(ws, box)
                elif ws in self._cold:
                    await box.close()
                else:
                    self._boxes[key] = box
            if ws in self._cold:
                return None
        return self._boxes[key]

    async def _start(self, ws: Path, spec: RunSpec, target: str, module: str
                     ) -> WarmSandbox | str:
        """With the target imported once (its import-time lines kept as coverage); else
        (its import fails here, or starts a thread) without; else why neither started."""
        why = ""
        for preload in ((module,), ()):
            warm = WarmSpec(workspace=ws, isolation=isolation_level(self.config),
                            python_path=spec.python_path or (".",), preload=preload,
                            cover=target if preload else None, hash_seed=spec.hash_seed)
            try:
                return await WarmSandbox.start(warm, self.environ)
            except SandboxError as exc:
                why = str(exc)
        return why or "the warm server did not start"

    async def _load(self, box: WarmSandbox, ws: Path, target: str, module: str,
                    mutant: Mutant) -> MutantRef:
        set_id, _ = await self._load_all(box, ws, target, module, [mutant])
        return MutantRef(set_id, 0)

    async def _load_all(self, box: WarmSandbox, ws: Path, target: str, module: str,
                        found: Sequence[Mutant]) -> tuple[str, list[dict[str, object]]]:
        """Every mutant of ``found`` compiled in the server as one set: its id, and per
        mutant what switching it in does."""
        digest = hashlib.sha256()
        for mutant in found:
            digest.update(mutant.source.encode("utf-8") + b"\0")
        set_id = digest.hexdigest()[:16]
        key = (ws, box.spec.hash_seed)
        if set_id not in self._plans.get(key, {}):
            path = ws / target
            original = path.read_text(encoding="utf-8", errors="replace")
            plans = await box.load_mutants(set_id, module, path, original,
                                           [m.source for m in found])
            self._plans.setdefault(key, {})[set_id] = plans
        return set_id, self._plans[key][set_id]

    async def _give_up(self, ws: Path, why: str) -> None:
        self.fallbacks.append(why)
        log.info("the runs of %s are cold from now on: %s", ws, why)
        self._cold.add(ws)
        await self._close(ws)

    async def _close(self, ws: Path) -> None:
        for key in [k for k in self._starting if k[0] == ws]:  # never the caller's own task
            starting = self._starting.pop(key)
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                box = await starting
                if isinstance(box, WarmSandbox):
                    await box.close()
        for key in [k for k in self._boxes if k[0] == ws]:
            self._plans.pop(key, None)
            await self._boxes.pop(key).close()

    async def release(self, ws: Path) -> None:
        """The workspace ``ws`` is done with: end its servers."""
        self._cold.discard(ws)
        await self._close(ws)

    async def close(self) -> None:
        """End every server."""
        for ws in {k[0] for k in [*self._boxes, *self._starting]}:
            await self.release(ws)
