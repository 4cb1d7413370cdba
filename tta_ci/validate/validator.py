"""ResultValidator: the gates, cheapest first, for one or many candidates of one task.

Per call: one workspace; the static gates in process (the allowlist of ``policy.py``, with the
imports the project allows); then the candidates placed beside the task's test file, and a
few pytest processes for all of them together (run 0 alone with per-test coverage, then
alternately with and without the existing tests, each run in the reverse order of the one
before); pollution is pinned on a candidate only when an existing test breaks. The existing
tests' coverage of the changed lines is measured once per target. With ``mutation = true``,
the accepted candidates then face the mutants of the changed lines (``mutation.py``) in the
same workspace. Last, every file still accepted — its pruned code, exactly what will be
published — is re-checked from outside (``confirm.py``) in a fresh workspace and sandbox.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tta_ci.core import progress
from tta_ci.core.config import Config
from tta_ci.core.secrets import Redactor
from tta_ci.core.types import Task, Verdict
from tta_ci.sandbox.isolation import isolation_level
from tta_ci.sandbox.workspace import workspace
from tta_ci.validate.confirm import confirmed, disagreement, plain_run
from tta_ci.validate.gates import check_static
from tta_ci.validate.imports import import_policy
from tta_ci.validate.judge import Coverage, executable_lines, prune
from tta_ci.validate.layout import existing_tests, place_candidates, relevant_tests
from tta_ci.validate.mutation import mutation_gate
from tta_ci.validate.runner import RunReport, RunSpec, run_pytest
from tta_ci.validate.verdict import Batch, build_verdict, redacted

__all__ = ["ResultValidator"]


@dataclass(frozen=True)
class _Baseline:
    passed: frozenset[str]
    coverage: Coverage
    existing: tuple[str, ...] = ()


class ResultValidator:
    """Judges generated test files for a task against the code of ``repo`` (at ``ref``)."""

    def __init__(self, config: Config, repo: Path, *, environ: Mapping[str, str],
                 ref: str | None = None) -> None:
        self.config = config
        self.repo = repo
        self.environ = environ
        self.ref = ref
        self._baselines: dict[tuple[str, ...], _Baseline] = {}

    async def validate(self, task: Task, code: str) -> Verdict:
        return (await self.validate_many(task, [code]))[0]

    async def validate_many(self, task: Task, codes: Sequence[str]) -> list[Verdict]:
        start = time.monotonic()
        isolation = isolation_level(self.config)
        batch = Batch(task=task, isolation=isolation, changed=set(task.changed_lines),
                      redact=Redactor.from_env(self.environ, self.config))
        progress.stage("preparing the sandbox")
        context = workspace(self.repo, ref=self.ref)
        ws = await asyncio.to_thread(context.__enter__)
        try:
            policy = import_policy(ws, roots=(task.import_root or ".",), target=task.file)
            statics = [check_static(code, policy=policy) for code in codes]
            runnable = {
                i: prune(code, [n for n, r in st.functions.items() if r is None])
                for i, (code, st) in enumerate(zip(codes, statics, strict=True))
                if st.file_reason is None
            }
            baseline = await self._run_batch(ws, task, runnable, batch) if runnable else None
            verdicts = [build_verdict(i, code, st, batch, 0.0)
                        for i, (code, st) in enumerate(zip(codes, statics, strict=True))]
            if baseline is not None and self.config.mutation:
                verdicts = await self._mutation(ws, task, verdicts, batch, baseline)
        finally:
            await asyncio.to_thread(context.__exit__, None, None, None)
        verdicts = [await self._confirm(task, v, batch) if v.accepted else v for v in verdicts]
        spent = round(time.monotonic() - start, 3)
        return [redacted(v, batch.redact).model_copy(update={"duration_s": spent})
                for v in verdicts]

    async def _confirm(self, task: Task, verdict: Verdict, batch: Batch) -> Verdict:
        """Gate 8: the accepted (pruned) code, run plainly in a fresh workspace and sandbox."""
        context = workspace(self.repo, ref=self.ref)
        ws = await asyncio.to_thread(context.__enter__)
        try:
            path = place_candidates(ws, task.test_file, {0: verdict.code or ""})[0]
            names = [n for n, v in verdict.tests.items() if v.status == "accepted"]
            run = await plain_run(ws, path, task.file, names, environ=self.environ,
                                  python_path=(task.import_root or ".",),
                                  isolation=batch.isolation,
                                  # coverage traces from the start here: pytest's own start-up too
                                  timeout_s=2 * self.config.validation_timeout_s)
        finally:
            await asyncio.to_thread(context.__exit__, None, None, None)
        return confirmed(verdict, disagreement(verdict, run, batch.changed))

    async def recheck(self, task: Task, code: str) -> bool:
        """Whether a test accepted earlier (a cached one) still passes on the code under test:
        one sandboxed run of it, beside the task's test file."""
        progress.stage("re-running the cached test")
        context = workspace(self.repo, ref=self.ref)
        ws = await asyncio.to_thread(context.__enter__)
        try:
            paths = place_candidates(ws, task.test_file, {0: code})
            spec = RunSpec(files=(paths[0],), guarded=(paths[0],),
                           python_path=(task.import_root or ".",))
            report = await self._run(ws, spec, isolation_level(self.config))
        finally:
            await asyncio.to_thread(context.__exit__, None, None, None)
        outcomes = [r.outcome for r in report.results.values()]
        clean = not report.collect_errors and not report.dead_files
        return clean and bool(outcomes) and all(o == "passed" for o in outcomes)

    async def _mutation(self, ws: Path, task: Task, verdicts: list[Verdict], batch: Batch,
                        baseline: _Baseline) -> list[Verdict]:
        async def run(spec: RunSpec) -> RunReport:
            return await self._run(ws, spec, batch.isolation)

        return await mutation_gate(
            ws, task.file, verdicts, batch.paths, existing=baseline.existing,
            passed=baseline.passed, changed=sorted(batch.changed),
            python_path=(task.import_root or ".",), limit=self.config.mutation_max_mutants,
            run=run, redact=batch.redact)

    async def _run_batch(self, ws: Path, task: Task, runnable: dict[int, str],
                         batch: Batch) -> _Baseline:
        existing = relevant_tests(
            ws, existing_tests(ws, self.config.test_dirs), task.test_file, task.module
        )
        batch.paths = place_candidates(ws, task.test_file, runnable)
        batch.source_lines = _source_lines(ws / task.file)
        executable = executable_lines("\n".join(batch.source_lines))
        batch.changed = {n for n in batch.changed if n in executable} or batch.changed
        baseline = await self._baseline(ws, task, existing, batch)
        batch.baseline = baseline.coverage
        candidates = list(batch.paths.values())
        for run in range(self.config.runs):
            together = self.config.runs == 1 or run % 2 == 1
            alive = [f for f in candidates if f not in batch.dead]
            if not alive:
                break
            progress.stage(f"validating {run + 1}/{self.config.runs}")
            spec = RunSpec(files=tuple(alive + (existing if together else [])),
                           guarded=tuple(alive), seed=run // 2, reverse=run % 2 == 1, run=run,
                           cover=task.file if run == 0 else None,
                           python_path=(task.import_root or ".",))
            report = await self._run(ws, spec, batch.isolation)
            batch.reports.append(report)
            batch.dead.update(report.dead_files)
            if together and existing:
                await self._find_polluters(ws, spec, report, baseline.passed, batch)
        return baseline

    async def _run(self, ws: Path, spec: RunSpec, isolation: str) -> RunReport:
        timeout = self.config.validation_timeout_s
        return await run_pytest(ws, spec, environ=self.environ, isolation=isolation,
                                timeout_s=timeout, test_timeout_s=max(1.0, timeout / 4))

    async def _baseline(self, ws: Path, task: Task, existing: list[str],
                        batch: Batch) -> _Baseline:
        isolation, changed = batch.isolation, batch.changed
        key = (self.ref or "", task.file, task.import_root, *map(str, task.changed_lines),
               "|", *existing)
        if key not in self._baselines:
            coverage = Coverage()
            passed: frozenset[str] = frozenset()
            if existing:
                progress.stage("coverage of the existing tests")
                spec = RunSpec(files=tuple(existing), cover=task.file,
                               python_path=(task.import_root or ".",))
                report = await self._run(ws, spec, isolation)
                for data in report.coverage.values():
                    coverage.add(data, changed)
                passed = frozenset(n for n, r in report.results.items() if r.outcome == "passed")
            self._baselines[key] = _Baseline(passed, coverage, tuple(existing))
        return self._baselines[key]

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
            check = await self._run(ws, alone, batch.isolation)
            hurt = [n for n in broken if _outcome(check, n) != "passed"]
            if hurt:
                batch.polluters[path] = hurt[0]


def _outcome(report: RunReport, nodeid: str) -> str:
    record = report.results.get(nodeid)
    return record.outcome if record is not None else "missing"


def _source_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []

