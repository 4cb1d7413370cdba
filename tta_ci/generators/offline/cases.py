"""The example test of one observed call, as source (pure).

A ``Case`` says what the head did: returned a value (compared exactly, by ``is`` for
``None``/``True``/``False``, with ``math.isnan``, by ``repr`` or by attributes), raised an
exception (``pytest.raises`` with the message as ``match``), or changed an argument or its
receiver (a state assertion after the call). ``body`` writes it in pytest style; the sandbox
runs exactly that body on mutants and on the base, so a difference it reports is a failure of
the written test. ``unittest_body`` writes the same checks with ``TestCase`` assertions.
"""

from __future__ import annotations

import ast
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Case", "body_imports", "unittest_body"]

Kind = Literal["eq", "is", "nan", "repr", "attrs", "raises", "call"]
_SPECIAL = re.compile(r"[.^$*+?{}\[\]\\|()]")


class Case(BaseModel):
    """One call and what the head did with it."""

    model_config = ConfigDict(frozen=True)

    setup: tuple[str, ...] = ()
    expr: str
    kind: Kind
    value: str = ""  # eq/is: the expected source; repr: the repr text
    attrs: tuple[tuple[str, str], ...] = ()  # attrs: (expression over ``result``, expected)
    exc: str = ""  # raises: the exception class's source
    match: str | None = None  # raises: the message (searched, escaped)
    states: tuple[tuple[str, str], ...] = ()  # (expression, expected source) after the call

    def body(self) -> str:
        lines = list(self.setup)
        if self.kind == "raises":
            lines.append(f"with pytest.raises({self.exc}{self._match()}):")
            lines.append(f"    {self.expr}")
        elif self.kind == "attrs":
            lines.append(f"result = {self.expr}")
            lines += [f"assert {check} == {value}" for check, value in self.attrs]
        elif self.kind == "call":
            lines.append(self.expr)
        else:
            lines.append(self._assertion())
        lines += [f"assert {expr} == {value}" for expr, value in self.states]
        return "\n".join(lines) + "\n"

    def _assertion(self) -> str:
        if self.kind == "is":
            return f"assert {self.expr} is {self.value}"
        if self.kind == "nan":
            return f"assert math.isnan({self.expr})"
        if self.kind == "repr":
            return f"assert repr({self.expr}) == {self.value!r}"
        return f"assert {self.expr} == {self.value}"

    def _match(self) -> str:
        if self.match is None:
            return ""
        if not self.match:
            return ', match="^$"'
        if not _SPECIAL.search(self.match):
            return f", match={self.match!r}"
        return f", match=re.escape({self.match!r})"


def body_imports(body: str) -> list[str]:
    """The standard imports a body written by ``Case.body`` needs."""
    needed = []
    if "pytest.raises(" in body:
        needed.append("import pytest")
    if "re.escape(" in body:
        needed.append("import re")
    if "math.isnan(" in body:
        needed.append("import math")
    if "itertools.islice(" in body:
        needed.append("import itertools")
    return needed


class _ToUnittest(ast.NodeTransformer):
    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        test = node.test
        method, args = "assertTrue", [test]
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op = type(test.ops[0])
            names = {ast.Eq: "assertEqual", ast.Is: "assertIs", ast.NotEq: "assertNotEqual"}
            if op in names:
                method, args = names[op], [test.left, test.comparators[0]]
        call = ast.Call(ast.Attribute(ast.Name("self", ast.Load()), method, ast.Load()), args, [])
        return ast.copy_location(ast.Expr(call), node)

    def visit_With(self, node: ast.With) -> ast.stmt:
        self.generic_visit(node)
        item = node.items[0].context_expr
        if isinstance(item, ast.Call) and ast.unparse(item.func) == "pytest.raises":
            match = next((k.value for k in item.keywords if k.arg == "match"), None)
            method = "assertRaisesRegex" if match is not None else "assertRaises"
            args = [*item.args, *([match] if match is not None else [])]
            node.items[0].context_expr = ast.Call(
                ast.Attribute(ast.Name("self", ast.Load()), method, ast.Load()), args, [])
        return node


def unittest_body(body: str) -> str:
    """``body`` with ``TestCase`` assertions instead of ``assert`` and ``pytest.raises``."""
    tree = _ToUnittest().visit(ast.parse(body))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
