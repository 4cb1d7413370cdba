"""Which module-level names of a test file its tests use (by name, ``ast`` only).

``unused_names(code)`` is what pruning removes after the dropped tests; ``nothing_to_prune``
says, without importing ``libcst``, when pruning would change nothing at all.
"""

from __future__ import annotations

import ast

__all__ = ["KEPT_NAMES", "defined_names", "nothing_to_prune", "unused_names"]

KEPT_NAMES = frozenset({"pytestmark"})
_TESTS = ast.FunctionDef | ast.AsyncFunctionDef


def _uses(node: ast.AST) -> set[str]:
    """Names ``node`` reads, the fixtures its functions ask for, the ``usefixtures`` it names."""
    names = {n.id for n in ast.walk(node)
             if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)}
    names |= {a.arg for n in ast.walk(node) if isinstance(n, ast.arguments)
              for a in (*n.posonlyargs, *n.args, *n.kwonlyargs)}
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and ast.unparse(call.func).endswith("usefixtures"):
            names |= {a.value for a in call.args if isinstance(a, ast.Constant)
                      and isinstance(a.value, str)}
    return names


def defined_names(node: ast.stmt) -> set[str]:
    """The module-level names a statement defines (import aliases included)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(node, ast.Import | ast.ImportFrom):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            return set()
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    return set()


def _is_root(node: ast.stmt) -> bool:
    """Statements kept whatever uses them: tests, what pytest reads, anything not a definition."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        autouse = any("autouse" in ast.unparse(d) for d in node.decorator_list)
        return node.name.startswith("test") or autouse
    if isinstance(node, ast.ClassDef):
        return node.name.startswith("Test")
    defined = defined_names(node)
    if isinstance(node, ast.Import | ast.ImportFrom):
        return not defined
    return not defined or bool(defined & KEPT_NAMES)


def unused_names(code: str) -> set[str]:
    """Module-level names that no test (nor what the tests use, transitively) needs."""
    tree = ast.parse(code)
    live: set[str] = set()
    pending = [n for n in tree.body if _is_root(n)]
    others = [n for n in tree.body if not _is_root(n)]
    defined = set().union(*(defined_names(n) for n in others)) if others else set()
    while pending:
        node = pending.pop()
        live |= _uses(node)
        newly = [n for n in others if defined_names(n) & live]
        others = [n for n in others if n not in newly]
        pending.extend(newly)
    return defined - live


def _all_tests_kept(tree: ast.Module, keep: set[str]) -> bool:
    """Every test function and ``Test*`` method is in ``keep`` and no test class is empty."""
    seen = 0
    for node in tree.body:
        if isinstance(node, _TESTS) and node.name.startswith("test"):
            if node.name not in keep:
                return False
            seen += 1
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names = [f.name for f in node.body if isinstance(f, _TESTS)
                     and f.name.startswith("test")]
            if not names or any(f"{node.name}::{n}" not in keep for n in names):
                return False
            seen += len(names)
    # a test-named function anywhere else (nested, in another class): the careful way
    return seen == sum(isinstance(n, _TESTS) and n.name.startswith("test")
                       for n in ast.walk(tree))


def nothing_to_prune(code: str, keep: set[str]) -> bool:
    """Every test stays and every module-level name is used: pruning would change nothing."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return _all_tests_kept(tree, keep) and not unused_names(code)
