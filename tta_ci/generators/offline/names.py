"""Names in transplanted code: what an expression needs bound, and whether a written test may
use it (pure).

A call taken from a doctest or an existing test moves into a new test file with the import
statements that bind its free names. Only names a plain test may use travel: the project's own
modules and other third-party packages, a short list of side-effect-free standard modules,
and the builtins that neither run code from strings nor reach the file system.
"""

from __future__ import annotations

import ast
import builtins
import symtable
import sys

__all__ = [
    "SAFE_STDLIB",
    "allowed_module",
    "binding_imports",
    "free_names",
    "plain_code",
    "usable",
]

SAFE_STDLIB = frozenset({
    "re", "math", "cmath", "copy", "decimal", "fractions", "datetime", "collections",
    "collections.abc", "itertools", "functools", "operator", "string", "textwrap", "enum",
    "typing", "dataclasses", "statistics", "numbers", "unittest", "unittest.mock", "json",
    "struct", "array", "heapq", "bisect", "calendar", "io", "types", "uuid", "zoneinfo",
    "ipaddress", "unicodedata", "__future__",
})
FORBIDDEN_BUILTINS = frozenset({
    "eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "delattr",
    "globals", "locals", "vars", "input", "breakpoint", "exit", "quit", "help", "memoryview",
})
_BUILTINS = frozenset(dir(builtins)) - FORBIDDEN_BUILTINS


def free_names(source: str, mode: str = "eval") -> set[str]:
    """The global names ``source`` reads (lambda parameters and comprehension variables are
    bound; names ``exec``-mode code assigns are bound too)."""
    try:
        table = symtable.symtable(source, "<call>", mode)
    except SyntaxError:
        return set()
    found: set[str] = set()
    stack = [(table, True)]
    while stack:
        current, top = stack.pop()
        for symbol in current.get_symbols():
            if not symbol.is_referenced():
                continue
            if (top and not symbol.is_assigned() and not symbol.is_imported()) or (
                    not top and symbol.is_global() and not symbol.is_declared_global()):
                found.add(symbol.get_name())
        stack.extend((child, False) for child in current.get_children())
    bound = _bound_at_top(source, mode)
    return found - bound


def _bound_at_top(source: str, mode: str) -> set[str]:
    if mode != "exec":
        return set()
    bound: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
    return bound


def allowed_module(name: str) -> bool:
    """A module a written test may import: not the standard library, or a safe part of it."""
    top = name.split(".")[0]
    if top not in sys.stdlib_module_names:
        return True
    return name in SAFE_STDLIB or (top in SAFE_STDLIB and top not in ("unittest",))


def plain_code(node: ast.AST) -> bool:
    """No dunder attribute, no forbidden builtin, no ``await``/``yield``."""
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and child.attr.startswith("__"):
            return False
        if isinstance(child, ast.Name) and child.id in FORBIDDEN_BUILTINS:
            return False
        if isinstance(child, ast.Await | ast.Yield | ast.YieldFrom | ast.NamedExpr):
            return False
    return True


def binding_imports(tree: ast.Module) -> dict[str, str]:
    """Name → the one-name import statement that binds it, for the module-level imports of
    ``tree`` (a test file); imports of modules a test may not use are left out."""
    bound: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if allowed_module(alias.name):
                    name = alias.asname or alias.name.split(".")[0]
                    bound[name] = ast.unparse(ast.Import([alias]))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name != "*" and allowed_module(node.module):
                    statement = ast.ImportFrom(node.module, [alias], 0)
                    bound[alias.asname or alias.name] = ast.unparse(statement)
    return bound


def usable(names: set[str], imports: dict[str, str]) -> list[str] | None:
    """The import statements ``names`` need, or None when one of them is not importable."""
    needed: list[str] = []
    for name in sorted(names):
        if name in imports:
            needed.append(imports[name])
        elif name not in _BUILTINS:
            return None
    return needed
