"""The imported module under test and the namespaces its calls run in (in the sandbox).

A call brings the import statements it needs; the names a doctest uses without importing them
(``semver`` in ``semver.Version.parse(...)``) are bound the way the module binds them, or as
top-level modules, and the statement that binds each is recorded, so that the written test
imports it too.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import traceback
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tta_ci.generators.offline.guard import OverBudget, guarded
from tta_ci.generators.offline.model import Target
from tta_ci.generators.offline.names import allowed_module

__all__ = ["Session", "import_failure"]


def import_failure(module: str, exc: BaseException) -> str:
    """One line: why ``module`` does not import, with the file and line where it failed."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = next((f"{f.filename}:{f.lineno}" for f in reversed(frames)
                  if "importlib" not in f.filename), "")
    text = f"{type(exc).__name__}: {exc}".strip()
    hint = ""
    if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name.startswith(
            module.split(".")[0] + "."):
        hint = " (a generated or git-ignored module that the workspace lacks?)"
    return f"cannot import {module}: {text}{hint}" + (f" at {where}" if where else "")


@dataclass
class Session:
    module: types.ModuleType
    cpu_s: float
    compiled: dict[str, types.CodeType] = field(default_factory=dict)  # import statements

    @property
    def prefer(self) -> str:
        """The top package: where a written test imports the project's names from."""
        return self.module.__name__.split(".")[0]

    @classmethod
    def load(cls, name: str, cpu_s: float) -> Session | str:
        """The imported module, or why it does not import."""
        try:
            with guarded(max(cpu_s * 20, 10.0)):
                module = importlib.import_module(name)
        except (Exception, OverBudget, SystemExit) as exc:  # PR code
            return import_failure(name, exc)
        return cls(module, cpu_s)

    def bind(self, name: str, namespace: dict[str, Any]) -> str | None:
        """Bind ``name`` in ``namespace`` as the module sees it; the import statement."""
        if hasattr(self.module, name):
            value = getattr(self.module, name)
            statement = _statement(name, value, self.module.__name__)
        else:
            try:
                importlib.import_module(name)
            except Exception:  # not a module either: the name stays free
                return None
            statement = f"import {name}"
        if statement is None or not self.run(statement, namespace):
            return None
        return statement

    def run(self, statement: str, namespace: dict[str, Any]) -> bool:
        try:
            code = self.compiled.get(statement)
            if code is None:
                code = self.compiled[statement] = compile(statement, "<import>", "exec")
            with guarded(self.cpu_s * 4):
                exec(code, namespace)
        except (Exception, OverBudget):  # an import that fails: no call
            return False
        return True

    def namespace(self, imports: Sequence[str], free: Sequence[str] = ()
                  ) -> tuple[dict[str, Any], list[str]] | None:
        """A fresh namespace with ``imports`` run and ``free`` bound; the imports used."""
        namespace: dict[str, Any] = {"__name__": "tta_ci_offline_case"}
        used = list(imports)
        if not all(self.run(s, namespace) for s in imports):
            return None
        for name in free:
            if name in namespace or hasattr(builtins, name):
                continue
            statement = self.bind(name, namespace)
            if statement is None:
                return None
            used.append(statement)
        return namespace, list(dict.fromkeys(used))

    def resolve(self, options: Sequence[Target], obj: Any) -> Target | None:
        """The first option whose ``ref`` is ``obj`` itself."""
        for option in options:
            made = self.namespace(option.imports)
            if made is None:
                continue
            try:
                found = eval(option.ref, made[0])  # a dotted name, in the sandbox
            except Exception:  # not this option
                continue
            if found is obj:
                return option
        return None


def _statement(name: str, value: Any, module: str) -> str | None:
    if isinstance(value, types.ModuleType):
        if not allowed_module(value.__name__):
            return None
        if value.__name__ == name:
            return f"import {name}"
        parent, _, last = value.__name__.rpartition(".")
        return f"from {parent} import {last}" if last == name else (
            f"import {value.__name__} as {name}")
    home = getattr(value, "__module__", None)
    if (inspect.isclass(value) or inspect.isfunction(value)) and home and allowed_module(home) \
            and getattr(importlib.import_module(home), name, None) is value:
        return f"from {home} import {name}"
    return f"from {module} import {name}"
