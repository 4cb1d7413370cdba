"""Mutants of the changed lines, swapped into the imported module (runs in the sandbox).

The mutants come from ``tta_ci.core.mutants`` (the validator's planner). Each mutated module is
compiled once; the code objects of its functions replace those of the live functions with the
same qualified name (methods, decorated functions and the wrappers a decorator made included),
so a call made afterwards runs the mutant, and the original code is put back after it.
"""

from __future__ import annotations

import contextlib
import inspect
import types
from collections.abc import Iterator
from typing import Any

from tta_ci.core.mutants import Mutant

__all__ = ["compiled", "live_functions", "swapped"]

_Functions = dict[str, list[types.FunctionType]]


def _unwrap(obj: Any) -> Iterator[types.FunctionType]:
    seen: set[int] = set()
    stack = [obj]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, staticmethod | classmethod):
            stack.append(item.__func__)
        elif isinstance(item, property):
            stack += [f for f in (item.fget, item.fset, item.fdel) if f is not None]
        elif isinstance(item, types.FunctionType):
            yield item
            stack.append(getattr(item, "__wrapped__", None))
            stack += [c.cell_contents for c in item.__closure__ or ()
                      if _filled(c) and callable(c.cell_contents)]
        elif inspect.ismethod(item):
            stack.append(item.__func__)


def _filled(cell: types.CellType) -> bool:
    try:
        _ = cell.cell_contents  # an empty cell raises
    except ValueError:
        return False
    return True


def live_functions(module: types.ModuleType) -> _Functions:
    """qualified name → the module's function objects defined in its file."""
    found: _Functions = {}
    filename = getattr(module, "__file__", None)
    stack: list[Any] = list(vars(module).values())
    classes: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, type):
            if id(item) in classes or item.__module__ != module.__name__:
                continue
            classes.add(id(item))
            stack += list(vars(item).values())
            continue
        for func in _unwrap(item):
            if func.__code__.co_filename == filename:
                bucket = found.setdefault(func.__code__.co_qualname, [])
                if all(f is not func for f in bucket):
                    bucket.append(func)
    return found


def compiled(mutant: Mutant, filename: str) -> dict[str, types.CodeType]:
    """qualified name → code object, for every function of the mutated module."""
    codes: dict[str, types.CodeType] = {}
    stack = [compile(mutant.source, filename, "exec", dont_inherit=True)]
    while stack:
        code = stack.pop()
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                codes.setdefault(const.co_qualname, const)
                stack.append(const)
    return codes


@contextlib.contextmanager
def swapped(live: _Functions, codes: dict[str, types.CodeType]) -> Iterator[int]:
    """The live functions run the mutant's code inside the block; yields how many changed."""
    changed: list[tuple[types.FunctionType, types.CodeType]] = []
    try:
        for name, functions in live.items():
            new = codes.get(name)
            for func in functions:
                old = func.__code__
                if new is None or (new.co_code == old.co_code and new.co_consts == old.co_consts):
                    continue
                if len(new.co_freevars) != len(old.co_freevars):
                    continue
                func.__code__ = new
                changed.append((func, old))
        yield len(changed)
    finally:
        for func, old in changed:
            func.__code__ = old
