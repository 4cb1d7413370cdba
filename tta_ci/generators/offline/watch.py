"""Observing one call on the imported code (runs in the sandbox): the ``Case`` it makes.

The call's setup runs, then its expression, under ``guarded``. Mutable literal arguments and a
method's receiver are first bound to names, so that a change the call makes to them can be
stated after it (``assert items == [1, 2]``); names whose state did not change are put back
inline. An iterator is read (at most 50 items) and stated as a list. A call that runs out of
CPU time, prints too much, touches files or the network, or raises outside its expression is
no example.
"""

from __future__ import annotations

import ast
import builtins
import collections.abc
import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tta_ci.generators.offline.cases import Case
from tta_ci.generators.offline.guard import OverBudget, guarded
from tta_ci.generators.offline.values import (
    MAX_VALUE,
    attributes,
    class_import,
    constructed,
    literal,
    shown,
)
from tta_ci.generators.offline.variants import target_call

__all__ = ["Seen", "compile_body", "exception_source", "observe_case", "run_body", "run_case"]

MAX_ITEMS = 50
MAX_MATCH = 48  # characters of an exception's message matched: the line stays short
_MUTABLE = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)


@dataclass
class Seen:
    """A call's ``Case`` and what a reviewer reads about it."""

    case: Case
    shown: str
    imports: list[str] = field(default_factory=list)
    got: str | None = None  # the value's repr, as a doctest shows it
    # the same call stated by one attribute of the object it returns (``== `` on the object
    # may compare less than its attributes say): (case, shown) each
    alternatives: list[tuple[Case, str]] = field(default_factory=list)


def exception_source(kind: type[BaseException], prefer: str) -> tuple[str, list[str]] | None:
    if getattr(builtins, kind.__name__, None) is kind:
        return kind.__name__, []
    statement = class_import(kind, prefer)
    return (kind.__qualname__, [statement]) if statement else None


def _message(exc: BaseException) -> str:
    text = str(exc)
    cwd = os.getcwd()
    if cwd in text:
        text = text.split(cwd)[0]
    if not text.strip():
        return ""
    first = text.splitlines()[0]
    if len(first) <= MAX_MATCH:
        return first
    return first[:MAX_MATCH].rsplit(" ", 1)[0] or first[:MAX_MATCH]  # searched: a prefix does


def _var(name: str, taken: set[str]) -> str:
    base = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_") or "value"
    base = base if base.isidentifier() else "value"
    candidate, index = base, 2
    while candidate in taken or hasattr(builtins, candidate):
        candidate, index = f"{base}_{index}", index + 1
    return candidate


def _hoist(expr: str, func: str, taken: set[str], receiver_name: str
           ) -> tuple[ast.Expression, dict[str, ast.expr]]:
    """``expr`` with its mutable arguments and receiver bound to new names."""
    tree = ast.parse(expr, mode="eval")
    node = target_call(tree, func)
    hoisted: dict[str, ast.expr] = {}
    if node is None:
        return tree, hoisted
    for index, arg in enumerate(node.args):
        if isinstance(arg, _MUTABLE):
            name = _var("items" if index == 0 else f"arg{index}", taken | set(hoisted))
            hoisted[name], node.args[index] = arg, ast.Name(name, ast.Load())
    if func.startswith(".") and isinstance(node.func, ast.Attribute) and not isinstance(
            node.func.value, ast.Name):
        name = _var(receiver_name, taken | set(hoisted))
        hoisted[name], node.func.value = node.func.value, ast.Name(name, ast.Load())
    return tree, hoisted


def _state(value: Any) -> tuple[tuple[str, str], ...]:
    text = literal(value)
    if text is not None:
        return (("{0}", text),)
    if isinstance(value, collections.abc.Mapping):
        text = literal(dict(value))
        return (("dict({0})", text),) if text else ()
    if isinstance(value, collections.abc.Sequence | collections.abc.Set) and not isinstance(
            value, str | bytes):
        text = literal(list(value))
        return (("list({0})", text),) if text else ()
    return tuple((f"{{0}}.{k}", v) for k, v in attributes(value).items())


def _value_case(value: Any, expr: str, prefer: str) -> tuple[dict[str, Any], list[str]] | None:
    if value is None or isinstance(value, bool):
        return {"kind": "is", "value": repr(value)}, []
    if isinstance(value, float) and math.isnan(value):
        return {"kind": "nan"}, []
    if (text := literal(value)) is not None:
        return {"kind": "eq", "value": text}, []
    if (built := constructed(value, prefer)) is not None:
        return {"kind": "eq", "value": built[0]}, built[1]
    if isinstance(value, list | tuple | str) and len(value) > 5:
        head = literal(value[:5])
        if head is not None:
            return {"kind": "attrs", "attrs": (("len(result)", str(len(value))),
                                               ("result[:5]", head))}, []
    try:
        text = repr(value)
    except Exception:  # a broken __repr__
        return None
    own_repr = getattr(type(value), "__repr__", None) is not getattr(object, "__repr__", None)
    if own_repr and len(text) <= MAX_VALUE \
            and " at 0x" not in text:
        return {"kind": "repr", "value": text}, []
    found = attributes(value)
    if found:
        return {"kind": "attrs", "attrs": tuple((f"result.{k}", v) for k, v in found.items())}, []
    return None


def _read(result: Any, expr: str, cpu_s: float) -> tuple[Any, str, BaseException | None]:
    if not isinstance(result, collections.abc.Iterator):
        return result, expr, None
    try:
        with guarded(cpu_s) as printed:
            items = list(itertools.islice(result, MAX_ITEMS + 1))
    except OverBudget:
        raise
    except Exception as exc:  # reading it raised: that is its behaviour
        return None, f"list({expr})", exc
    if not printed.clean:
        raise OverBudget
    if len(items) > MAX_ITEMS:
        return items[:MAX_ITEMS], f"list(itertools.islice({expr}, {MAX_ITEMS}))", None
    return items, f"list({expr})", None


def observe_case(namespace: dict[str, Any], setup: list[str], expr: str, func: str,
                 receiver: str, prefer: str, cpu_s: float,
                 trace: Callable[[], Any]) -> Seen | None:
    """Run the call once and describe what it did; None when it is no example."""
    tree, hoisted = _hoist(expr, func, set(namespace), receiver)
    lines = [*setup, *(f"{k} = {ast.unparse(v)}" for k, v in hoisted.items())]
    try:
        with guarded(cpu_s) as printed:
            for line in lines:
                exec(compile(line, "<setup>", "exec"), namespace)  # sandbox
    except (Exception, OverBudget):  # a setup that fails is no example
        return None
    if not printed.clean:
        return None
    before = {k: _state(namespace[k]) for k in hoisted}
    code = ast.unparse(tree)
    error: BaseException | None = None
    result: Any = None
    try:
        with trace():
            with guarded(cpu_s) as printed:
                try:
                    result = eval(compile(code, "<call>", "eval"), namespace)
                except Exception as exc:  # raising is what the call does
                    error = exc
            if error is None and printed.clean:
                result, code, error = _read(result, code, cpu_s)
    except BaseException:  # out of time, or SystemExit and the like: no example
        return None
    if not printed.clean:
        return None
    changed = {}
    for name in hoisted:  # only what changed: a receiver's other attributes are no news
        after = _state(namespace[name])
        if after != before[name]:
            changed[name] = tuple(s for s in after if s not in before[name]) or after
    return _seen(tree, hoisted, changed, setup, code, result, error, prefer)


def _seen(tree: ast.Expression, hoisted: dict[str, ast.expr],
          changed: dict[str, tuple[tuple[str, str], ...]], setup: list[str], code: str,
          result: Any, error: BaseException | None, prefer: str) -> Seen | None:
    kept = {k: v for k, v in hoisted.items() if k in changed}
    inline = {k: v for k, v in hoisted.items() if k not in changed}
    expr = _inline(code, inline)
    lines = [*setup, *(f"{k} = {ast.unparse(v)}" for k, v in kept.items())]
    states = tuple((form.format(k), text) for k, forms in changed.items() for form, text in forms)
    if error is not None:
        found = exception_source(type(error), prefer)
        if found is None or isinstance(error, SyntaxError | NameError | ImportError):
            return None
        match = _message(error)
        case = Case(setup=tuple(lines), expr=expr, kind="raises", exc=found[0], match=match,
                    states=states)
        return Seen(case, f"raises {type(error).__name__}({match!r})", found[1])
    if result is None and states:
        return Seen(Case(setup=tuple(lines), expr=expr, kind="call", states=states),
                    "; ".join(f"{e} == {v}" for e, v in states))
    made = _value_case(result, expr, prefer)
    if made is None:
        return None
    fields, imports = made
    case = Case(setup=tuple(lines), expr=expr, states=states, **fields)
    try:
        got: str | None = repr(result)
    except Exception:  # a broken __repr__
        got = None
    alternatives = []
    if literal(result) is None and not states:
        for name, text in attributes(result, properties=True).items():
            alternative = Case(setup=tuple(lines), expr=f"{expr}.{name}", value=text,
                               kind="is" if text in ("None", "True", "False") else "eq")
            alternatives.append((alternative, f"{name} == {text}"))
    return Seen(case, shown(result), imports, got, alternatives)


def _inline(code: str, names: dict[str, ast.expr]) -> str:
    class Put(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.expr:
            return names.get(node.id, node) if isinstance(node.ctx, ast.Load) else node

    return ast.unparse(Put().visit(ast.parse(code, mode="eval")))


def compile_body(namespace: dict[str, Any], body: str) -> Callable[[], Any] | None:
    """The test ``body`` as a function of its own copy of ``namespace``."""
    source = "def _case():\n" + "".join(f"    {line}\n" for line in body.splitlines())
    scope = dict(namespace)
    try:
        exec(compile(source, "<case>", "exec"), scope)  # in the sandbox
    except Exception:  # a body that does not compile: no test
        return None
    case: Callable[[], Any] = scope["_case"]
    return case


def run_case(case: Callable[[], Any] | None, cpu_s: float) -> bool:
    """Whether the compiled test passes now."""
    if case is None:
        return False
    try:
        with guarded(cpu_s) as printed:
            case()
    except BaseException:  # any failure (pytest's outcomes too): the test fails
        return False
    return printed.clean


def run_body(namespace: dict[str, Any], body: str, cpu_s: float) -> bool:
    """Whether the test ``body`` passes here (in a fresh copy of ``namespace``)."""
    return run_case(compile_body(namespace, body), cpu_s)
