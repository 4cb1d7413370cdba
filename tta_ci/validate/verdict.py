"""Assemble the Verdict of one candidate from its static report and the batch's runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tta_ci.core.types import CheckResult, MutationScore, PossibleBug, Task, TestVerdict, Verdict
from tta_ci.validate.behaviour import NOTHING, contribution, select
from tta_ci.validate.gates import StaticReport
from tta_ci.validate.judge import (
    Coverage,
    FunctionRuns,
    function_name,
    judge_function,
    merge_outcomes,
    prune,
    render_feedback,
)
from tta_ci.validate.mutation import Planned, score, survivors_feedback
from tta_ci.validate.runner import RunReport

if TYPE_CHECKING:
    from tta_ci.validate.confirm import PlainServer

__all__ = ["Batch", "build_verdict", "functional", "redacted"]

# When no test function is accepted, the file's reason is the first of these found.
REASON_ORDER = ("possible bug", "import error", "pollutes existing tests", "crashed", "timeout",
                "too much output", "writes outside tmp_path", "reads outside the workspace",
                "forbidden call", "flaky", "failed", NOTHING, "trivial assertion",
                "no assertion")
MAX_REASON = 300


@dataclass
class Batch:
    """Everything the runs of one validate_many call found."""

    task: Task
    isolation: str
    changed: set[int]
    redact: Callable[[str], str] = str
    paths: dict[int, str] = field(default_factory=dict)  # candidate index → file in workspace
    source_lines: list[str] = field(default_factory=list)
    baseline: Coverage = field(default_factory=Coverage)
    reports: list[RunReport] = field(default_factory=list)
    dead: dict[str, str] = field(default_factory=dict)  # file → "timeout"/"crashed"
    polluters: dict[str, str] = field(default_factory=dict)  # file → an existing test it broke
    evidence: dict[str, Mapping[str, str]] = field(default_factory=dict)  # file → name → source
    planned: list[Planned] | None = None  # None: mutation testing is off
    killed_by_existing: set[int] = field(default_factory=set)  # indexes into ``planned``
    kills: dict[str, set[int]] = field(default_factory=dict)  # candidate node id → mutants
    # called once the candidates' first run is done (gate 8's interpreter starts then, off
    # the CPU that the first runs' servers start on)
    after_first_run: Callable[[], None] | None = None
    # gate 8's interpreter, which also runs the candidates alone under the second hash seed
    aside: PlainServer | None = None

    @property
    def open_mutants(self) -> set[int]:
        return set(range(len(self.planned or ()))) - self.killed_by_existing


def _violation(batch: Batch, path: str) -> str | None:
    """What the candidate's module level, or code after the session, tried and was refused."""
    for report in batch.reports:
        if path in report.file_violations:
            return report.file_violations[path]
        if report.exit_violation and path in report.guarded:
            return f"{report.exit_violation} (after the tests ended)"
    return None


def _import_error(batch: Batch, path: str) -> str | None:
    for report in batch.reports:
        if path in report.collect_errors:
            lines = [ln for ln in report.collect_errors[path].splitlines() if ln.startswith("E ")]
            last = lines[-1][1:].strip() if lines else "cannot import the test file"
            return f"import error: {last}"[:300]
    return None


def _function_runs(batch: Batch, path: str, names: list[str]) -> dict[str, FunctionRuns]:
    runs = merge_outcomes(batch.reports, path, names)
    if batch.reports:
        for nodeid, data in batch.reports[0].coverage.items():
            if nodeid.split("::", 1)[0] == path and function_name(nodeid) in runs:
                runs[function_name(nodeid)].coverage.add(data, batch.changed)
    return runs


def functional(batch: Batch, path: str, names: list[str]) -> tuple[dict[str, TestVerdict],
                                                                  dict[str, FunctionRuns]]:
    """The verdicts of the runs alone (pass, stable, clean), before gate 7."""
    runs = _function_runs(batch, path, names)
    evidence = batch.evidence.get(path, {})
    tests = {name: judge_function(item, evidence.get(name)) for name, item in runs.items()}
    dead = batch.dead.get(path)
    for name, verdict in tests.items():
        if verdict.reason == "not collected" and dead:
            tests[name] = TestVerdict(status="rejected", reason=dead)
        elif verdict.status == "accepted" and path in batch.polluters:
            tests[name] = TestVerdict(status="rejected", reason="pollutes existing tests",
                                      message=f"breaks {batch.polluters[path]}")
    return tests, runs


def _kills(batch: Batch, path: str, name: str) -> set[int]:
    found: set[int] = set()
    for nodeid, killed in batch.kills.items():
        if nodeid.split("::", 1)[0] == path and function_name(nodeid) == name:
            found |= killed
    return found


def _judge(batch: Batch, path: str, names: list[str]
           ) -> tuple[dict[str, TestVerdict], Coverage, set[int], dict[str, str]]:
    """Verdicts of the runnable functions, the coverage and the mutant kills the kept ones
    add, their failure texts."""
    tests, runs = functional(batch, path, names)
    failures = {n: next((r.longrepr for r in item.records if r and r.longrepr), "")
                for n, item in runs.items()}
    passing = [n for n, v in tests.items() if v.status == "accepted"]
    kills = {n: _kills(batch, path, n) for n in passing}
    adds = {n: contribution(runs[n].coverage, batch.baseline, kills[n], batch.open_mutants)
            for n in passing}
    kept = select(adds, passing)
    added, killed = Coverage(), set[int]()
    for name in passing:
        if name in kept:
            added.lines |= runs[name].coverage.lines
            added.arcs |= runs[name].coverage.arcs
            killed |= kills[name]
        else:
            tests[name] = TestVerdict(
                status="rejected", reason=NOTHING,
                message="the changed lines and branches it runs are covered, and the mutants "
                        "it kills are killed, by the existing tests or by a kept test")
    return tests, added.minus(batch.baseline), killed, failures


def _file_reason(tests: dict[str, TestVerdict]) -> str:
    reasons = [v.reason for v in tests.values()]
    for prefix in REASON_ORDER:
        for reason in reasons:
            if reason.startswith(prefix):
                return reason
    return reasons[0] if reasons else "no test function"


def _checks(static: StaticReport, tests: dict[str, TestVerdict], added: Coverage,
            killed: set[int], batch: Batch, import_error: str | None,
            polluted: str | None) -> dict[str, CheckResult]:
    checks = dict(static.checks)
    checks["collect"] = CheckResult(ok=import_error is None, detail=import_error or "")
    if import_error:
        return checks
    reasons = [v.reason for v in tests.values()]
    passing = sum(r not in ("failed", "possible bug", "timeout", "crashed") for r in reasons)
    checks["pass"] = CheckResult(ok=passing > 0, detail=f"{passing}/{len(reasons)} pass")
    checks["stable"] = CheckResult(ok="flaky" not in reasons,
                                   detail=f"{reasons.count('flaky')} flaky")
    checks["pollution"] = CheckResult(ok=polluted is None,
                                      detail=f"breaks {polluted}" if polluted else "")
    checks["coverage"] = CheckResult(
        ok=bool(added), detail=f"new lines {sorted(added.lines)}, new branches "
                               f"{sorted(added.arcs)}")
    unique = sorted(killed & batch.open_mutants)
    kept = sum(v.status == "accepted" for v in tests.values())
    detail = (f"{kept} test function{'s' if kept != 1 else ''} kept; "
              f"{reasons.count(NOTHING)} add nothing")
    checks["behaviour"] = CheckResult(ok=kept > 0, detail=detail)
    if batch.planned is not None:
        shown = [f"line {batch.planned[i].mutant.line}: {batch.planned[i].operator}"
                 for i in unique]
        checks["mutation"] = CheckResult(
            ok=bool(unique) or not batch.open_mutants,
            detail=f"{len(batch.planned)} mutants, {len(batch.killed_by_existing)} killed by the "
                   f"existing tests, {len(unique)} more by the kept tests"
                   + (": " + ", ".join(shown) if shown else ""))
    return checks


def _possible_bugs(batch: Batch, path: str, tests: Mapping[str, TestVerdict]
                   ) -> tuple[PossibleBug, ...]:
    evidence = batch.evidence.get(path, {})
    return tuple(PossibleBug(test=n, message=v.message, file=batch.task.test_file,
                             reason=batch.redact(evidence.get(n, "")))
                 for n, v in tests.items() if v.status == "possible_bug")


def _feedback(batch: Batch, tests: Mapping[str, TestVerdict], failures: Mapping[str, str],
              uncovered: list[int], found: MutationScore | None) -> str:
    text = render_feedback(tests, failures, uncovered, batch.source_lines)
    survivors = survivors_feedback(found) if found is not None else ""
    return "\n\n".join(p for p in (text, survivors) if p)


def build_verdict(index: int, code: str, static: StaticReport, batch: Batch,
                  duration_s: float) -> Verdict:
    """The Verdict of candidate ``index`` of the batch."""
    tests = {n: TestVerdict(status="rejected", reason=r) for n, r in static.functions.items()
             if r is not None}
    uncovered = sorted(batch.changed - batch.baseline.lines)
    common = {"isolation": batch.isolation, "duration_s": round(duration_s, 3)}
    found = (score(batch.planned, batch.killed_by_existing, ())
             if batch.planned is not None else None)
    if static.file_reason is not None:
        return Verdict(accepted=False, reason=static.file_reason, checks=static.checks,
                       tests=tests, uncovered_lines=tuple(uncovered), mutation=found,
                       feedback=batch.redact(static.file_reason), **common)  # type: ignore[arg-type]
    path = batch.paths[index]
    names = [n for n, r in static.functions.items() if r is None]
    violation = _violation(batch, path)
    if violation is not None:
        tests.update({n: TestVerdict(status="rejected", reason=violation) for n in names})
        return Verdict(accepted=False, reason=violation, checks=static.checks, tests=tests,
                       uncovered_lines=tuple(uncovered), mutation=found, feedback=violation,
                       **common)  # type: ignore[arg-type]
    import_error = _import_error(batch, path)
    added, killed, failures = Coverage(), set[int](), dict[str, str]()
    if import_error is None:
        judged, added, killed, failures = _judge(batch, path, names)
        tests.update(judged)
    if batch.planned is not None:
        found = score(batch.planned, batch.killed_by_existing, killed)
    accepted = [n for n, v in tests.items() if v.status == "accepted"]
    uncovered = sorted(set(uncovered) - added.lines)
    reason = "accepted" if accepted else (import_error or _file_reason(tests))
    tests = {n: v.model_copy(update={"message": batch.redact(v.message)}) for n, v in tests.items()}
    return Verdict(
        accepted=bool(accepted), reason=reason,
        checks=_checks(static, tests, added, killed, batch, import_error,
                       batch.polluters.get(path)),
        tests=tests, code=prune(code, accepted) if accepted else None,
        possible_bugs=_possible_bugs(batch, path, tests), mutation=found,
        covered_lines=tuple(sorted(added.lines)), uncovered_lines=tuple(uncovered),
        feedback=batch.redact(import_error or _feedback(batch, tests, failures, uncovered,
                                                          found)),
        **common,  # type: ignore[arg-type]
    )


def redacted(verdict: Verdict, redact: Callable[[str], str]) -> Verdict:
    """``verdict`` with no secret in any text that leaves the validator: the reason, the
    feedback, each test's reason and message, each check's detail, the possible bugs."""
    tests = {n: v.model_copy(update={"reason": redact(v.reason)[:MAX_REASON],
                                     "message": redact(v.message)})
             for n, v in verdict.tests.items()}
    checks = {k: c.model_copy(update={"detail": redact(c.detail)})
              for k, c in verdict.checks.items()}
    bugs = tuple(b.model_copy(update={"message": redact(b.message)})
                 for b in verdict.possible_bugs)
    return verdict.model_copy(update={
        "reason": redact(verdict.reason)[:MAX_REASON], "feedback": redact(verdict.feedback),
        "tests": tests, "checks": checks, "possible_bugs": bugs})
