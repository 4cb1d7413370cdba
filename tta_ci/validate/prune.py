"""Pruning a candidate to what was judged: the kept tests and only what they use.

``prune(code, keep)`` removes the test functions (and ``Test*`` methods) not in ``keep``,
then, until nothing more goes, every module-level definition that no remaining code uses:
helper functions, classes, fixtures (used by a test or fixture that names it as a parameter,
or through ``usefixtures``), constants, and the names of imports. What pytest reads by
itself stays: ``pytestmark``, autouse fixtures, ``from __future__`` imports. The analysis is
by name (``ast``); the edit keeps every other byte of the file (``libcst``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

import libcst as cst

__all__ = ["prune"]

KEPT_NAMES = frozenset({"pytestmark"})


class _TestPruner(cst.CSTTransformer):
    def __init__(self, keep: set[str]) -> None:
        super().__init__()
        self.keep = keep
        self.cls: str | None = None

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.cls = node.name.value
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef
                       ) -> cst.ClassDef | cst.RemovalSentinel:
        self.cls = None
        if not original.name.value.startswith("Test"):
            return updated
        body = [s for s in updated.body.body if not isinstance(s, cst.SimpleStatementLine)
                or not all(isinstance(x, cst.Pass) for x in s.body)]
        if not any(isinstance(s, cst.FunctionDef) and s.name.value.startswith("test")
                   for s in body):
            return cst.RemoveFromParent()
        return updated

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef
                          ) -> cst.FunctionDef | cst.RemovalSentinel:
        name = original.name.value
        if not name.startswith("test"):
            return updated
        if self.cls is not None and not self.cls.startswith("Test"):
            return updated
        full = f"{self.cls}::{name}" if self.cls else name
        return updated if full in self.keep else cst.RemoveFromParent()


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


def _defined(node: ast.stmt) -> set[str]:
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
    defined = _defined(node)
    if isinstance(node, ast.Import | ast.ImportFrom):
        return not defined
    return not defined or bool(defined & KEPT_NAMES)


def unused_names(code: str) -> set[str]:
    """Module-level names that no test (nor what the tests use, transitively) needs."""
    tree = ast.parse(code)
    live: set[str] = set()
    pending = [n for n in tree.body if _is_root(n)]
    others = [n for n in tree.body if not _is_root(n)]
    defined = set().union(*(_defined(n) for n in others)) if others else set()
    while pending:
        node = pending.pop()
        live |= _uses(node)
        newly = [n for n in others if _defined(n) & live]
        others = [n for n in others if n not in newly]
        pending.extend(newly)
    return defined - live


class _NameRemover(cst.CSTTransformer):
    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names
        self.depth = 0

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        self.depth += 1
        return True

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock
                            ) -> cst.IndentedBlock:
        self.depth -= 1
        return updated

    def _gone(self, name: str) -> bool:
        return self.depth == 0 and name in self.names

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef
                          ) -> cst.FunctionDef | cst.RemovalSentinel:
        return cst.RemoveFromParent() if self._gone(original.name.value) else updated

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef
                       ) -> cst.ClassDef | cst.RemovalSentinel:
        return cst.RemoveFromParent() if self._gone(original.name.value) else updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if self.depth:
            return updated
        body = [s for s in (self._statement(s) for s in updated.body) if s is not None]
        return updated.with_changes(body=body) if body else cst.RemoveFromParent()

    def _statement(self, stmt: cst.BaseSmallStatement) -> cst.BaseSmallStatement | None:
        if isinstance(stmt, cst.Assign | cst.AnnAssign):
            code = cst.Module(body=[]).code_for_node(stmt)
            defined = _defined(ast.parse(code).body[0])
            return None if defined and defined <= self.names else stmt
        if isinstance(stmt, cst.Import | cst.ImportFrom) and not isinstance(
                stmt.names, cst.ImportStar):
            if isinstance(stmt, cst.ImportFrom) and _module_name(stmt) == "__future__":
                return stmt
            kept = [a for a in stmt.names if _alias_name(a) not in self.names]
            if not kept:
                return None
            if len(kept) != len(stmt.names):
                kept[-1] = kept[-1].with_changes(comma=stmt.names[-1].comma)
                return stmt.with_changes(names=kept)
        return stmt


def _module_name(stmt: cst.ImportFrom) -> str:
    return cst.Module(body=[]).code_for_node(stmt.module) if stmt.module else ""


def _alias_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return cst.Module(body=[]).code_for_node(alias.name).split(".")[0]


def _without(module: cst.Module, names: Iterable[str]) -> cst.Module:
    return module.visit(_NameRemover(set(names)))


def prune(code: str, keep: Sequence[str]) -> str:
    """``code`` with only the tests in ``keep`` and what they use."""
    module = cst.parse_module(code).visit(_TestPruner(set(keep)))
    for _ in range(20):  # each round removes what only the last round's removals used
        unused = unused_names(module.code)
        if not unused:
            break
        module = _without(module, unused)
    return module.code
