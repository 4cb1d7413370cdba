"""Calls to the changed symbol in the existing tests, ready to move into a new test (pure).

A test file that imports the symbol's module (or a package above it) is read with ``ast``: the
names it binds to the module, the class or the function (``import more_itertools as mi`` →
``mi.chunked``) are the ways to refer to the symbol (``Target``), and each call of the symbol
becomes a ``Call`` once its arguments are plain: literals, project constructors, the rows of a
``pytest.mark.parametrize`` table, module constants and local variables inlined. A local the
test sets up with method calls (``bl = BarrelList(); bl.extend(...)``) keeps its statements.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass

from tta_ci.generators.offline.model import Call, Target
from tta_ci.generators.offline.names import binding_imports, free_names, plain_code, usable
from tta_ci.generators.offline.source import DUNDER_FORMS
from tta_ci.generators.offline.tables import (
    Env,
    Inline,
    blocks,
    constants,
    heads,
    loop_rows,
    parametrize_rows,
    record,
)

__all__ = ["Subject", "scan_tests", "targets"]

MAX_CALLS_PER_FILE = 80
_OPERATORS = {"==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt,
              ">=": ast.GtE, "in": ast.In}
_BINOPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "//": ast.FloorDiv,
           "%": ast.Mod, "&": ast.BitAnd, "|": ast.BitOr, "^": ast.BitXor}


@dataclass(frozen=True)
class Subject:
    """The changed symbol: ``name`` is the function, or the class of a method ``method``."""

    module: str
    name: str
    method: str = ""
    member: str = "call"  # FunctionInfo.member

    def within(self, dotted: str) -> bool:
        """``dotted`` is the module or a package above it."""
        return self.module == dotted or self.module.startswith(dotted + ".")


def targets(tree: ast.Module, subject: Subject) -> list[Target]:
    """The ways ``tree``'s imports refer to the subject (function, or a method's class)."""
    found: list[Target] = []
    for name, statement in binding_imports(tree).items():
        node = ast.parse(statement).body[0]
        if isinstance(node, ast.ImportFrom) and node.module and subject.within(node.module) \
                and node.names[0].name == subject.name:
            found.insert(0, Target(imports=(statement,), ref=name))
            continue
        dotted = _module_of(node)
        if dotted and subject.within(dotted):
            rest = subject.module[len(dotted):].lstrip(".")
            found.append(Target(imports=(statement,), ref=f"{name}.{subject.name}"))
            if rest:
                found.append(Target(imports=(statement,), ref=f"{name}.{rest}.{subject.name}"))
    return found


def _module_of(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Import):
        alias = node.names[0]
        return alias.name if alias.asname else alias.name.split(".")[0]
    if isinstance(node, ast.ImportFrom) and node.module:
        return f"{node.module}.{node.names[0].name}"
    return None


def _test_functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef]]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                    yield f"{node.name}::{item.name}", item


@dataclass(frozen=True)
class _Refs:
    """The names of one test file that refer to the subject."""

    direct: frozenset[str]  # ``chunked`` (from-imported), or the class ``Version``
    modules: frozenset[str]  # aliases of the module or a package above it: ``mi``
    name: str

    def match(self, node: ast.expr) -> bool:
        text = ast.unparse(node)
        if text in self.direct:
            return True
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name) and root.id in self.modules and text.endswith(
            "." + self.name)


def _refs(imports: dict[str, str], subject: Subject) -> _Refs:
    direct, modules = set(), set()
    for name, statement in imports.items():
        node = ast.parse(statement).body[0]
        if isinstance(node, ast.ImportFrom) and node.module and subject.within(node.module) \
                and node.names[0].name == subject.name:
            direct.add(name)
        dotted = _module_of(node)
        if dotted and subject.within(dotted):
            modules.add(name)
    return _Refs(frozenset(direct), frozenset(modules), subject.name)


def _mentions(node: ast.AST, refs: _Refs) -> bool:
    return any(isinstance(n, ast.Name | ast.Attribute) and refs.match(n) for n in ast.walk(node))


def _member_match(node: ast.AST, subject: Subject, refs: _Refs) -> str | None:
    """The callee text when ``node`` uses the subject, else None."""
    member = subject.member
    if not subject.method:
        if isinstance(node, ast.Call) and refs.match(node.func):
            return ast.unparse(node.func)
        return None
    if member == "init":
        return ast.unparse(node.func) if isinstance(node, ast.Call) and refs.match(
            node.func) else None
    if member in ("call", "property"):
        if member == "call" and isinstance(node, ast.Call) and isinstance(
                node.func, ast.Attribute) and node.func.attr == subject.method:
            return "." + subject.method
        if member == "property" and isinstance(node, ast.Attribute) \
                and node.attr == subject.method and isinstance(node.ctx, ast.Load):
            return "." + subject.method
        return None
    return _dunder_match(node, member, refs)


def _dunder_match(node: ast.AST, member: str, refs: _Refs) -> str | None:
    form = DUNDER_FORMS[member]
    if form.endswith("({0})") and isinstance(node, ast.Call) and len(node.args) == 1 \
            and isinstance(node.func, ast.Name) and node.func.id == form.split("(")[0] \
            and _mentions(node.args[0], refs):
        return node.func.id
    operator = form.replace("{0}", "").replace("{1}", "").strip()
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) is \
            _OPERATORS.get(operator) and _mentions(node, refs):
        return operator
    if isinstance(node, ast.BinOp) and type(node.op) is _BINOPS.get(operator) \
            and _mentions(node.left, refs):
        return operator
    if member == "__getitem__" and isinstance(node, ast.Subscript) and _mentions(
            node.value, refs):
        return "[]"
    return None


def _calls(func: ast.FunctionDef, base: Env, subject: Subject, refs: _Refs
           ) -> Iterator[tuple[ast.expr, str, list[ast.stmt]]]:
    """(inlined expression, callee text, setup statements) for each use of the subject."""
    for row in parametrize_rows(func):
        yield from _block(func.body, base.child(row), subject, refs)


def _block(body: list[ast.stmt], env: Env, subject: Subject, refs: _Refs
           ) -> Iterator[tuple[ast.expr, str, list[ast.stmt]]]:
    inline = Inline(env)
    for stmt in body:
        if isinstance(stmt, ast.For) and (rows := loop_rows(stmt, inline)) is not None:
            for row in rows:
                yield from _block(stmt.body, env.child(row), subject, refs)
            continue
        for node in heads(stmt):
            callee = _member_match(node, subject, refs) if isinstance(node, ast.expr) else None
            if callee is not None:
                used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                setup = [s for name in sorted(used & set(env.setups)) for s in env.setups[name]]
                yield inline.visit(copy.deepcopy(node)), callee, setup
        for inner in blocks(stmt):
            yield from _block(inner, env, subject, refs)
        record(stmt, env, inline)


def scan_tests(path: str, text: str, subject: Subject) -> tuple[list[Call], list[Target]]:
    """The subject's calls in one test file, and the file's ways to refer to the subject."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return [], []
    imports = binding_imports(tree)
    refs = _refs(imports, subject)
    found: dict[str, Call] = {}
    if refs.direct or refs.modules:
        base = Env(values=constants(tree))
        for name, func in _test_functions(tree):
            for expr, callee, setup in _calls(func, base, subject, refs):
                call = _call(f"existing {path}::{name}", expr, callee, setup, imports)
                if call is not None and len(found) < MAX_CALLS_PER_FILE:
                    found.setdefault(call.expr + "\n".join(call.setup), call)
    return list(found.values()), targets(tree, subject)


def _call(origin: str, expr: ast.expr, callee: str, setup: list[ast.stmt],
          imports: dict[str, str]) -> Call | None:
    if not plain_code(expr) or not all(plain_code(s) for s in setup):
        return None
    setup_text = [ast.unparse(s) for s in setup]
    expr_text = ast.unparse(expr)
    names = free_names("\n".join([*setup_text, expr_text]), "exec") if setup_text \
        else free_names(expr_text)
    needed = usable(names, imports)
    if needed is None:
        return None
    return Call(origin=origin, expr=expr_text, func=callee, imports=tuple(needed),
                setup=tuple(setup_text))
