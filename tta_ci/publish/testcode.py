"""Merging accepted test code into a test file's text, with libcst.

``merge_test_code`` is a pure function from the existing file's text and the accepted test
modules to the new text. Existing code is never reformatted: imports are inserted after the
last top-level import and new definitions appended, so every other byte stays. A definition
already present with the same code is not added again (re-running on the same change leaves
the files unchanged); one with the same name but other code gets a fresh name.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst

from tta_ci.core.imports import sorted_imports
from tta_ci.publish.files import TestFileError

__all__ = ["merge_test_code"]


_EMPTY_MODULE = cst.Module(body=[])
_BindingKey = tuple[int, str, str, str]  # (relative level, module, name, asname)


def _code(node: cst.CSTNode) -> str:
    if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.SimpleStatementLine):
        node = node.with_changes(leading_lines=[])
    return _EMPTY_MODULE.code_for_node(node)


def _normal(node: cst.CSTNode) -> str:
    """Code without formatting or comments, to compare two definitions."""
    try:
        return ast.dump(ast.parse(_code(node).strip()))
    except SyntaxError:
        return _code(node)


_Binding = tuple[_BindingKey, cst.BaseSmallStatement]


def _import_bindings(line: cst.SimpleStatementLine) -> list[_Binding]:
    found: list[_Binding] = []
    for small in line.body:
        if isinstance(small, cst.Import):
            for alias in small.names:
                key = (0, "", _EMPTY_MODULE.code_for_node(alias.name), _asname(alias))
                single = alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                found.append((key, small.with_changes(names=[single])))
        elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            module = _EMPTY_MODULE.code_for_node(small.module) if small.module else ""
            for alias in small.names:
                key = (len(small.relative), module, _EMPTY_MODULE.code_for_node(alias.name),
                       _asname(alias))
                single = alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                found.append((key, small.with_changes(names=[single], lpar=None, rpar=None,
                                                      semicolon=cst.MaybeSentinel.DEFAULT)))
    return found


def _asname(alias: cst.ImportAlias) -> str:
    if alias.asname is None or not isinstance(alias.asname.name, cst.Name):
        return ""
    return alias.asname.name.value


def _is_import(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body
    )


def _is_future(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(s, cst.ImportFrom) and _module_name(s) == "__future__" for s in stmt.body
    )


def _module_name(node: cst.ImportFrom) -> str:
    return _EMPTY_MODULE.code_for_node(node.module) if node.module else ""


def _defined_name(stmt: cst.CSTNode) -> str | None:
    if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
        return stmt.name.value
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Name):
                return target.value
        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            return small.target.value
    return None


class _Rename(cst.CSTTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self._names = names

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=self._names.get(updated.value, updated.value))


def _parse(text: str, what: str) -> cst.Module:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise TestFileError(
            f"{what}: not valid Python (line {exc.raw_line}: {exc.message}); "
            "fix it or move it away, tta-ci does not modify it"
        ) from exc


class _Merge:
    """The state of one file while additions are merged into it."""

    def __init__(self, module: cst.Module, first_party: Sequence[str] = ()) -> None:
        self.module = module
        self.fresh = not module.body  # a new file: its import block is sorted whole
        self.first_party = tuple(first_party)
        self.bindings: set[_BindingKey] = set()
        self.defined: dict[str, str] = {}
        self.loose: set[str] = set()
        for stmt in module.body:
            self._remember(stmt)
        self.imports: list[cst.SimpleStatementLine] = []
        self.appended: list[cst.BaseStatement] = []

    def _remember(self, stmt: cst.CSTNode) -> None:
        if _is_import(stmt) and isinstance(stmt, cst.SimpleStatementLine):
            self.bindings.update(key for key, _ in _import_bindings(stmt))
        elif (name := _defined_name(stmt)) is not None:
            self.defined[name] = _normal(stmt)
        else:
            self.loose.add(_normal(stmt))

    def _fresh(self, name: str, stmt: cst.CSTNode, taken: set[str]) -> str:
        """A new name for ``stmt``: a free one, or the one it was given by an earlier run."""
        n = 2
        while True:
            candidate = f"{name}_{n}"
            if candidate not in taken:
                if candidate not in self.defined:
                    return candidate
                renamed = stmt.visit(_Rename({name: candidate}))
                if isinstance(renamed, cst.CSTNode) and self.defined[candidate] == _normal(renamed):
                    return candidate
            n += 1

    def add(self, addition: cst.Module) -> None:
        renames: dict[str, str] = {}
        for stmt in addition.body:
            name = _defined_name(stmt)
            if name is not None and name in self.defined and self.defined[name] != _normal(stmt):
                renames[name] = self._fresh(name, stmt, set(renames.values()))
        if renames:
            addition = addition.visit(_Rename(renames))
        for stmt in addition.body:
            self._add_statement(stmt)

    def _add_statement(self, stmt: cst.BaseStatement) -> None:
        if _is_import(stmt) and isinstance(stmt, cst.SimpleStatementLine):
            for key, small in _import_bindings(stmt):
                if key not in self.bindings:
                    self.bindings.add(key)
                    self.imports.append(cst.SimpleStatementLine(body=[small]))
            return
        name = _defined_name(stmt)
        normal = _normal(stmt)
        if (name is not None and name in self.defined) or (name is None and normal in self.loose):
            return
        self._remember(stmt)
        self.appended.append(stmt)

    def result(self) -> cst.Module:
        if not self.imports and not self.appended:
            return self.module
        body: list[cst.BaseStatement] = list(self.module.body)
        if self.fresh:
            block = sorted_imports((_code(s) for s in self.imports), self.first_party)
            body = list(cst.parse_module(block + "\n").body) if block else []
        else:
            imports = _grouped(self.imports)
            futures = [s for s in imports if _is_future(s)]
            others = [s for s in imports if not _is_future(s)]
            body = _insert_imports(body, futures, others)
        gap = [cst.EmptyLine(), cst.EmptyLine()] if body else []
        for stmt in self.appended:
            if isinstance(stmt, cst.FunctionDef | cst.ClassDef | cst.SimpleStatementLine):
                stmt = stmt.with_changes(leading_lines=gap)
            body.append(stmt)
        return self.module.with_changes(body=body, has_trailing_newline=True)


def _grouped(lines: Sequence[cst.SimpleStatementLine]) -> list[cst.SimpleStatementLine]:
    """New ``from m import a`` lines of one module folded into ``from m import a, b``."""
    out: list[cst.SimpleStatementLine] = []
    by_module: dict[tuple[int, str], int] = {}
    for line in lines:
        small = line.body[0]
        if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
            out.append(line)
            continue
        key = (len(small.relative), _module_name(small))
        if key not in by_module:
            by_module[key] = len(out)
            out.append(line)
            continue
        first = out[by_module[key]].body[0]
        assert isinstance(first, cst.ImportFrom) and not isinstance(first.names, cst.ImportStar)
        names = [n.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                 for n in first.names]
        merged = first.with_changes(names=[*names, *small.names])
        out[by_module[key]] = cst.SimpleStatementLine(body=[merged])
    return out


def _docstring_end(body: Sequence[cst.BaseStatement]) -> int:
    if body and isinstance(body[0], cst.SimpleStatementLine):
        first = body[0].body[0]
        if isinstance(first, cst.Expr) and isinstance(first.value, cst.SimpleString):
            return 1
    return 0


def _insert_imports(body: list[cst.BaseStatement], futures: list[cst.SimpleStatementLine],
                    others: list[cst.SimpleStatementLine]) -> list[cst.BaseStatement]:
    start = _docstring_end(body)
    while start < len(body) and _is_future(body[start]):
        start += 1
    body[start:start] = futures
    last_import = max((i for i, s in enumerate(body) if _is_import(s)), default=start - 1)
    at = last_import + 1
    body[at:at] = others
    after = at + len(others)
    if others and after < len(body) and not _is_import(body[after]):
        nxt = body[after]
        if (
            isinstance(nxt, cst.FunctionDef | cst.ClassDef | cst.SimpleStatementLine)
            and not nxt.leading_lines
        ):
            body[after] = nxt.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
    return body


def merge_test_code(existing: str | None, additions: Sequence[str], header: str,
                    first_party: Sequence[str] = ()) -> str:
    """The text of a test file after merging ``additions`` (test modules) into ``existing``.

    ``existing`` None means a new file, which starts with ``header`` (comment lines) and its
    imports sorted into isort's sections (``first_party``: the project's own top-level
    packages). Raises ``TestFileError`` when the existing text or an addition is not valid
    Python.
    """
    module = _parse(existing if existing is not None else header, "the existing test file")
    merge = _Merge(module, first_party)
    for number, code in enumerate(additions, 1):
        merge.add(_parse(code, f"accepted test #{number}"))
    merged = merge.result()
    if existing is not None and merged is module:
        return existing
    return merged.code
