"""Gate 8 (opt-in, ``mutation = true``): an accepted test must kill a mutant of the changed
lines that the existing tests do not kill.

Plan, then apply: ``tta_ci.core.mutants`` plans the mutants (pure); ``mutation_gate`` writes each
mutant over the target file of the validator's workspace, runs the existing tests and the
accepted candidates in one sandboxed pytest process per mutant, and restores the file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tta_ci.core import progress
from tta_ci.core.mutants import Mutant, mutants
from tta_ci.core.types import CheckResult, TestVerdict, Verdict
from tta_ci.validate.runner import RunReport, RunSpec

__all__ = ["REJECTED", "Mutant", "MutationReport", "judge_mutants", "mutants", "mutation_gate"]

REJECTED = "kills no mutant the existing tests miss"
RunFn = Callable[[RunSpec], Awaitable[RunReport]]


# -- judging: which mutants the candidate and the existing tests kill -------------------------


class MutationReport(BaseModel):
    """What one candidate did to the mutants of its target."""

    model_config = ConfigDict(frozen=True)

    total: int
    killed: tuple[Mutant, ...] = ()  # by the candidate
    unique: tuple[Mutant, ...] = ()  # by the candidate and not by the existing tests
    survivors: tuple[Mutant, ...] = ()  # by neither

    @property
    def ok(self) -> bool:
        return self.total == 0 or bool(self.unique)

    def check(self) -> CheckResult:
        if self.total == 0:
            return CheckResult(ok=True, detail="no operator, constant or return on the changed "
                                               "lines to mutate")
        detail = (f"killed {len(self.killed)} of {self.total} mutants; {len(self.unique)} that "
                  "the existing tests miss")
        if self.unique:
            detail += ": " + ", ".join(m.description for m in self.unique)
        return CheckResult(ok=self.ok, detail=detail)

    def feedback(self, source_lines: Sequence[str]) -> str:
        """Repair text: the changes to the code that no test notices."""
        def shown(group: Sequence[Mutant]) -> str:
            return "\n".join(
                f"- {m.description}: {source_lines[m.line - 1].strip()}"
                if 0 < m.line <= len(source_lines) else f"- {m.description}" for m in group)

        parts = [f"### {REJECTED}"]
        if self.survivors:
            parts.append("No test notices these changes to the code under test; assert the "
                         "exact results (boundaries, signs, return values) that they would "
                         "change:\n" + shown(self.survivors))
        else:
            parts.append("Every change to the changed lines that the new tests notice is "
                         "already caught by the existing tests.")
        return "\n".join(parts)


def _outcome(report: RunReport, nodeid: str) -> str:
    record = report.results.get(nodeid)
    return record.outcome if record is not None else "missing"


def _candidate_killed(report: RunReport, path: str) -> bool:
    if path in report.dead_files or path in report.collect_errors:
        return True
    outcomes = [r.outcome for n, r in report.results.items() if n.split("::", 1)[0] == path]
    return not outcomes or any(o != "passed" for o in outcomes)


def judge_mutants(found: Sequence[Mutant], reports: Sequence[RunReport], path: str,
                  passed: frozenset[str]) -> MutationReport:
    """Killed = a test that passed on the real code fails (or dies) on the mutant."""
    killed, unique, survivors = [], [], []
    for mutant, report in zip(found, reports, strict=True):
        by_existing = any(_outcome(report, n) != "passed" for n in passed)
        if _candidate_killed(report, path):
            killed.append(mutant)
            if not by_existing:
                unique.append(mutant)
        elif not by_existing:
            survivors.append(mutant)
    return MutationReport(total=len(found), killed=tuple(killed), unique=tuple(unique),
                          survivors=tuple(survivors))


def _apply(verdict: Verdict, report: MutationReport, source_lines: Sequence[str],
           redact: Callable[[str], str]) -> Verdict:
    checks = {**verdict.checks, "mutation": report.check()}
    if report.ok:
        return verdict.model_copy(update={"checks": checks})
    tests = {n: TestVerdict(status="rejected", reason=REJECTED) if v.status == "accepted" else v
             for n, v in verdict.tests.items()}
    return verdict.model_copy(update={
        "accepted": False, "reason": REJECTED, "checks": checks, "tests": tests, "code": None,
        "feedback": redact(report.feedback(source_lines)),
    })


# -- running: one sandboxed pytest process per mutant ---------------------------------------


async def _run_mutants(target: Path, original: bytes, found: Sequence[Mutant], spec: RunSpec,
                       run: RunFn) -> list[RunReport]:
    reports: list[RunReport] = []
    if target.is_symlink():  # never write through a link: it may point out of the workspace
        target.unlink()
    try:
        for number, mutant in enumerate(found, 1):  # the same order and seeds for each
            progress.stage(f"mutants {number}/{len(found)}")
            target.write_bytes(mutant.source.encode("utf-8"))
            reports.append(await run(spec))
    finally:
        target.write_bytes(original)  # later runs in this workspace see the real code
    return reports


async def mutation_gate(ws: Path, target: str, verdicts: Sequence[Verdict],
                        paths: Mapping[int, str], *, existing: Sequence[str],
                        passed: frozenset[str], changed: Sequence[int],
                        python_path: tuple[str, ...], limit: int, run: RunFn,
                        redact: Callable[[str], str] = str) -> list[Verdict]:
    """The verdicts, each accepted one with a ``mutation`` check (and rejected if it fails).

    ``paths`` maps a verdict's index to its candidate file in ``ws``; the accepted (pruned)
    code is written there, and ``run`` runs a spec under the validator's sandbox and limits.
    """
    chosen = {i: paths[i] for i, v in enumerate(verdicts)
              if v.accepted and v.code is not None and i in paths}
    if not chosen:
        return list(verdicts)
    for index, path in chosen.items():
        (ws / path).write_text(verdicts[index].code or "", encoding="utf-8")
    original = (ws / target).read_bytes()
    text = original.decode("utf-8", errors="replace")
    found = mutants(text, changed, limit=limit)
    spec = RunSpec(files=(*chosen.values(), *existing), guarded=tuple(chosen.values()),
                   python_path=python_path)
    reports = await _run_mutants(ws / target, original, found, spec, run)
    lines = text.splitlines()
    result = list(verdicts)
    for index, path in chosen.items():
        report = judge_mutants(found, reports, path, passed)
        result[index] = _apply(verdicts[index], report, lines, redact)
    return result
