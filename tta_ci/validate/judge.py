"""Judging one test function from its runs; coverage sets; repair feedback (and ``prune``,
from ``prune.py``)."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tta_ci.core.types import CheckResult, TestVerdict
from tta_ci.validate.runner import RunReport, TestRecord
from tta_ci.validate.usage import nothing_to_prune

__all__ = [
    "Coverage",
    "FunctionRuns",
    "executable_lines",
    "function_name",
    "judge_function",
    "merge_outcomes",
    "prune",
    "render_feedback",
]

OUTPUT_LIMIT = 1024 * 1024  # captured output bytes per test
_SEVERITY = {"passed": 0, "skipped": 1, "failed": 2, "timeout": 3, "crashed": 4}
_PARAMS = re.compile(r"\[.*\]$")


@dataclass
class Coverage:
    """Changed lines and branches (arcs leaving a changed line) that some tests ran."""

    lines: set[int] = field(default_factory=set)
    arcs: set[tuple[int, int]] = field(default_factory=set)

    def add(self, data: Mapping[str, Sequence[object]], changed: set[int]) -> None:
        self.lines |= {int(n) for n in data.get("lines", ()) if int(n) in changed}  # type: ignore[call-overload]
        for arc in data.get("arcs", ()):
            a, b = (int(x) for x in arc)  # type: ignore[attr-defined]
            if a in changed:
                self.arcs.add((a, b))

    def minus(self, other: Coverage) -> Coverage:
        return Coverage(self.lines - other.lines, self.arcs - other.arcs)

    def __bool__(self) -> bool:
        return bool(self.lines or self.arcs)


@dataclass
class FunctionRuns:
    """What one test function did in each run (the worst of its parametrized cases)."""

    records: list[TestRecord | None] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)


def executable_lines(source: str) -> set[int]:
    """Lines where a statement starts, without ``def``/``class`` lines (run at import)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {n.lineno for n in ast.walk(tree) if isinstance(n, ast.stmt) and not isinstance(n, defs)}


def function_name(nodeid: str) -> str:
    """``tests/t.py::TestA::test_b[1]`` → ``TestA::test_b``."""
    return _PARAMS.sub("", nodeid.split("::", 1)[1]) if "::" in nodeid else nodeid


def _worse(a: TestRecord | None, b: TestRecord) -> TestRecord:
    if a is None:
        return b
    rank_a = (a.violation is not None, _SEVERITY.get(a.outcome, 2), a.output_bytes)
    rank_b = (b.violation is not None, _SEVERITY.get(b.outcome, 2), b.output_bytes)
    return b if rank_b > rank_a else a


def merge_outcomes(reports: Sequence[RunReport], path: str, names: Sequence[str]
                   ) -> dict[str, FunctionRuns]:
    """Per function of the candidate at ``path``: its worst record in each run."""
    runs = {name: FunctionRuns() for name in names}
    for report in reports:
        worst: dict[str, TestRecord] = {}
        for nodeid, record in report.results.items():
            if nodeid.split("::", 1)[0] == path:
                name = function_name(nodeid)
                worst[name] = _worse(worst.get(name), record)
        for name, item in runs.items():
            item.records.append(worst.get(name))
    return runs


def _failure(record: TestRecord) -> str:
    if record.message.startswith(record.exc_type):
        return record.message
    return f"{record.exc_type}: {record.message}".strip(": ")


def _consistent(records: Sequence[TestRecord]) -> bool:
    """The same failure in the test's call every time (not in a fixture or at import)."""
    first = records[0]
    return all(r.phase == "call" and r.exc_type == first.exc_type and
               r.message == first.message for r in records)


def judge_function(runs: FunctionRuns, evidence: str | None = None) -> TestVerdict:
    """Accepted (so far), rejected with one stable reason, or a possible bug.

    A possible bug needs ``evidence``: where the test's expectation comes from (a docstring
    example, an existing test, a model that kept it after seeing the failure). A failing test
    without it is the generator's own wrong guess: rejected as ``failed``.
    """
    present = [r for r in runs.records if r is not None]
    if not present:
        return TestVerdict(status="rejected", reason="not collected")
    for record in present:
        if record.violation:
            return TestVerdict(status="rejected", reason=record.violation)
        if record.outcome in ("timeout", "crashed"):
            return TestVerdict(status="rejected", reason=record.outcome,
                               message=record.message)
        if record.output_bytes > OUTPUT_LIMIT:
            return TestVerdict(status="rejected", reason="too much output",
                               message=f"{record.output_bytes} bytes captured")
    outcomes = {r.outcome for r in present}
    if len(present) < len(runs.records) or len(outcomes) > 1:
        failed = next((r for r in present if r.outcome != "passed"), present[0])
        return TestVerdict(status="rejected", reason="flaky",
                           message=f"outcomes {sorted(outcomes)}; {_failure(failed)}")
    if outcomes == {"passed"}:
        return TestVerdict(status="accepted", reason="accepted")
    if outcomes == {"skipped"}:
        return TestVerdict(status="rejected", reason="skipped", message=present[0].message)
    if evidence and runs.coverage and _consistent(present):
        return TestVerdict(status="possible_bug", reason="possible bug",
                           message=_failure(present[0]))
    return TestVerdict(status="rejected", reason="failed", message=_failure(present[0]))


def prune(code: str, keep: Sequence[str]) -> str:
    """``prune.prune``: ``code`` with only the tests in ``keep`` and what they use; ``code``
    itself when nothing goes, without importing ``libcst`` (a tenth of a second)."""
    if nothing_to_prune(code, set(keep)):
        return code
    from tta_ci.validate.prune import prune as edit

    return edit(code, keep)


def render_feedback(tests: Mapping[str, TestVerdict], failures: Mapping[str, str],
                    uncovered: Sequence[int], source_lines: Sequence[str],
                    limit: int = 6000) -> str:
    """Failure sections and uncovered changed lines, trimmed, for a repair attempt."""
    parts: list[str] = []
    for name, verdict in tests.items():
        if verdict.status != "accepted":
            text = failures.get(name, "") or verdict.message
            parts.append(f"### {name}: {verdict.reason}\n{text[-1500:]}".rstrip())
    if uncovered:
        shown = [f"{n}: {source_lines[n - 1].rstrip()}" for n in uncovered
                 if 0 < n <= len(source_lines)][:40]
        parts.append("### changed lines no test covers\n" + "\n".join(shown))
    text = "\n\n".join(parts)
    return text if len(text) <= limit else text[: limit - 20] + "\n... (truncated)"


def check(ok: bool, detail: str = "") -> CheckResult:
    return CheckResult(ok=ok, detail=detail)
