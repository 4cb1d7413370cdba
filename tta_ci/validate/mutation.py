"""Gate 8 (opt-in, ``mutation = true``): an accepted test must kill a mutant of the changed
lines that the existing tests do not kill.

Plan, then apply: ``mutants`` is pure (ast-based small edits of the changed lines, each spliced
into the original text so that every other line stays as it was); ``mutation_gate`` writes each
mutant over the target file of the validator's workspace, runs the existing tests and the
accepted candidates in one sandboxed pytest process per mutant, and restores the file.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tta_ci.core import progress
from tta_ci.core.types import CheckResult, TestVerdict, Verdict
from tta_ci.validate.runner import RunReport, RunSpec

__all__ = ["REJECTED", "Mutant", "MutationReport", "judge_mutants", "mutants", "mutation_gate"]

REJECTED = "kills no mutant the existing tests miss"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_SHORT = 40
_COMPARE: dict[type[ast.cmpop], tuple[type[ast.cmpop], str, str]] = {
    ast.Lt: (ast.LtE, "<", "<="), ast.LtE: (ast.Lt, "<=", "<"),
    ast.Gt: (ast.GtE, ">", ">="), ast.GtE: (ast.Gt, ">=", ">"),
    ast.Eq: (ast.NotEq, "==", "!="), ast.NotEq: (ast.Eq, "!=", "=="),
    ast.Is: (ast.IsNot, "is", "is not"), ast.IsNot: (ast.Is, "is not", "is"),
    ast.In: (ast.NotIn, "in", "not in"), ast.NotIn: (ast.In, "not in", "in"),
}
_ARITH: dict[type[ast.operator], tuple[type[ast.operator], str, str]] = {
    ast.Add: (ast.Sub, "+", "-"), ast.Sub: (ast.Add, "-", "+"),
    ast.Mult: (ast.FloorDiv, "*", "//"), ast.FloorDiv: (ast.Mult, "//", "*"),
}
_BOOL: dict[type[ast.boolop], tuple[type[ast.boolop], str, str]] = {
    ast.And: (ast.Or, "and", "or"), ast.Or: (ast.And, "or", "and"),
}

RunFn = Callable[[RunSpec], Awaitable[RunReport]]
_Pos = tuple[int, int]  # (line, column in UTF-8 bytes), as ast gives them


class Mutant(BaseModel):
    """One small change of the target module; ``source`` is the whole mutated module."""

    model_config = ConfigDict(frozen=True)

    line: int
    description: str  # "line 12: `<` → `<=`"
    source: str


class _Edit(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int
    start: _Pos
    end: _Pos
    text: str
    change: str


# -- planning: the mutants of the changed lines ----------------------------------------------


def _first_changed(first: int, last: int, changed: set[int]) -> int | None:
    return next((n for n in range(first, last + 1) if n in changed), None)


def _span(node: ast.AST) -> tuple[_Pos, _Pos]:
    return ((node.lineno, node.col_offset),  # type: ignore[attr-defined]
            (node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]


def _edit(node: ast.AST, line: int | None, new: ast.AST, change: str,
          paren: bool = True) -> Iterator[_Edit]:
    if line is None:
        return
    text = ast.unparse(new)
    start, end = _span(node)
    yield _Edit(line=line, start=start, end=end, text=f"({text})" if paren else text,
                change=change)


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def _operator_edits(node: ast.AST, changed: set[int]) -> Iterator[_Edit]:
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _COMPARE:
                swap, old, new = _COMPARE[type(op)]
                before = node.left if i == 0 else node.comparators[i - 1]
                line = _first_changed(before.end_lineno or 0, node.comparators[i].lineno, changed)
                mutated = copy.copy(node)
                mutated.ops = [swap() if j == i else o for j, o in enumerate(node.ops)]
                yield from _edit(node, line, mutated, f"`{old}` → `{new}`")
    elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in _ARITH:
        swap_op, old, new = _ARITH[type(node.op)]
        left = node.left if isinstance(node, ast.BinOp) else node.target
        right = node.right if isinstance(node, ast.BinOp) else node.value
        line = _first_changed(left.end_lineno or 0, right.lineno, changed)
        mutated_op = copy.copy(node)
        mutated_op.op = swap_op()
        statement = isinstance(node, ast.AugAssign)
        suffix = "=" if statement else ""
        yield from _edit(node, line, mutated_op, f"`{old}{suffix}` → `{new}{suffix}`",
                         paren=not statement)
    elif isinstance(node, ast.BoolOp):
        swap_bool, old, new = _BOOL[type(node.op)]
        line = _first_changed(node.values[0].end_lineno or 0, node.values[-1].lineno, changed)
        mutated_bool = copy.copy(node)
        mutated_bool.op = swap_bool()
        yield from _edit(node, line, mutated_bool, f"`{old}` → `{new}`")
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        line = node.lineno if node.lineno in changed else None
        yield from _edit(node, line, node.operand, f"`not {_short(node.operand)}` → "
                                                   f"`{_short(node.operand)}`")


def _value_edits(node: ast.AST, changed: set[int]) -> Iterator[_Edit]:
    if isinstance(node, ast.Constant) and node.lineno in changed:
        value = node.value
        if isinstance(value, bool):
            yield from _edit(node, node.lineno, ast.Constant(not value),
                             f"`{value}` → `{not value}`", paren=False)
        elif isinstance(value, int):
            yield from _edit(node, node.lineno, ast.Constant(value + 1),
                             f"`{ast.unparse(node)}` → `{value + 1}`", paren=False)
    elif isinstance(node, ast.Return) and node.value is not None:
        expr = node.value
        if isinstance(expr, ast.Constant) and expr.value is None:
            return
        line = _first_changed(node.lineno, node.end_lineno or node.lineno, changed)
        yield from _edit(expr, line, ast.Constant(None),
                         f"`return {_short(expr)}` → `return None`", paren=False)


def _offsets(source: str) -> Callable[[_Pos], int]:
    lines = _LINE.findall(source)
    starts = [0]
    for text in lines:
        starts.append(starts[-1] + len(text))

    def offset(pos: _Pos) -> int:
        line, col = pos
        return starts[line - 1] + len(lines[line - 1].encode()[:col].decode(errors="replace"))

    return offset


def _round_robin(edits: Sequence[_Edit]) -> list[_Edit]:
    """One edit of each changed line in turn, so that a small limit still spreads out."""
    by_line: dict[int, list[_Edit]] = {}
    for edit in sorted(edits, key=lambda e: (e.line, e.start, e.end, e.change)):
        by_line.setdefault(edit.line, []).append(edit)
    rounds = max((len(v) for v in by_line.values()), default=0)
    return [group[i] for i in range(rounds) for group in by_line.values() if i < len(group)]


def mutants(source: str, changed_lines: Sequence[int], *, limit: int) -> list[Mutant]:
    """At most ``limit`` mutants of ``source`` on ``changed_lines``, in a fixed order."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    changed = set(changed_lines)
    edits = [e for node in ast.walk(tree)
             for e in (*_operator_edits(node, changed), *_value_edits(node, changed))]
    offset = _offsets(source)
    found: list[Mutant] = []
    seen = {source}
    for edit in _round_robin(edits):
        if len(found) >= limit:
            break
        text = source[: offset(edit.start)] + edit.text + source[offset(edit.end):]
        if text in seen:
            continue
        seen.add(text)
        try:
            compile(text, "<mutant>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            continue
        found.append(Mutant(line=edit.line, description=f"line {edit.line}: {edit.change}",
                            source=text))
    return found


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
