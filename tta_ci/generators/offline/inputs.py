"""Inputs made in the sandbox: values from type hints (Hypothesis, derandomized), plain values
for untyped parameters, and the edges of a boundary around a value seen where it runs.

Hints are resolved with the module's globals plus the names it imports only under
``TYPE_CHECKING`` (run in a scratch namespace), one parameter at a time, so that one
unresolvable hint costs that parameter only. Strategies stay small: bounded numbers, short
ASCII text, short containers, so that every example reads well in a test.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import string
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from tta_ci.generators.offline.model import Boundary, Param
from tta_ci.generators.offline.values import constructed, literal

__all__ = ["OMIT", "POOL", "argument_text", "draw", "edge_values", "resolved_hints"]

POOL: tuple[Any, ...] = (0, 1, -1, 2, 10, "", "a", "abc", "hello world", [], [1, 2, 3],
                         ["a", "b"], None, {}, {"a": 1}, 0.5, 1.5, (), (1, 2), True, False)
OMIT = object()  # a parameter left to its default
_PROTOCOLS = (typing.SupportsInt, typing.SupportsIndex, typing.SupportsFloat)
_TEXT = string.ascii_letters + string.digits + " .-_"


def _type_checking_names(module: types.ModuleType, namespace: dict[str, Any]) -> None:
    try:
        source = inspect.getsource(module)
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
                "TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for stmt in node.body:
                try:
                    exec(compile(ast.Module([stmt], []), "<type-checking>", "exec"), namespace)
                except Exception:  # a name that cannot be bound stays out
                    continue


def resolved_hints(func: Callable[..., Any], module: types.ModuleType) -> dict[str, Any]:
    """Parameter name → its resolved annotation (absent where it cannot be resolved)."""
    namespace = dict(vars(module))
    _type_checking_names(module, namespace)
    annotations = dict(getattr(func, "__annotations__", {}) or {})
    hints: dict[str, Any] = {}
    for name, annotation in annotations.items():
        try:
            if isinstance(annotation, str):
                annotation = eval(annotation, namespace)  # the module's own hint
            hints[name] = typing.get_type_hints(
                types.SimpleNamespace(__annotations__={name: annotation}),
                globalns=namespace)[name]
        except Exception:  # fall back for this parameter only
            continue
    return hints


def _strategy(hint: Any, depth: int = 0) -> Any:
    from hypothesis import strategies as st

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    simple = {int: st.integers(-(10**4), 10**7), bool: st.booleans(),
              float: st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False),
              str: st.lists(st.sampled_from(_TEXT), max_size=12).map("".join),
              bytes: st.lists(st.sampled_from(_TEXT), max_size=12).map(
                  lambda chars: "".join(chars).encode()),
              type(None): st.none()}
    if hint in simple:
        return simple[hint]
    if hint in _PROTOCOLS:
        return st.integers(0, 20)
    if depth > 2 or hint is Any or hint is object:
        return st.sampled_from(POOL)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_strategy(a, depth + 1) for a in args))
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (list, set, frozenset, tuple, dict) or origin in (
            typing.Sequence, typing.Iterable, typing.Collection):
        return _container(origin, args, depth)
    try:
        return st.from_type(hint)
    except Exception:  # no strategy for this hint
        return st.sampled_from(POOL)


def _container(origin: Any, args: tuple[Any, ...], depth: int) -> Any:
    from hypothesis import strategies as st

    item = _strategy(args[0], depth + 1) if args else st.sampled_from(POOL)
    if origin is dict:
        value = _strategy(args[1], depth + 1) if len(args) > 1 else st.sampled_from(POOL)
        return st.dictionaries(item, value, max_size=3)
    if origin is tuple:
        if (len(args) == 2 and args[1] is Ellipsis) or not args:
            return st.lists(item, max_size=4).map(tuple)
        return st.tuples(*(_strategy(a, depth + 1) for a in args))
    if origin in (set, frozenset):
        return st.sets(item, max_size=4).map(origin)
    return st.lists(item, max_size=4)


def draw(params: Sequence[Param], hints: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """``count`` derandomized argument sets (``OMIT``: left to the default)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    fields = {}
    for param in params:
        if param.kind in ("star", "starstar"):
            continue
        base = _strategy(hints[param.name]) if param.name in hints else st.sampled_from(POOL)
        fields[param.name] = st.one_of(st.just(OMIT), base) if param.default else base
    found: list[dict[str, Any]] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries(fields))
    def collect(values: dict[str, Any]) -> None:
        found.append(values)

    with contextlib.suppress(Exception):  # a strategy that fails leaves what it drew
        collect()
    return found


def argument_text(params: Sequence[Param], values: dict[str, Any], prefer: str
                  ) -> tuple[str, list[str]] | None:
    """``1, 'a', strict=True`` for ``values`` (positional while nothing is skipped)."""
    parts: list[str] = []
    imports: list[str] = []
    positional = True
    for param in params:
        value = values.get(param.name, OMIT)
        if value is OMIT or param.kind in ("star", "starstar"):
            if param.default is None and param.kind == "positional":
                return None
            positional = False
            continue
        text = literal(value)
        if text is None and (built := constructed(value, prefer)) is not None:
            text, imports = built[0], imports + built[1]
        if text is None:
            return None
        keyword = not positional or param.kind == "keyword" or param.default is not None
        parts.append(f"{param.name}={text}" if keyword else text)
    return ", ".join(parts), imports


def _numbers(seed: int | float, edge: int | float, derived: bool) -> list[Any]:
    found: list[Any] = [edge - 1, edge, edge + 1]
    if isinstance(seed, float) or isinstance(edge, float):
        found += [edge - 0.1, edge - 0.01, edge - 0.001, edge + 0.1]
    if derived and isinstance(edge, int) and abs(edge) >= 2:
        found += [edge**2 - 1, edge**2, edge**3 - 1]
    if isinstance(seed, int) and not isinstance(seed, bool):
        found = [int(v) if isinstance(v, float) and v.is_integer() else v for v in found]
    return found


def edge_values(seed: Any, edge: Any, boundary: Boundary) -> list[Any]:
    """Values for a parameter whose seed value is ``seed``, around the boundary's ``edge``."""
    if isinstance(seed, bool):
        return []
    if boundary.left.startswith("len(") and isinstance(edge, int) and isinstance(
            seed, list | tuple | str) and 0 <= edge < 1000 and seed:
        longer = seed * (edge // max(len(seed), 1) + 2)
        return [longer[:n] for n in (edge - 1, edge, edge + 1) if n >= 0]
    if isinstance(seed, int | float) and isinstance(edge, int | float) and not isinstance(
            edge, bool):
        return _numbers(seed, edge, derived=boundary.left not in boundary.params)
    if isinstance(edge, str) and isinstance(seed, str):
        if boundary.op in ("in", "not in") and len(edge) <= 10:
            return [seed + c for c in edge] + list(edge)
        return [edge, seed + edge]
    if isinstance(edge, tuple | list | set | frozenset) and boundary.op in ("in", "not in"):
        return [e for e in edge if type(e) is type(seed)][:8]
    if type(edge) is type(seed):
        return [edge]
    return []
