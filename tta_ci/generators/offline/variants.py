"""New calls from known ones: one argument replaced, a neighbour of a literal, another receiver
(pure ``ast``; used on both sides of the sandbox).

A ``Call`` names its callee (``func``), so the target's call can be found inside its
expression (``list(mi.chunked('ABCDE', 3))``) and its arguments matched to the parameters the
source declares. Neighbours of a literal are the values a boundary tends to sit on: ``0``,
``-1``, ``n ± 1``, ``-n``, the empty string or container, one element less, ``None`` where the
parameter's default is ``None``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from tta_ci.generators.offline.model import Call, Param

__all__ = [
    "arguments",
    "neighbours",
    "replace_argument",
    "replace_literal",
    "target_call",
    "with_receiver",
]

MAX_NEIGHBOURS = 16


def target_call(tree: ast.AST, func: str) -> ast.Call | None:
    """The first call of ``func`` in ``tree`` (``.name``: a method call on any receiver)."""
    if not func:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if func.startswith("."):
            if isinstance(node.func, ast.Attribute) and node.func.attr == func[1:]:
                return node
        elif ast.unparse(node.func) == func:
            return node
    return None


def arguments(call: ast.Call, params: Sequence[Param]) -> dict[str, ast.expr] | None:
    """Parameter name → argument node; None when the arguments cannot be matched."""
    positional = [p for p in params if p.kind == "positional"]
    star = next((p for p in params if p.kind == "star"), None)
    found: dict[str, ast.expr] = {}
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return None
        if index < len(positional):
            found[positional[index].name] = arg
        elif star is None:
            return None
    names = {p.name for p in params if p.kind in ("positional", "keyword")}
    for keyword in call.keywords:
        if keyword.arg is None:
            return None
        if keyword.arg in names:
            found[keyword.arg] = keyword.value
    return found


def _parse(call: Call) -> tuple[ast.Expression, ast.Call] | None:
    try:
        tree = ast.parse(call.expr, mode="eval")
    except SyntaxError:
        return None
    node = target_call(tree, call.func)
    return (tree, node) if node is not None else None


def replace_argument(call: Call, params: Sequence[Param], name: str, value: str,
                     origin: str) -> Call | None:
    """``call`` with the argument for ``name`` replaced by the source ``value`` (added as a
    keyword when it was left to its default)."""
    parsed = _parse(call)
    if parsed is None:
        return None
    tree, node = parsed
    matched = arguments(node, params)
    param = next((p for p in params if p.name == name), None)
    if matched is None or param is None or param.kind in ("star", "starstar"):
        return None
    new = ast.parse(value, mode="eval").body
    if name in matched:
        old = matched[name]
        node.args = [new if a is old else a for a in node.args]
        for keyword in node.keywords:
            if keyword.value is old:
                keyword.value = new
    elif param.default is not None:
        node.keywords.append(ast.keyword(name, new))
    else:
        return None
    return call.model_copy(update={"expr": ast.unparse(tree), "origin": origin,
                                   "expected": None})


def _literal_neighbours(node: ast.expr) -> Iterator[str]:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        yield from (repr(v) for v in (value - 1, value + 1, 0, -1, -value, -2) if v != value)
    elif isinstance(value, float):
        yield from (repr(v) for v in (-value, 0.0, value + 1, value - 1) if v != value)
    elif isinstance(value, str | bytes):
        yield from (repr(v) for v in (value[:0], value[:-1], value[1:]) if v != value)
    elif isinstance(value, list | tuple | set | frozenset | dict) and value:
        empty = {list: "[]", tuple: "()", set: "set()", frozenset: "frozenset()", dict: "{}"}
        yield empty[type(value)]
        if isinstance(value, list | tuple) and len(value) > 1:
            yield repr(type(value)(value[:-1]))


def _slots(tree: ast.AST) -> Iterator[tuple[ast.Call, int | str]]:
    """(call, position or keyword) of every literal argument of every call in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield from ((node, i) for i, a in enumerate(node.args)
                        if not isinstance(a, ast.Starred))
            yield from ((node, k.arg) for k in node.keywords if k.arg)


def neighbours(call: Call, params: Sequence[Param]) -> list[Call]:
    """Calls that differ from ``call`` in one literal argument of one of its calls (the
    target's or a receiver's constructor), or pass ``None`` where the default is ``None``."""
    try:
        count = sum(1 for _ in _slots(ast.parse(call.expr, mode="eval")))
    except SyntaxError:
        return []
    found: list[str] = []
    for index in range(count):
        tree = ast.parse(call.expr, mode="eval")
        node, slot = list(_slots(tree))[index]
        old = node.args[slot] if isinstance(slot, int) else next(
            k.value for k in node.keywords if k.arg == slot)
        for value in _literal_neighbours(old):
            found.append(_put(tree, node, slot, value))
            _put(tree, node, slot, ast.unparse(old))
    found += _none_variants(call, params)
    unique = [e for e in dict.fromkeys(found) if e != call.expr]
    return [call.model_copy(update={"expr": e, "origin": "neighbour", "expected": None})
            for e in unique[:MAX_NEIGHBOURS]]


def _put(tree: ast.Expression, node: ast.Call, slot: int | str, value: str) -> str:
    new = ast.parse(value, mode="eval").body
    if isinstance(slot, int):
        node.args[slot] = new
    else:
        for keyword in node.keywords:
            if keyword.arg == slot:
                keyword.value = new
    return ast.unparse(tree)


def _none_variants(call: Call, params: Sequence[Param]) -> list[str]:
    parsed = _parse(call)
    if parsed is None:
        return []
    matched = arguments(parsed[1], params) or {}
    found = []
    for param in params:
        node = matched.get(param.name)
        if param.default == "None" and node is not None and not (
                isinstance(node, ast.Constant) and node.value is None):
            new = replace_argument(call, params, param.name, "None", "neighbour")
            if new is not None:
                found.append(new.expr)
    return found


def _constants(tree: ast.AST, value: object) -> list[ast.Constant]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and type(n.value) is type(value) and n.value == value]


def replace_literal(call: Call, old: object, values: Sequence[str], origin: str) -> list[Call]:
    """``call`` with one literal equal to ``old`` (in its setup or its expression) replaced by
    each of ``values``: where the value a boundary compares is a literal of the test."""
    if isinstance(old, bool) or not isinstance(old, int | float | str):
        return []
    found: list[Call] = []
    sources = [*call.setup, call.expr]
    for index, source in enumerate(sources):
        mode = "eval" if index == len(sources) - 1 else "exec"
        try:
            count = len(_constants(ast.parse(source, mode=mode), old))
        except SyntaxError:
            continue
        for position in range(count):
            for value in values:
                tree = ast.parse(source, mode=mode)
                node = _constants(tree, old)[position]
                node.value = ast.literal_eval(value)
                changed = [*sources[:index], ast.unparse(tree), *sources[index + 1:]]
                found.append(call.model_copy(update={
                    "setup": tuple(changed[:-1]), "expr": changed[-1], "origin": origin,
                    "expected": None}))
    return found


def with_receiver(call: Call, receiver: str, setup: Sequence[str], imports: Sequence[str],
                  origin: str) -> Call | None:
    """``call`` made on another receiver (a method call ``X.m(...)``, or the first operand of a
    dunder's form)."""
    try:
        tree = ast.parse(call.expr, mode="eval")
    except SyntaxError:
        return None
    new = ast.parse(receiver, mode="eval").body
    node = target_call(tree, call.func) if call.func.startswith(".") else None
    if node is not None and isinstance(node.func, ast.Attribute):
        node.func.value = new
    elif isinstance(tree.body, ast.Attribute):
        tree.body.value = new
    else:
        return None
    return Call(origin=origin, expr=ast.unparse(tree), func=call.func,
                imports=tuple(dict.fromkeys([*imports, *call.imports])),
                setup=tuple(setup), free=call.free)
