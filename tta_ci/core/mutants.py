"""Mutants of changed lines: small ast-based edits, each spliced into the original text so that
every other line stays as it was (pure; imports nothing else of tta-ci).

Used by the validator (does a test notice the edit?) and by the offline generator (which inputs
tell the code from its mutants?). Operators: ``<`` ↔ ``<=`` and the other comparisons, ``+`` ↔
``-``, ``*`` ↔ ``//``, ``and`` ↔ ``or``, ``not x`` → ``x``, ``n`` → ``n + 1``, ``True`` ↔ ``False``,
``return x`` → ``return None``.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable, Iterator, Sequence

from pydantic import BaseModel, ConfigDict

__all__ = ["Mutant", "mutants"]

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
