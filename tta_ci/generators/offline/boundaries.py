"""The edges a change draws, read from its changed lines (pure ``ast``).

``items > 10`` on a changed line is a ``Boundary`` on the parameters whose values flow into
``items``; the sandbox later tries 9, 10 and 11 there (and, where the right side is not a
constant, evaluates it where the line runs). String literals of the changed lines become
inputs and suffixes. Comparisons that only the base version makes (a removed ``n + 1 > 0``)
count too, with their constants.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from tta_ci.generators.offline.model import Boundary

__all__ = ["boundaries", "changed_strings", "param_flow"]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
        ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_PLAIN = (ast.Name, ast.Attribute, ast.Constant, ast.BinOp, ast.UnaryOp, ast.Subscript,
          ast.Tuple, ast.List, ast.Load, ast.operator, ast.unaryop, ast.Call, ast.keyword,
          ast.Slice)
_PLAIN_CALLS = frozenset({"len", "abs", "int", "float", "str", "min", "max", "round"})
MAX_STRINGS = 12


def _names(node: ast.AST) -> set[str]:
    found = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    found |= {f"self.{n.attr}" for n in ast.walk(node) if isinstance(n, ast.Attribute)
              and isinstance(n.value, ast.Name) and n.value.id == "self"}
    return found


def _targets(node: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    """(target, value) of every binding in ``node``."""
    for child in ast.walk(node):
        if isinstance(child, ast.Assign):
            yield from ((t, child.value) for t in child.targets)
        elif isinstance(child, ast.AugAssign | ast.AnnAssign) and child.value is not None:
            yield child.target, child.value
        elif isinstance(child, ast.For | ast.comprehension):
            yield child.target, child.iter
        elif isinstance(child, ast.NamedExpr):
            yield child.target, child.value


def param_flow(func: FunctionNode, params: Iterable[str]) -> dict[str, set[str]]:
    """Each local name (and ``self.attr``) → the parameters its value is computed from."""
    flow: dict[str, set[str]] = {p: {p} for p in params}
    edges = [(_names(t), _names(v)) for t, v in _targets(func)]
    changed = True
    while changed:
        changed = False
        for targets, sources in edges:
            reached = set().union(*(flow.get(s, set()) for s in sources))
            for target in targets:
                if not reached <= flow.setdefault(target, set()):
                    flow[target] |= reached
                    changed = True
    return flow


def _plain(node: ast.AST) -> bool:
    """Safe to evaluate where the line runs: names, attributes, arithmetic, ``len(x)``..."""
    for child in ast.walk(node):
        if not isinstance(child, _PLAIN):
            return False
        if isinstance(child, ast.Call) and not (
                isinstance(child.func, ast.Name) and child.func.id in _PLAIN_CALLS):
            return False
    return True


def _constant(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and not isinstance(node.value, bool)


def _on_lines(node: ast.AST, lines: set[int]) -> bool:
    first = getattr(node, "lineno", 0)
    return any(n in lines for n in range(first, (getattr(node, "end_lineno", 0) or first) + 1))


def _pairs(compare: ast.Compare) -> Iterator[tuple[ast.expr, str, ast.expr]]:
    sides = [compare.left, *compare.comparators]
    for i, op in enumerate(compare.ops):
        if type(op) in _OPS:
            yield sides[i], _OPS[type(op)], sides[i + 1]


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_constant(e) for e in node.elts)
    return _constant(node) or isinstance(node, ast.Constant)


def _boundary(left: ast.expr, op: str, right: ast.expr, line: int,
              flow: dict[str, set[str]], names: set[str]) -> Boundary | None:
    if _literal(left) and not _literal(right) and op in _FLIP:
        left, op, right = right, _FLIP[op], left
    params = sorted(set().union(*(flow.get(n, set()) for n in _names(left))))
    if not _plain(right) or (not params and not (line and isinstance(left, ast.Name))):
        return None  # a local compared on a changed line is kept: its value may be a literal
    return Boundary(line=line, left=ast.unparse(left), op=op, right=ast.unparse(right),
                    params=tuple(params), literal=_literal(right),
                    right_params=tuple(sorted(_names(right) & names - set(params))))


def boundaries(func: FunctionNode, params: Iterable[str], lines: Iterable[int],
               base: FunctionNode | None = None) -> list[Boundary]:
    """The comparisons of ``func`` on ``lines``; the base's own constant comparisons after them
    (line 0: they are not evaluated where they run)."""
    wanted = set(lines)
    names = list(params)
    flow = param_flow(func, names)
    found: dict[tuple[str, str, str], Boundary] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Compare) and _on_lines(node, wanted):
            for left, op, right in _pairs(node):
                item = _boundary(left, op, right, node.lineno, flow, set(names))
                if item is not None:
                    found.setdefault((item.left, item.op, item.right), item)
    if base is not None:
        base_flow = param_flow(base, names)
        for node in ast.walk(base):
            if isinstance(node, ast.Compare):
                for left, op, right in _pairs(node):
                    item = _boundary(left, op, right, 0, base_flow, set(names))
                    key = (item.left, item.op, item.right) if item else None
                    if item is not None and item.literal and key not in found:
                        found[key] = item  # type: ignore[index]
    return list(found.values())


def changed_strings(func: FunctionNode, lines: Iterable[int]) -> list[str]:
    """Short string literals on ``lines`` (not docstrings, not f-string parts)."""
    wanted = set(lines)
    skip = {id(func.body[0].value)} if func.body and isinstance(func.body[0], ast.Expr) else set()
    parts = {id(v) for n in ast.walk(func) if isinstance(n, ast.JoinedStr) for v in n.values}
    found: list[str] = []
    for node in ast.walk(func):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and node.lineno in wanted and id(node) not in skip | parts
                and len(node.value) <= 40 and node.value not in found):
            found.append(node.value)
    return found[:MAX_STRINGS]
