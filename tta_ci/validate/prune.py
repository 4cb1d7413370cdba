"""Pruning a candidate to what was judged: the kept tests and only what they use.

``prune(code, keep)`` removes the test functions (and ``Test*`` methods) not in ``keep``,
then, until nothing more goes, every module-level definition that no remaining code uses:
helper functions, classes, fixtures (used by a test or fixture that names it as a parameter,
or through ``usefixtures``), constants, and the names of imports. What pytest reads by
itself stays: ``pytestmark``, autouse fixtures, ``from __future__`` imports. The analysis is
by name (``ast``, in ``usage.py``); the edit keeps every other byte of the file (``libcst``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

import libcst as cst

from tta_ci.validate.usage import defined_names, unused_names

__all__ = ["prune", "unused_names"]

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
            defined = defined_names(ast.parse(code).body[0])
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
