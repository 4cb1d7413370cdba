"""Mutants of a module compiled once, switched in a forked child by swapping ``__code__``.

Standard library only: it runs inside the sandbox, in the warm interpreter (``server.py``).

``MutantSet.compile(module, filename, original, sources)`` compiles the original module and
each mutant (a whole module source, as ``tta_ci.core.mutants`` plans them) once, and records per
mutant which code objects differ (``Plan``). ``MutantSet.activate(k)``, called in a forked child
before pytest collects anything, switches the module to mutant ``k``:

* a changed function or method body: the live function objects get the mutant's
  ``__code__``, so every reference to them — ``from pkg.mod import f`` taken before or after,
  a decorator's ``__wrapped__``, a ``staticmethod``, a ``property`` — runs the mutant;
* a change to code that runs at import (module level, a class body, a default value, a def
  added or removed, a function the module calls while it is imported: a decorator, a
  factory): the mutant module is executed into the module's own namespace, and the old
  function objects take the new code and defaults, so old and new references agree.

The ``functools`` caches of the module's functions are emptied on every switch.

Code objects are told apart by ``(co_qualname, ordinal)`` (the n-th code object of that name),
which stays right when a mutant moves the lines below it; a function object is found by its
qualified name and its first line in the original module.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import os
import sys
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MutantSet", "Plan", "code_units", "import_time_names", "live_functions"]

Key = tuple[str, int]  # (co_qualname, ordinal)
Place = tuple[str, int]  # (co_qualname, first line in the original module)
Unit = tuple[types.CodeType, str]  # (code, kind): module, class, def or nested
_MAX_WRAPPED = 20  # __wrapped__ links followed


def _shallow(code: types.CodeType, positions: bool = True) -> tuple[Any, ...]:
    """A code object without its nested code objects (compared on their own) and, without
    ``positions``, without its line tables: a module's code records where each ``def`` ends,
    so a mutant of a function's last line changes the module's positions and nothing else."""
    consts = tuple(c.co_qualname if isinstance(c, types.CodeType) else (type(c), c)
                   for c in code.co_consts)
    where = (code.co_firstlineno, code.co_linetable) if positions else ()
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars,
            code.co_cellvars, code.co_flags, code.co_argcount, code.co_kwonlyargcount,
            code.co_posonlyargcount, code.co_exceptiontable, *where)


def _is_class_body(code: types.CodeType) -> bool:
    return not code.co_flags & inspect.CO_NEWLOCALS  # functions get fresh locals; classes not


def code_units(module_code: types.CodeType) -> dict[Key, Unit]:
    """Every code object of a module: ``(qualname, ordinal) → (code, kind)``."""
    units: dict[Key, Unit] = {("<module>", 0): (module_code, "module")}
    counts: dict[str, int] = {}

    def walk(code: types.CodeType, parent: str) -> None:
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                if parent in ("module", "class"):
                    kind = "class" if _is_class_body(const) else "def"
                else:
                    kind = "nested"
                ordinal = counts.get(const.co_qualname, 0)
                counts[const.co_qualname] = ordinal + 1
                units[(const.co_qualname, ordinal)] = (const, kind)
                walk(const, kind)

    walk(module_code, "module")
    return units


def _unwrap(obj: Any) -> Iterator[types.FunctionType]:
    """The plain functions behind ``obj``: itself, its ``__wrapped__`` chain, the parts of a
    property, the function of a static or class method."""
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    if isinstance(obj, property):
        for part in (obj.fget, obj.fset, obj.fdel):
            if part is not None:
                yield from _unwrap(part)
        return
    if isinstance(obj, functools.partialmethod):
        obj = obj.func
    for _ in range(_MAX_WRAPPED):
        if isinstance(obj, types.FunctionType):
            yield obj
        wrapped = None if isinstance(obj, type) else getattr(obj, "__wrapped__", None)
        if wrapped is None or wrapped is obj:
            return
        obj = wrapped


def live_functions(module: types.ModuleType) -> dict[Place, list[types.FunctionType]]:
    """The function objects made by ``module``'s own code that the module (its namespace, its
    classes and their nested classes) holds, by qualified name and first line."""
    filename = getattr(module, "__file__", None)
    found: dict[Place, list[types.FunctionType]] = {}
    classes: set[int] = set()

    def add(obj: Any) -> None:
        for func in _unwrap(obj):
            code = func.__code__
            if code.co_filename == filename:
                bucket = found.setdefault((code.co_qualname, code.co_firstlineno), [])
                if all(f is not func for f in bucket):
                    bucket.append(func)

    def visit(value: Any) -> None:
        if not isinstance(value, type):
            add(value)
        elif id(value) not in classes and value.__module__ == module.__name__:
            classes.add(id(value))
            for inner in list(vars(value).values()):
                visit(inner)

    for value in list(vars(module).values()):
        visit(value)
    return found


@dataclass(frozen=True)
class Plan:
    """What activating one mutant does."""

    module_code: types.CodeType
    swaps: dict[Place, types.CodeType] = field(default_factory=dict)  # module or class level
    import_time: bool = False  # code that runs at import differs: execute the module too
    changed: tuple[str, ...] = ()  # qualified names of the code objects that differ

    def describe(self) -> dict[str, Any]:
        return {"swaps": sorted({q for q, _ in self.swaps}), "import_time": self.import_time,
                "changed": list(self.changed)}


def _def_ancestor(key: Key, units: dict[Key, Unit]) -> Key | None:
    """The function defined at module or class level whose body holds ``key``."""
    parts = key[0].split(".")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:cut])
        for unit_key, (_, kind) in units.items():
            if unit_key[0] == prefix and kind == "def":
                return unit_key
    return None


def import_time_names(source: str) -> frozenset[str]:
    """The names that the module's own import-time code reads (outside function bodies: module
    level, class bodies, decorators, default values): a function among them runs at import."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for part in (*getattr(node, "decorator_list", ()), node.args):
                visit(part)  # evaluated where the function is defined, not its body
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return frozenset(names)


def _plan(base: dict[Key, Unit], code: types.CodeType, at_import: frozenset[str]) -> Plan:
    units = code_units(code)
    swaps: dict[Place, types.CodeType] = {}
    changed: list[str] = []
    tops = {k for k, (_, kind) in units.items() if kind != "nested"}
    import_time = tops != {k for k, (_, kind) in base.items() if kind != "nested"}
    for key, (unit, kind) in units.items():
        old = base.get(key)
        runs_at_import = kind in ("module", "class")
        if old is not None and old[1] == kind and (
                _shallow(old[0], not runs_at_import) == _shallow(unit, not runs_at_import)):
            continue
        changed.append(key[0])
        outer = key if kind == "def" else _def_ancestor(key, units)
        called = outer is not None and outer[0].split(".", 1)[0] in at_import
        if old is None or runs_at_import or called or outer is None or outer not in base:
            import_time = True
            continue
        # a nested code object changes with its function, which makes it anew on each call
        swaps[(outer[0], base[outer][0].co_firstlineno)] = units[outer][0]
    return Plan(code, swaps, import_time, tuple(changed))


@dataclass(frozen=True)
class MutantSet:
    """The compiled mutants of one module."""

    module: str
    filename: str
    plans: tuple[Plan, ...]

    @classmethod
    def compile(cls, module: str, filename: str, original: str,
                sources: Sequence[str]) -> MutantSet:
        """Compile ``original`` and each of ``sources`` (with the module's real file name, so
        that tracebacks and coverage name it) and plan each switch."""
        base = code_units(compile(original, filename, "exec", dont_inherit=True))
        at_import = import_time_names(original)
        plans = tuple(_plan(base, compile(src, filename, "exec", dont_inherit=True), at_import)
                      for src in sources)
        return cls(module, filename, plans)

    def activate(self, index: int) -> dict[str, Any]:
        """Switch the module (imported now if it is not yet) to mutant ``index``; what was
        done: the functions swapped, those not found, whether the module was executed."""
        plan = self.plans[index]
        module = sys.modules.get(self.module) or importlib.import_module(self.module)
        funcs = live_functions(module)
        missing = [place[0] for place in plan.swaps if place not in funcs]
        swapped, mismatched = _swap(plan.swaps, funcs)
        executed = plan.import_time or bool(mismatched) or bool(missing)
        if executed:
            _exec_into(module, plan.module_code, funcs)
        _clear_caches(module)
        return {"swapped": swapped, "missing": missing, "exec": executed}

    def watch(self) -> list[str]:
        """From now on, note each time this module's file runs as a module again (imported
        under a second name, from its path, or reloaded): that copy has the original code.
        The list fills as it happens (an audit hook: it stays for the process's life)."""
        real = os.path.realpath(self.filename)
        name = os.path.basename(real)
        seen: list[str] = []

        def hook(event: str, args: tuple[Any, ...]) -> None:
            if event != "exec" or not args or not isinstance(args[0], types.CodeType):
                return
            code = args[0]
            if (code.co_name == "<module>" and os.path.basename(code.co_filename) == name
                    and os.path.realpath(code.co_filename) == real):
                seen.append(f"{code.co_filename} (run again as a module)")

        sys.addaudithook(hook)
        return seen

    def aliases(self, active: types.ModuleType | None) -> list[str]:
        """Other modules made from this module's file than ``active`` (the one switched): a
        test that loads it under a second name, or imports it again, does not run the mutant
        there, so the run does not count."""
        found = []
        try:
            wanted = os.stat(self.filename)
        except OSError:
            wanted = None
        for name, module in list(sys.modules.items()):
            path = getattr(module, "__file__", None)
            if name == self.module or not isinstance(path, str) or wanted is None:
                continue
            try:  # one stat, not realpath's one per part of the path, for each module
                same = os.path.samestat(os.stat(path), wanted)
            except (OSError, ValueError):
                continue
            if same:
                found.append(name)
        if sys.modules.get(self.module) is not active:
            found.append(self.module)
        return sorted(found)


def _swap(codes: dict[Place, types.CodeType], funcs: dict[Place, list[types.FunctionType]]
          ) -> tuple[list[str], list[str]]:
    """Give the live functions at each place their new code; (swapped, left because their
    closure cells differ: only a new definition will do)."""
    swapped: list[str] = []
    mismatched: list[str] = []
    for place, code in codes.items():
        for func in funcs.get(place, []):
            if code.co_freevars != func.__code__.co_freevars:
                mismatched.append(place[0])
            else:
                func.__code__ = code
                swapped.append(place[0])
    return swapped, mismatched


def _clear_caches(module: types.ModuleType) -> None:
    """Empty the ``lru_cache``/``cache`` of the module's functions (and methods): a result
    computed before the switch must not answer for the mutant."""
    for value in [*vars(module).values(),
                  *(v for c in vars(module).values() if isinstance(c, type)
                    and c.__module__ == module.__name__ for v in vars(c).values())]:
        clear = getattr(value, "cache_clear", None)
        if callable(clear) and hasattr(value, "__wrapped__"):
            clear()


def _exec_into(module: types.ModuleType, code: types.CodeType,
               old: dict[Place, list[types.FunctionType]]) -> None:
    """Run the mutant module in the module's own namespace; the function objects made before
    (held by whatever imported them) take the mutant's code and defaults."""
    exec(code, module.__dict__)  # the mutant of the module under test
    by_name: dict[str, list[types.FunctionType]] = {}
    for (name, _), funcs in live_functions(module).items():
        by_name.setdefault(name, []).extend(funcs)
    for (name, _), olds in old.items():
        news = by_name.get(name, [])
        if len(news) != 1:
            continue  # gone, or ambiguous (two lambdas of one scope): left as they were
        for func in olds:
            if func is not news[0]:
                if func.__code__.co_freevars == news[0].__code__.co_freevars:
                    func.__code__ = news[0].__code__
                func.__defaults__ = news[0].__defaults__
                func.__kwdefaults__ = news[0].__kwdefaults__
