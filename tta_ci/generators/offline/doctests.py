"""Candidate calls from the docstring examples of a changed symbol (pure; nothing imported).

Each ``>>>`` example with an output becomes a ``Call`` whose ``expected`` is that output; the
examples before it without output (``>>> v = Version.parse("1.2.3")``) are its ``setup``.
Free names (``semver`` in ``semver.Version.parse(...)``) are bound in the sandbox, where the
module's namespace says what they are; lambda parameters and comprehension variables are not
free. A documented traceback is observed like any other call.
"""

from __future__ import annotations

import ast
import doctest

from tta_ci.generators.offline.model import Call
from tta_ci.generators.offline.names import free_names, plain_code

__all__ = ["doctest_calls"]

MAX_EXAMPLES = 40


def _callee(expr: ast.expr, name: str, method: bool) -> str:
    for node in ast.walk(expr):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if method and isinstance(func, ast.Attribute) and func.attr == name:
            return "." + name
        if not method and ((isinstance(func, ast.Name) and func.id == name) or (isinstance(
                func, ast.Attribute) and func.attr == name)):
            return ast.unparse(func)
    return ""


def _parse(source: str) -> list[ast.stmt] | None:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    return body if all(plain_code(s) for s in body) else None


def _needed(setup: list[str], expr: str) -> list[str]:
    """The setup statements ``expr`` depends on (an unused assignment would be F841)."""
    wanted = free_names(expr)
    kept: list[str] = []
    for statement in reversed(setup):
        tree = ast.parse(statement)
        bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Store)}
        bound |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
                  if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        if bound & wanted or (not bound and used & wanted):
            kept.insert(0, statement)
            wanted |= free_names(statement, "exec") | (used - bound)
    return kept


def doctest_calls(docstring: str, *, name: str, method: bool = False) -> list[Call]:
    """The examples of ``docstring`` that show an output, as calls (``name``: the function or
    method the docstring documents)."""
    try:
        examples = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        return []
    setup: list[str] = []
    calls: list[Call] = []
    for example in examples[:MAX_EXAMPLES]:
        body = _parse(example.source)
        if body is None or example.options.get(doctest.SKIP):
            continue
        shown = example.want or example.exc_msg
        if not shown or len(body) != 1 or not isinstance(body[0], ast.Expr):
            setup += [ast.unparse(s) for s in body  # a call's effects count, a bare name not
                      if not isinstance(s, ast.Expr) or isinstance(s.value, ast.Call)]
            continue
        expr = ast.unparse(body[0].value)
        needed = _needed(setup, expr)
        text = "\n".join([*needed, expr])
        free = free_names(text, "exec") if needed else free_names(expr)
        # an output checked loosely (ELLIPSIS...) is no exact statement about the head
        exact = example.exc_msg is None and not example.options
        expected = example.want if exact else None
        calls.append(Call(origin="doctest", expr=expr, setup=tuple(needed),
                          func=_callee(body[0].value, name, method), free=tuple(sorted(free)),
                          expected=expected))
    return calls
