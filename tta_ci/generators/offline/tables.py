"""How a test function's names read at each point of its body (pure ``ast``), for ``scan``.

An ``Env`` maps a name to the expression it stands for: a module constant, a row of a
``pytest.mark.parametrize`` table or of a ``for`` loop over a literal table, a local assigned
once; ``Inline`` puts those expressions in place (spreading ``*[...]`` and ``**dict(...)``). A
local the test sets up with method calls keeps its statements as the call's setup.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field

from tta_ci.generators.offline.names import plain_code

__all__ = ["Env", "Inline", "blocks", "constants", "heads", "loop_rows", "parametrize_rows",
           "record"]

MAX_ROWS = 40


@dataclass
class Env:
    """What a test function's names stand for at one point of its body."""

    values: dict[str, ast.expr] = field(default_factory=dict)
    setups: dict[str, list[ast.stmt]] = field(default_factory=dict)

    def child(self, row: dict[str, ast.expr]) -> Env:
        return Env({**self.values, **row}, {k: list(v) for k, v in self.setups.items()
                                             if k not in row})


class Inline(ast.NodeTransformer):
    def __init__(self, env: Env) -> None:
        self.env = env

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if isinstance(node.ctx, ast.Load) and node.id in self.env.values \
                and node.id not in self.env.setups:
            return copy.deepcopy(self.env.values[node.id])
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        args: list[ast.expr] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.List | ast.Tuple):
                args.extend(arg.value.elts)
            else:
                args.append(arg)
        keywords: list[ast.keyword] = []
        for keyword in node.keywords:
            value = keyword.value
            if keyword.arg is None and isinstance(value, ast.Call) and ast.unparse(
                    value.func) == "dict" and not value.args and all(k.arg for k in value.keywords):
                keywords += value.keywords  # ``**dict(major=2)`` is ``major=2``
            elif keyword.arg is None and isinstance(keyword.value, ast.Dict) and all(
                    isinstance(k, ast.Constant) and isinstance(k.value, str)
                    for k in keyword.value.keys):
                keywords += [ast.keyword(k.value, v)  # type: ignore[union-attr]
                             for k, v in zip(keyword.value.keys, keyword.value.values,
                                             strict=True)]
            else:
                keywords.append(keyword)
        node.args, node.keywords = args, keywords
        return node


def constants(tree: ast.Module) -> dict[str, ast.expr]:
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name) and _literal(node.value):
            found[node.targets[0].id] = node.value
    return found


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def parametrize_rows(func: ast.FunctionDef) -> list[dict[str, ast.expr]]:
    rows: list[dict[str, ast.expr]] = [{}]
    for decorator in func.decorator_list:
        if not (isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith(
                "parametrize") and len(decorator.args) >= 2):
            continue
        names_node, values = decorator.args[0], decorator.args[1]
        if isinstance(names_node, ast.Constant) and isinstance(names_node.value, str):
            names = [n.strip() for n in names_node.value.split(",") if n.strip()]
        elif isinstance(names_node, ast.List | ast.Tuple):
            names = [e.value for e in names_node.elts
                     if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        else:
            continue
        if not isinstance(values, ast.List | ast.Tuple):
            continue
        table = [_row(names, value) for value in values.elts]
        rows = [{**a, **b} for a in rows for b in table if b is not None][:MAX_ROWS]
    return rows


def _row(names: list[str], value: ast.expr) -> dict[str, ast.expr] | None:
    if isinstance(value, ast.Call) and ast.unparse(value.func).endswith("param"):
        items = list(value.args)
    elif len(names) == 1:
        items = [value]
    elif isinstance(value, ast.Tuple | ast.List):
        items = list(value.elts)
    else:
        return None
    return dict(zip(names, items, strict=True)) if len(items) == len(names) else None


BODIES = ("body", "orelse", "finalbody", "handlers")


def heads(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The parts of a statement outside its nested blocks (a ``with``'s items, an ``if``'s
    test); a simple statement whole."""
    for name, value in ast.iter_fields(stmt):
        if name in BODIES:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, ast.AST):
                yield from ast.walk(item)


def blocks(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        inner = getattr(stmt, name, None)
        if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
            yield inner
    for handler in getattr(stmt, "handlers", []):
        yield handler.body


def loop_rows(stmt: ast.For, inline: Inline) -> list[dict[str, ast.expr]] | None:
    """``for a, b in [(1, 2), ...]:`` → one row of bindings per element."""
    items = inline.visit(copy.deepcopy(stmt.iter))
    if not isinstance(items, ast.List | ast.Tuple):
        return None
    rows: list[dict[str, ast.expr]] = []
    for item in items.elts[:MAX_ROWS]:
        if isinstance(stmt.target, ast.Name):
            rows.append({stmt.target.id: item})
        elif isinstance(stmt.target, ast.Tuple | ast.List) and isinstance(
                item, ast.Tuple | ast.List) and len(item.elts) == len(stmt.target.elts) \
                and all(isinstance(t, ast.Name) for t in stmt.target.elts):
            rows.append({t.id: v for t, v in zip(stmt.target.elts, item.elts, strict=True)
                         if isinstance(t, ast.Name)})
        else:
            return None
    return rows


def record(stmt: ast.stmt, env: Env, inline: Inline) -> None:
    """Update ``env`` after ``stmt``: a plain assignment binds, a method call on a local is
    set-up, anything else assigned forgets the name."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
            stmt.targets[0], ast.Name):
        name = stmt.targets[0].id
        value = inline.visit(copy.deepcopy(stmt.value))
        env.setups.pop(name, None)
        if plain_code(value):
            env.values[name] = value
        else:
            env.values.pop(name, None)
        return
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(
            stmt.value.func, ast.Attribute) and isinstance(stmt.value.func.value, ast.Name):
        name = stmt.value.func.value.id
        if name in env.values:
            first = ast.Assign([ast.Name(name, ast.Store())], env.values[name], lineno=0)
            steps = env.setups.setdefault(name, [first])
            steps.append(inline.visit(copy.deepcopy(stmt)))
        return
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            env.values.pop(node.id, None)
            env.setups.pop(node.id, None)
