"""Pure code transformations of the offline generator (stdlib ``ast`` and ``black`` only).

Used on both sides of the sandbox: ``harden`` makes a ghostwritten test fit for CI (settings,
an instance for ``self``, a return-type assertion, no ``st.nothing()``), ``equivalence_test``
writes the base-vs-head regression test, and ``assemble`` joins several test modules into one.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

__all__ = [
    "MAX_EXAMPLES",
    "assemble",
    "drop_functions",
    "equivalence_test",
    "harden",
    "holds_nothing",
    "settings_decorator",
]

MAX_EXAMPLES = 25


def settings_decorator(max_examples: int = MAX_EXAMPLES) -> str:
    """Derandomized so that every run (and the validator's reruns) sees the same inputs."""
    return (
        f"settings(max_examples={max_examples}, deadline=None, derandomize=True, database=None, "
        "suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])"
    )


def _is_nothing(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and not node.args
        and ast.unparse(node.func) in ("st.nothing", "strategies.nothing", "nothing")
    )


def holds_nothing(code: str) -> bool:
    """Whether the test code draws from ``st.nothing()`` anywhere (it could never run)."""
    return any(_is_nothing(node) for node in ast.walk(ast.parse(code)))


def _is_given(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and ast.unparse(node.func) in ("given", "hypothesis.given")


def _replace_self(func: ast.FunctionDef, self_strategy: str | None) -> None:
    for decorator in func.decorator_list:
        if not _is_given(decorator) or not isinstance(decorator, ast.Call):
            continue
        for keyword in decorator.keywords:
            if keyword.arg == "self" and _is_nothing(keyword.value) and self_strategy:
                keyword.value = ast.parse(self_strategy, mode="eval").body


def _checks(call: ast.Call, check: str | None) -> list[ast.stmt] | None:
    """``result = call`` then the return-type check and a determinism check: called again
    on deep copies of the same inputs, the target returns an equal value (NaN equals NaN)."""
    if call.args or any(k.arg is None for k in call.keywords):
        return None
    inputs = ", ".join(f"{k.arg!r}: {ast.unparse(k.value)}" for k in call.keywords)
    text = (
        f"inputs = copy.deepcopy({{{inputs}}})\n"
        f"result = {ast.unparse(call)}\n"
        + (f"assert {check}\n" if check else "")
        + f"again = {ast.unparse(call.func)}(**inputs)\n"
        "assert result == again or (result != result and again != again), (result, again)\n"
    )
    return ast.parse(text).body


def _assert_return(body: list[ast.stmt], target: str, check: str | None) -> bool:
    """Turn crash-only ``target(...)`` statements into calls whose result is checked."""
    changed = False
    for index in range(len(body) - 1, -1, -1):
        stmt = body[index]
        for inner in ("body", "orelse", "finalbody"):
            if isinstance(getattr(stmt, inner, None), list) and not isinstance(stmt, ast.Expr):
                changed |= _assert_return(getattr(stmt, inner), target, check)
        if (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and ast.unparse(stmt.value.func) == target
            and (checks := _checks(stmt.value, check)) is not None
        ):
            body[index : index + 1] = [ast.copy_location(c, stmt) for c in checks]
            changed = True
    return changed


def _has_check(func: ast.FunctionDef) -> bool:
    for node in ast.walk(func):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("raises"):
            return True
    return False


def _add_settings_import(tree: ast.Module) -> None:
    names = ("HealthCheck", "settings")
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "hypothesis":
            present = {a.name for a in node.names}
            node.names += [ast.alias(n) for n in names if n not in present]
            return
    tree.body.insert(0, ast.ImportFrom("hypothesis", [ast.alias(n) for n in names], 0))


def harden(
    code: str,
    *,
    target: str,
    self_strategy: str | None = None,
    return_check: str | None = None,
    max_examples: int = MAX_EXAMPLES,
) -> str | None:
    """A ghostwritten module made fit for CI, or None when no test of it can run or check.

    ``target`` is the dotted call the ghostwriter wrote (``pkg.mod.Class.method``);
    Crash-only calls get their result checked: ``return_check`` (an expression over
    ``result``, e.g. ``isinstance(result, int)``) and determinism on deep-copied inputs.
    Tests without any assertion, and tests drawing ``st.nothing()``, are dropped.
    """
    tree = ast.parse(code)
    kept: list[ast.stmt] = []
    copy_needed = False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            _replace_self(node, self_strategy)
            if node.name.startswith("test_fuzz_") and _assert_return(
                node.body, target, return_check
            ):
                copy_needed = True
            if holds_nothing(ast.unparse(node)) or not _has_check(node):
                continue
            setting = ast.parse(settings_decorator(max_examples), mode="eval").body
            node.decorator_list.insert(0, setting)
        kept.append(node)
    tree.body = kept
    if not any(isinstance(n, ast.FunctionDef) and n.name.startswith("test_") for n in kept):
        return None
    _add_settings_import(tree)
    if copy_needed:
        tree.body.insert(0, ast.Import([ast.alias("copy")]))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def equivalence_test(
    *,
    given: str,
    module: str,
    function: str,
    params: Sequence[str],
    expected_errors: Sequence[str],
    base_source: str,
    max_examples: int = MAX_EXAMPLES,
) -> str:
    """A property test: where the base version returns, the head version returns the same.

    Inputs the base version rejects, and inputs on which the head version raises an error it
    documents, are not compared (``reject()``): only where old and new are meant to agree.
    The base version is rebuilt from its source inside the module's namespace.
    """
    call_args = ", ".join(f"{p}={p}" for p in params)
    copied = ", ".join(f"{p}=copy.deepcopy({p})" for p in params)
    errors = ", ".join(expected_errors)
    handler = (
        f"    try:\n        result = {module}.{function}({call_args})\n"
        f"    except ({errors},):\n        reject()\n"
        if expected_errors
        else f"    result = {module}.{function}({call_args})\n"
    )
    constant = f"_BASE_{function.upper()}_SOURCE"
    return (
        f"import copy\n\nimport {module}\n"
        "from hypothesis import HealthCheck, given, reject, settings, strategies as st\n\n"
        f"{constant} = {base_source!r}\n\n\n"
        f"def _base_{function}():\n"
        f'    """``{function}`` as it was before the change, in the module\'s namespace."""\n'
        f"    namespace = dict(vars({module}))\n"
        f"    exec({constant}, namespace)\n"
        f"    return namespace[{function!r}]\n\n\n"
        f"@{settings_decorator(max_examples)}\n@{given}\n"
        f"def test_{function}_equivalent_to_base({', '.join(params)}) -> None:\n"
        f'    """Where the base version returns a value, the changed one returns the same."""\n'
        f"    try:\n        expected = _base_{function}()({copied})\n"
        f"    except Exception:\n        reject()\n"
        f"{handler}"
        "    assert result == expected or (result != result and expected != expected), "
        "(result, expected)\n"
    )


def _import_key(node: ast.stmt) -> tuple[int, str]:
    text = ast.unparse(node)
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return (0, text)
    return (1, text)


def _split_imports(codes: Sequence[str]) -> tuple[list[ast.stmt], list[ast.stmt]]:
    imports: dict[str, ast.stmt] = {}
    body: dict[str, ast.stmt] = {}
    for code in codes:
        for node in ast.parse(code).body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    single = type(node)(**{**node.__dict__, "names": [alias]})
                    imports.setdefault(ast.unparse(single), single)
                continue
            name = getattr(node, "name", None) or ast.unparse(node)
            body.setdefault(name, node)
    return sorted(imports.values(), key=_import_key), list(body.values())


def _grouped(imports: Sequence[ast.stmt]) -> list[ast.stmt]:
    """``import x`` lines, then one ``from m import a, b`` line per module."""
    plain = [n for n in imports if isinstance(n, ast.Import)]
    froms: dict[tuple[str | None, int], ast.ImportFrom] = {}
    for node in imports:
        if isinstance(node, ast.ImportFrom):
            key = (node.module, node.level)
            if key in froms:
                froms[key].names += node.names
            else:
                froms[key] = ast.ImportFrom(node.module, list(node.names), node.level)
    futures = [n for k, n in froms.items() if k[0] == "__future__"]
    ordered = sorted(froms.items(), key=lambda item: (str(item[0][0]), item[0][1]))
    others = [n for k, n in ordered if k[0] != "__future__"]
    return [*futures, *plain, *others]


def assemble(codes: Sequence[str]) -> str:
    """Several test modules as one: imports merged (no duplicates, one line per module), then
    the definitions in order; the first definition of a name wins. Formatted with black."""
    imports, body = _split_imports(codes)
    text = "\n".join(ast.unparse(n) for n in _grouped(imports)) + "\n\n\n"
    text += "\n\n\n".join(ast.unparse(n) for n in body) + "\n"
    return _black(text)


def _black(text: str) -> str:
    try:
        import black
        from black.parsing import InvalidInput
    except ImportError:  # pragma: no cover - black is a dependency
        return text
    try:
        return black.format_str(text, mode=black.Mode(line_length=100))
    except InvalidInput:
        return text


def drop_functions(code: str, names: Sequence[str]) -> str | None:
    """``code`` without the top-level functions ``names``; None when no test is left."""
    tree = ast.parse(code)
    tree.body = [
        n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name in names)
    ]
    if not any(isinstance(n, ast.FunctionDef) and n.name.startswith("test_") for n in tree.body):
        return None
    return ast.unparse(tree) + "\n"
