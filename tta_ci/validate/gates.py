"""Static gates: the cheap checks made on a candidate's source before anything runs.

``check_static(code)`` parses the file and returns, for the whole file, the first reason to
reject it (syntax error, forbidden call, secret access, conftest writes, pytest hooks) and,
for each test function, whether it has a real assertion.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict

from tta_ci.core.types import CheckResult

__all__ = ["StaticReport", "check_static", "test_functions"]

FORBIDDEN_MODULES = {
    "subprocess": "subprocess", "socket": "socket", "ctypes": "ctypes",
    "multiprocessing": "multiprocessing", "pty": "subprocess", "signal": "signal",
    "urllib.request": "network", "http.client": "network", "httpx": "network",
    "requests": "network", "aiohttp": "network", "urllib3": "network", "ftplib": "network",
    "smtplib": "network", "telnetlib": "network", "asyncio.subprocess": "subprocess",
}
FORBIDDEN_CALLS = {
    "sys.exit", "os._exit", "os.kill", "os.killpg", "os.abort", "os.system", "os.popen",
    "os.fork", "os.forkpty", "os.execv", "os.execve", "os.execl", "os.execvp", "os.spawnl",
    "os.posix_spawn", "exit", "quit", "builtins.exit", "os.setsid", "os.chdir",
}
SECRET_NAME = re.compile(r"^(OPENROUTER_API_KEY|GITHUB_TOKEN|GH_TOKEN|ACTIONS_RUNTIME_TOKEN|"
                         r"[A-Z0-9_]*(_API_KEY|_TOKEN|_SECRET|_PASSWORD))$")
TRIVIAL_CALLS = {"hasattr", "callable", "isinstance", "issubclass", "getattr", "type"}
MAX_SLEEP_S = 1.0


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


def _aliases(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _imported_modules(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def _forbidden_import(tree: ast.Module) -> str | None:
    for module in _imported_modules(tree):
        for name, label in FORBIDDEN_MODULES.items():
            if module == name or module.startswith(name + "."):
                return f"forbidden call: {label if label == 'network' else name}"
    return None


def _call_problem(node: ast.Call, aliases: dict[str, str]) -> str | None:
    name = _dotted(node.func, aliases)
    if name is None:
        return None
    if name in FORBIDDEN_CALLS:
        return f"forbidden call: {name}"
    if name == "time.sleep" and node.args and isinstance(node.args[0], ast.Constant):
        value = node.args[0].value
        if isinstance(value, int | float) and value > MAX_SLEEP_S:
            return f"forbidden call: time.sleep({value})"
    if name == "shutil.rmtree" and not any(
            isinstance(n, ast.Name) and n.id in ("tmp_path", "tmpdir", "tmp_path_factory")
            for a in node.args for n in ast.walk(a)):
        return "forbidden call: shutil.rmtree"
    return None


def _string_problem(value: str) -> str | None:
    if SECRET_NAME.match(value):
        return f"reads a secret: {value}"
    if "conftest.py" in value:
        return "writes conftest.py"
    if "/proc/" in value:
        return "forbidden call: /proc"
    return None


def _file_problem(tree: ast.Module) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "pytest_"):
            return f"defines pytest hook: {node.name}"
    problem = _forbidden_import(tree)
    if problem:
        return problem
    aliases = _aliases(tree)
    for child in ast.walk(tree):
        if isinstance(child, ast.Call):
            problem = _call_problem(child, aliases)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            problem = _string_problem(child.value)
        if problem:
            return problem
    return None


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
            name = _dotted(child.func, {}) or ""
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


def check_static(code: str, filename: str = "<candidate>") -> StaticReport:
    """The parse, static and assertion gates for one candidate file."""
    try:
        tree = ast.parse(code, filename=filename)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        reason = f"syntax error: {getattr(exc, 'msg', str(exc))}" + (
            f" (line {line})" if line else "")
        return StaticReport(file_reason=reason, checks={"parse": CheckResult(ok=False,
                                                                            detail=reason)})
    checks = {"parse": CheckResult(ok=True)}
    problem = _file_problem(tree)
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
