"""The sandbox side of the offline generator: ``python -m tta_ci.generators.offline.ghost REQ``.

It imports the code under test (so it only ever runs inside the sandbox), writes property
tests with Hypothesis's ghostwriter and the base-vs-head equivalence test, then runs every
candidate test function once and prints one JSON document on stdout:

    {"results": [{"strategy", "code", "status", "message"}], "notes": [...]}

``status`` is ``passed`` or ``failed`` (a finding); functions that Hypothesis finds
unsatisfiable, that fail a health check, or that still hold ``st.nothing()`` are removed
from ``code`` and named in ``notes``; a block left without tests is not returned.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import inspect
import io
import json
import sys
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from tta_ci.generators.offline.code import (
    drop_functions,
    equivalence_test,
    harden,
    holds_nothing,
)

__all__ = ["check", "main", "return_check"]

_SIMPLE = {int: "int", str: "str", bytes: "bytes", bool: "bool", list: "list", dict: "dict",
           tuple: "tuple", set: "set", frozenset: "frozenset", bytearray: "bytearray"}
_NUMERIC = {float: "(int, float)", complex: "(int, float, complex)"}


def _resolve(module: types.ModuleType, dotted: str) -> Any:
    parts = dotted.split(".")
    if hasattr(module, parts[0]):
        obj: Any = module
    elif hasattr(builtins, parts[0]):
        obj = builtins
    else:
        return None
    for part in parts:
        obj = getattr(obj, part, None)
    return obj


def _render_type(kind: Any, module: types.ModuleType) -> str | None:
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    origin = typing.get_origin(kind)
    if origin in _SIMPLE:
        return _SIMPLE[origin]
    if (
        isinstance(kind, type)
        and kind.__module__ == module.__name__
        and _resolve(module, kind.__qualname__) is kind
    ):
        return f"{module.__name__}.{kind.__qualname__}"
    return None


def return_check(hint: Any, module: types.ModuleType) -> str | None:
    """An assertion expression over ``result`` for a return annotation, or None."""
    if hint is None or hint is type(None):
        return "result is None"
    if hint in _NUMERIC:
        return f"isinstance(result, {_NUMERIC[hint]})"
    members = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union,
                                                                   types.UnionType) else (hint,)
    rendered = []
    for member in members:
        if member is type(None):
            rendered.append("type(None)")
        elif member in _NUMERIC:
            rendered.append(_NUMERIC[member].strip("()"))
        elif (text := _render_type(member, module)) is not None:
            rendered.append(text)
        else:
            return None
    if len(rendered) == 1:
        return f"isinstance(result, {rendered[0]})"
    return f"isinstance(result, ({', '.join(rendered)}))"


def _typed_constructor(cls: type) -> bool:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return False
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.annotation is param.empty and param.default is param.empty:
            return False
    return True


def _message(exc: BaseException, output: str) -> str:
    lines = [f"{type(exc).__name__}: {exc}".strip(), *output.strip().splitlines()[-6:]]
    return "\n".join(line for line in lines if line)[:1500]


def check(code: str, name: str) -> tuple[dict[str, str], str]:
    """Run every test function of ``code`` once: name → ``passed``/``failed``/``dropped:..``.

    Returns the statuses and the first failure's message.
    """
    from hypothesis.errors import FailedHealthCheck, Unsatisfiable

    namespace: dict[str, Any] = {"__name__": f"tta_ci_offline_{name}"}
    statuses: dict[str, str] = {}
    message = ""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        exec(compile(code, f"<{name}>", "exec"), namespace)
        tests = {k: v for k, v in namespace.items() if k.startswith("test_") and callable(v)}
        for test_name, func in tests.items():
            try:
                func()
            except (Unsatisfiable, FailedHealthCheck) as exc:
                statuses[test_name] = f"dropped: {type(exc).__name__}"
            except Exception as exc:  # the test failed: record it as a finding
                statuses[test_name] = "failed"
                message = message or _message(exc, output.getvalue())
            else:
                statuses[test_name] = "passed"
    return statuses, message


def _checked(strategy: str, code: str | None, notes: list[str]) -> dict[str, str] | None:
    if code is None:
        return None
    if holds_nothing(code):
        notes.append(f"{strategy}: dropped, it holds st.nothing()")
        return None
    try:
        statuses, message = check(code, strategy.replace(".", "_"))
    except Exception as exc:  # the test module itself does not run: not a candidate
        notes.append(f"{strategy}: dropped, {_message(exc, '')}")
        return None
    dropped = [n for n, s in statuses.items() if s.startswith("dropped")]
    notes += [f"{strategy}: {n} {statuses[n]}" for n in dropped]
    kept = drop_functions(code, dropped) if dropped else code
    if kept is None:
        return None
    failed = [n for n, s in statuses.items() if s == "failed"]
    status = "failed" if failed else "passed"
    return {"strategy": strategy, "code": kept, "status": status, "message": message}


def _strategy_name(code: str) -> str:
    for mode in ("roundtrip", "idempotent", "equivalent", "binary_operation", "ufunc"):
        if f"def test_{mode}_" in code:
            return f"ghostwriter.{mode}"
    return "ghostwriter.fuzz"


def _ghostwrite(module: types.ModuleType, request: dict[str, Any], obj: Any,
                errors: tuple[type[Exception], ...], notes: list[str]) -> str | None:
    from hypothesis.extra import ghostwriter

    symbol: str = request["symbol"]
    self_strategy = None
    if request["kind"] == "method":
        cls = _resolve(module, symbol.rsplit(".", 1)[0])
        if not isinstance(cls, type) or not _typed_constructor(cls):
            notes.append(f"ghostwriter: skipped, the constructor of {symbol.split('.')[0]} "
                         "is not typed, so no instance can be built")
            return None
        self_strategy = f"st.builds({module.__name__}.{cls.__qualname__})"
    try:
        code = ghostwriter.magic(obj, except_=errors)
        hints = typing.get_type_hints(obj)
    except Exception as exc:  # the ghostwriter cannot handle this signature
        notes.append(f"ghostwriter: skipped, {_message(exc, '')}")
        return None
    returns = return_check(hints["return"], module) if "return" in hints else None
    return harden(code, target=f"{module.__name__}.{symbol}", self_strategy=self_strategy,
                  return_check=returns, max_examples=request.get("max_examples", 25))


def _equivalence(module: types.ModuleType, request: dict[str, Any], obj: Any,
                 errors: Sequence[str], notes: list[str]) -> str | None:
    import ast

    from hypothesis.extra import ghostwriter

    try:
        fuzz = ast.parse(ghostwriter.fuzz(obj))
    except Exception as exc:  # the ghostwriter cannot handle this signature
        notes.append(f"equivalent: skipped, {_message(exc, '')}")
        return None
    for node in fuzz.body:
        if isinstance(node, ast.FunctionDef):
            given = next(d for d in node.decorator_list if isinstance(d, ast.Call))
            return equivalence_test(
                given=ast.unparse(given), module=module.__name__, function=request["symbol"],
                params=[k.arg for k in given.keywords if k.arg], expected_errors=errors,
                base_source=request["base_source"],
                max_examples=request.get("max_examples", 25),
            )
    return None


def _error_classes(module: types.ModuleType, names: Sequence[str]
                   ) -> tuple[tuple[type[Exception], ...], list[str]]:
    classes, rendered = [], []
    for name in names:
        obj = _resolve(module, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            classes.append(obj)
            rendered.append(name if hasattr(builtins, name) else f"{module.__name__}.{name}")
    return tuple(classes), rendered


def _generate(request: dict[str, Any], notes: list[str]) -> list[dict[str, str]]:
    results = [r for strategy, code in request["tests"].items()
               if (r := _checked(strategy, code, notes)) is not None]
    if not request["ghostwriter"] and not request.get("base_source"):
        return results
    try:
        module = importlib.import_module(request["module"])
    except BaseException as exc:  # PR code may raise anything (even SystemExit) on import
        notes.append(f"cannot import {request['module']}: {_message(exc, '')}")
        return results
    obj = _resolve(module, request["symbol"])
    if obj is None:
        notes.append(f"{request['module']} has no attribute {request['symbol']}")
        return results
    classes, rendered = _error_classes(module, request["expected_errors"])
    steps: list[tuple[str | None, Callable[[], str | None]]] = []
    if request["ghostwriter"]:
        steps.append((None, lambda: _ghostwrite(module, request, obj, classes, notes)))
    if request.get("base_source"):
        steps.append(("equivalent", lambda: _equivalence(module, request, obj, rendered, notes)))
    for name, make in steps:
        code = make()
        strategy = name or (_strategy_name(code) if code else "ghostwriter")
        if (result := _checked(strategy, code, notes)) is not None:
            results.append(result)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    request = json.loads(args[0])
    notes: list[str] = []
    results = _generate(request, notes)
    sys.__stdout__.write(json.dumps({"results": results, "notes": notes}) + "\n")  # type: ignore[union-attr]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
