"""``survey``: the repository at HEAD → its untested public functions, planned as tasks.

1. every public function and method of the planned files (``include``/``exclude``, not tests)
   becomes a task whose lines to cover are all its lines (``plan_file``);
2. the existing tests run once, under line and branch coverage, in the sandbox, in a workspace
   of HEAD (``validate.coverage``, as ``tta-ci hook --check`` runs them);
3. with ``mutation = true``, the fully covered functions (at most ``max_tasks`` of them) face
   mutants of their lines, each run against the tests that import their module; a mutant no
   test kills makes the function untested too;
4. the largest gaps first (``rank``), at most ``max_tasks``.

The code under test is the commit at HEAD, so uncommitted changes to the planned files stop
the sweep before any work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError
from tta_ci.core.mutants import mutants
from tta_ci.core.types import PlanResult, Skip, Task
from tta_ci.git import cli as gitcli
from tta_ci.git import repo as gitops
from tta_ci.plan import plan_file
from tta_ci.plan.paths import skip_reason
from tta_ci.sandbox.isolation import isolation_level
from tta_ci.sandbox.workspace import workspace
from tta_ci.sweep.rank import Gap, gap_of, ranked
from tta_ci.validate.coverage import Measured, is_public, measure_existing
from tta_ci.validate.layout import existing_tests, relevant_tests
from tta_ci.validate.runner import RunReport, RunSpec, run_pytest

__all__ = ["Survey", "public_tasks", "survey"]

NO_LIMIT = 10_000  # Config's largest max_tasks: every function is planned, then ranked


class Survey(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan: PlanResult
    gaps: tuple[Gap, ...]  # of the planned tasks, in plan order
    functions: int  # public functions and methods looked at
    untested: int
    tests: int  # existing test files run
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``sweep`` section of metrics.json."""
        return {"functions": self.functions, "untested": self.untested, "tests": self.tests,
                "gaps": [g.model_dump(mode="json") for g in self.gaps]}

    @property
    def line(self) -> str:
        return (f"sweep: {self.untested} of {self.functions} public function(s) not fully "
                f"tested by {self.tests} existing test file(s); {len(self.plan.tasks)} planned")


def public_tasks(repo: Path, config: Config, files: Sequence[str]) -> tuple[list[Task], list[Skip]]:
    """A task for each public function and method of ``files`` (in file order), covering all
    its lines."""
    every = config.model_copy(update={"max_tasks": NO_LIMIT})
    tasks: list[Task] = []
    skips: list[Skip] = []
    for path in files:
        try:
            planned = plan_file(repo, every, path)
        except UsageError as exc:
            skips.append(Skip(file=path, reason=str(exc).removeprefix(f"{path}: ")))
            continue
        # the file has no other version to compare with: no base source
        tasks += [t.model_copy(update={"base_source": None})
                  for t in sorted(planned.tasks, key=lambda t: t.start_line) if is_public(t)]
    return tasks, skips


def _source_files(root: Path, config: Config, head: str) -> list[str]:
    r = gitops.open_repo(root)
    files = [p for p in gitops.list_files(r, head) if skip_reason(p, config) is None]
    dirty = sorted(set(gitcli.changed_paths(root)) & set(files))
    if dirty:
        raise UsageError(f"{dirty[0]}: uncommitted changes; sweep tests the code at HEAD, so "
                         "commit or stash them first")
    return files


class _Mutation:
    """Surviving mutants of a function's executed lines, against the tests of its module."""

    def __init__(self, ws: Path, tests: Sequence[str], config: Config,
                 environ: Mapping[str, str]) -> None:
        self.ws, self.tests, self.config, self.environ = ws, tests, config, environ
        self.isolation = isolation_level(config)
        self._passed: dict[tuple[str, ...], frozenset[str]] = {}

    async def _run(self, spec: RunSpec) -> RunReport:
        timeout = self.config.validation_timeout_s
        return await run_pytest(self.ws, spec, environ=self.environ, isolation=self.isolation,
                                timeout_s=timeout, test_timeout_s=max(1.0, timeout / 4))

    async def survivors(self, task: Task, gap: Gap) -> int | None:
        target = self.ws / task.file
        relevant = relevant_tests(self.ws, self.tests, task.test_file, task.module,
                                  import_root=task.import_root, symbol=task.symbol)
        executed = [n for n in gap.lines if n not in gap.uncovered_lines]
        inside = target.resolve().is_relative_to(self.ws.resolve())
        if target.is_symlink() or not inside or not relevant or not executed:
            return None  # never written through a link; nothing runs these lines
        original = target.read_bytes()
        found = mutants(original.decode("utf-8", "replace"), executed,
                        limit=self.config.mutation_max_mutants)
        spec = RunSpec(files=tuple(relevant), python_path=(task.import_root or ".",))
        key = (task.import_root, *relevant)
        if key not in self._passed:
            report = await self._run(spec)
            self._passed[key] = frozenset(n for n, r in report.results.items()
                                          if r.outcome == "passed")
        passed, alive = self._passed[key], 0
        try:
            for mutant in found:
                target.write_bytes(mutant.source.encode("utf-8"))
                report = await self._run(spec)
                alive += all(n in report.results and report.results[n].outcome == "passed"
                             for n in passed)
        finally:
            target.write_bytes(original)
        return alive


async def _gaps(ws: Path, tasks: Sequence[Task], config: Config, environ: Mapping[str, str]
                ) -> tuple[dict[str, Gap], int, str]:
    tests = existing_tests(ws, config.test_dirs)
    if not tests:
        return {t.id: gap_of(t, Measured()) for t in tasks}, 0, "no existing test files found"
    files = sorted({t.file for t in tasks})
    roots = sorted({t.import_root for t in tasks})
    measured = await measure_existing(ws, files, roots, config, environ, tests, branch=True)
    if measured.problem is not None:
        raise UsageError(f"sweep: the coverage of the existing tests could not be measured: "
                         f"{measured.problem}; fix them first")
    gaps = {t.id: gap_of(t, measured) for t in tasks}
    if config.mutation:
        mutation = _Mutation(ws, tests, config, environ)
        covered = [t for t in tasks if not gaps[t.id].untested][: config.max_tasks]
        for task in covered:
            survivors = await mutation.survivors(task, gaps[task.id])
            gaps[task.id] = gaps[task.id].model_copy(update={"survivors": survivors})
    return gaps, len(tests), measured.note


async def survey(repo: Path, config: Config, environ: Mapping[str, str]) -> Survey:
    """The untested public functions of ``repo`` at HEAD, the largest gaps first, planned."""
    r = gitops.open_repo(repo)
    root, head = gitops.root(r), gitops.head_sha(r)
    tasks, skips = public_tasks(root, config, _source_files(root, config, head))
    if tasks:
        with workspace(root, ref=head) as ws:
            gaps, tests, note = await _gaps(ws, tasks, config, environ)
    else:
        gaps, tests, note = {}, 0, ""
    order = ranked(gaps.values(), [t.id for t in tasks])
    chosen, rest = order[: config.max_tasks], order[config.max_tasks:]
    by_id = {t.id: t for t in tasks}
    reason = f"over max_tasks ({config.max_tasks})"
    dropped = [Skip(file=by_id[g.id].file, reason=reason, symbol=by_id[g.id].symbol) for g in rest]
    plan = PlanResult(tasks=tuple(by_id[g.id] for g in chosen), skipped=(*skips, *dropped),
                      head=head)
    return Survey(plan=plan, gaps=tuple(chosen), functions=len(tasks), untested=len(order),
                  tests=tests, note=note)
