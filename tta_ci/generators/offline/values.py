"""Observed values as source code a test can compare against (runs in the sandbox).

``literal`` writes plain data (numbers, strings, containers of them) exactly: what it returns
evaluates to an equal value of the same type. ``constructed`` accepts an object whose ``repr``
is a constructor call that rebuilds an equal object, once the class is imported
(``Version(major=1, ...)``, ``Decimal('1.5')``). ``attributes`` is the last resort: the public
attributes of an object that are plain data.
"""

from __future__ import annotations

import importlib
import math
import re
import sys
from typing import Any

__all__ = ["MAX_VALUE", "attributes", "class_import", "constructed", "literal", "shown"]

MAX_VALUE = 400  # characters of a value written into a test
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}|<[\w.]+ object at ")
_PLAIN = (type(None), bool, int, float, complex, str, bytes)
_CONTAINERS = (list, tuple, set, frozenset, dict)


def literal(value: Any, depth: int = 0) -> str | None:
    """Source that ``ast.literal_eval`` turns back into ``value`` (same type, equal)."""
    text = _literal(value, depth)
    return text if text is not None and len(text) <= MAX_VALUE else None


def _literal(value: Any, depth: int) -> str | None:
    kind = type(value)
    if depth > 6:
        return None
    if kind is float:
        return repr(value) if math.isfinite(value) else None
    if kind is complex:
        finite = math.isfinite(value.real) and math.isfinite(value.imag)
        return repr(value) if finite else None
    if kind in _PLAIN:
        return repr(value)
    if kind in (list, tuple):
        items = [_literal(v, depth + 1) for v in value]
        if None in items:
            return None
        if kind is tuple:
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"  # type: ignore[arg-type]
        return f"[{', '.join(items)}]"  # type: ignore[arg-type]
    if kind in (set, frozenset):
        return _set(value, depth)
    if kind is dict:
        pairs = [(_literal(k, depth + 1), _literal(v, depth + 1)) for k, v in value.items()]
        if any(k is None or v is None for k, v in pairs):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    return None


def _set(value: set[Any] | frozenset[Any], depth: int) -> str | None:
    items = [_literal(v, depth + 1) for v in value]
    if None in items:
        return None
    inner = ", ".join(sorted(items))  # type: ignore[arg-type]
    if type(value) is frozenset:
        return f"frozenset({{{inner}}})" if items else "frozenset()"
    return f"{{{inner}}}" if items else "set()"


def class_import(cls: type, prefer: str = "") -> str | None:
    """``from pkg import Cls`` for a class importable by its name (from ``prefer``, the
    project's top package, when it re-exports it), else None."""
    name, module = cls.__qualname__, cls.__module__
    if "." in name or "<" in name or module == "builtins":
        return None
    for candidate in (prefer, module):
        if not candidate:
            continue
        loaded = sys.modules.get(candidate)
        if loaded is None:
            try:
                loaded = importlib.import_module(candidate)
            except Exception:  # an unimportable module is no option
                continue
        if getattr(loaded, name, None) is cls:
            return f"from {candidate} import {name}"
    return None


def _classes(value: Any, depth: int = 0) -> set[type]:
    found = {type(value)}
    if depth < 3 and type(value) in _CONTAINERS:
        items = list(value.items()) if isinstance(value, dict) else list(value)
        for item in items[:50]:
            for part in item if isinstance(value, dict) else (item,):
                found |= _classes(part, depth + 1)
    return found - set(_PLAIN) - set(_CONTAINERS)


def constructed(value: Any, prefer: str = "") -> tuple[str, list[str]] | None:
    """(source, imports) that rebuild an object equal to ``value`` from its repr."""
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ is no value
        return None
    if len(text) > MAX_VALUE or _ADDRESS.search(text):
        return None
    imports, namespace = [], {}
    for cls in _classes(value):
        if getattr(cls, "__eq__", None) is getattr(object, "__eq__", None):
            return None
        statement = class_import(cls, prefer)
        if statement is None:
            return None
        imports.append(statement)
        namespace[cls.__qualname__] = cls
    try:
        rebuilt = eval(text, {"__builtins__": {}}, namespace)  # in the sandbox
        same = type(rebuilt) is type(value) and bool(rebuilt == value)
    except Exception:  # the repr is no constructor call
        return None
    return (text, sorted(imports)) if same else None


def _properties(value: Any) -> list[tuple[str, Any]]:
    found = []
    for cls in type(value).__mro__[:-1]:
        for name, member in vars(cls).items():
            if isinstance(member, property) and not name.startswith("_"):
                try:
                    found.append((name, getattr(value, name)))
                except Exception:  # a property that raises is no state
                    continue
    return found


def attributes(value: Any, limit: int = 6, properties: bool = False) -> dict[str, str]:
    """Public data attributes of ``value`` (and its properties) with plain values, as
    sources."""
    try:
        items = sorted(vars(value).items())
    except TypeError:
        items = []
    if properties:
        items += _properties(value)
    found: dict[str, str] = {}
    for key, item in items:
        if key.startswith("_") or callable(item):
            continue
        text = literal(item)
        if text is not None and len(found) < limit:
            found[key] = text
    return found


def shown(value: Any, limit: int = 120) -> str:
    """A short, readable form of a value for a reviewer."""
    try:
        text = literal(value) or repr(value)
    except Exception:  # a broken __repr__
        text = f"<{type(value).__name__}>"
    text = _ADDRESS.sub("0x…", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
