"""Static gates: the cheap checks made on a candidate's source before anything runs.

``check_static(code, policy=...)`` parses the file and returns, for the whole file, the first
reason to reject it (a syntax error, or the most serious break of the allowlist in
``policy.py``: dynamic code, a forbidden call or import, secret access, writes outside
``tmp_path``, pytest hooks, code at module level) and, for each test function, whether it has a
real assertion.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict

from tta_ci.core.types import CheckResult
from tta_ci.validate.imports import ImportPolicy
from tta_ci.validate.policy import file_problems

__all__ = ["StaticReport", "check_static", "test_functions"]

TRIVIAL_CALLS = {"hasattr", "callable", "isinstance", "issubclass", "getattr", "type"}


class StaticReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    file_reason: str | None = None  # the whole file is rejected
    checks: dict[str, CheckResult] = {}
    functions: dict[str, str | None] = {}  # test name → rejection reason (None: passes)


_Func = ast.FunctionDef | ast.AsyncFunctionDef


def test_functions(tree: ast.Module) -> Iterator[tuple[str, _Func]]:
    """(name, node) of the tests pytest would collect: ``test_*`` and ``Test*::test_*``."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and \
                        item.name.startswith("test"):
                    yield f"{node.name}::{item.name}", item


test_functions.__test__ = False  # type: ignore[attr-defined]


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _is_trivial(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        return True
    if isinstance(test, ast.UnaryOp):
        return _is_trivial(test.operand)
    if isinstance(test, ast.BoolOp):
        return all(_is_trivial(v) for v in test.values)
    if isinstance(test, ast.Compare):
        sides = [test.left, *test.comparators]
        if all(isinstance(s, ast.Constant) for s in sides):
            return True
        if all(ast.dump(s) == ast.dump(sides[0]) for s in sides):
            return True  # x == x
        if len(sides) == 2 and isinstance(test.ops[0], ast.IsNot | ast.NotEq) and \
                isinstance(sides[1], ast.Constant) and sides[1].value is None:
            return not any(isinstance(n, ast.Call) for n in ast.walk(sides[0]))
        return False
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name):
        return test.func.id in TRIVIAL_CALLS
    return isinstance(test, ast.Name | ast.Attribute)  # "assert module.func"


def _assertions(node: ast.AST, helpers: set[str]) -> tuple[int, int]:
    """(real, trivial) assertions in ``node``."""
    real = trivial = 0
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            if _is_trivial(child.test):
                trivial += 1
            else:
                real += 1
        elif isinstance(child, ast.Call):
            name = _dotted(child.func) or ""
            last = name.rsplit(".", 1)[-1]
            checker = last.startswith("assert") and any(
                not isinstance(a, ast.Constant) for a in child.args)
            if checker or last in ("raises", "warns", "deprecated_call") or name in helpers:
                real += 1
    return real, trivial


def _helpers(tree: ast.Module) -> set[str]:
    return {
        node.name for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("test") and _assertions(node, set())[0] > 0
    }


def _function_reason(node: ast.AST, helpers: set[str]) -> str | None:
    real, trivial = _assertions(node, helpers)
    if real:
        return None
    return "trivial assertion" if trivial else "no assertion"


def check_static(code: str, filename: str = "<candidate>", *,
                 policy: ImportPolicy | None = None) -> StaticReport:
    """The parse, static and assertion gates for one candidate file; imports are judged by
    ``policy`` (by default: no project module, only the test and safe standard modules)."""
    try:
        tree = ast.parse(code, filename=filename)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        reason = f"syntax error: {getattr(exc, 'msg', str(exc))}" + (
            f" (line {line})" if line else "")
        return StaticReport(file_reason=reason, checks={"parse": CheckResult(ok=False,
                                                                            detail=reason)})
    checks = {"parse": CheckResult(ok=True)}
    problems = file_problems(tree, policy or ImportPolicy())
    problem = problems[0].message if problems else None
    checks["static"] = CheckResult(ok=problem is None, detail=problem or "")
    if problem:
        return StaticReport(file_reason=problem, checks=checks)
    helpers = _helpers(tree)
    functions = {name: _function_reason(node, helpers) for name, node in test_functions(tree)}
    if not functions:
        reason = "no assertion" if _assertions(tree, helpers)[0] == 0 else "no test function"
        checks["assertions"] = CheckResult(ok=False, detail="no test function")
        return StaticReport(file_reason=reason, checks=checks)
    good = [n for n, r in functions.items() if r is None]
    reasons = sorted({r for r in functions.values() if r})
    detail = f"{len(good)}/{len(functions)} test functions assert something" + (
        f" ({', '.join(reasons)})" if reasons else "")
    checks["assertions"] = CheckResult(ok=bool(good), detail=detail)
    file_reason = None if good else _first(functions)
    return StaticReport(file_reason=file_reason, checks=checks, functions=functions)


def _first(functions: dict[str, str | None]) -> str:
    reasons = [r for r in functions.values() if r]
    return "trivial assertion" if "trivial assertion" in reasons else reasons[0]
