"""The test file of one task, from the chosen tests (pure).

Names follow ``test_<symbol>_<what>``: the call's literal arguments (``test_chunked_abcde_-1``
reads ``test_chunked_abcde_minus_1``), and ``_raises_<error>`` when it raises. Functions in
pytest style, or methods of one ``TestCase`` class when the task's test file holds only such
classes; imports sorted into isort's sections; black at the project's line length.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence

from tta_ci.generators.offline.cases import body_imports, unittest_body
from tta_ci.generators.offline.model import Observed
from tta_ci.generators.offline.style import Style, format_code, import_block

__all__ = ["file_code", "symbol_slug", "test_names"]

MAX_SLUG = 40


def _snake(name: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name.strip("_")).lower()
    return re.sub(r"\W+", "_", text).strip("_") or "call"


def symbol_slug(symbol: str) -> str:
    """``naturalsize`` → ``naturalsize``; ``Version.bump_build`` → ``version_bump_build``;
    ``Bits.__init__`` → ``bits``; ``numeric_range.__reversed__`` → ``numeric_range_reversed``."""
    parts = symbol.split(".")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return "_".join(_snake(p) for p in parts)


def _word(node: ast.expr) -> str | None:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, int | float):
        text = re.sub(r"\W+", "_", str(abs(value)).replace("e+", "e").replace("e-", "e_minus_"))
        return ("minus_" if value < 0 else "") + text[:16]
    if isinstance(value, str | bytes):
        text = value.decode(errors="replace") if isinstance(value, bytes) else value
        words = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()[:16]
        return words or "empty_string"
    if isinstance(value, list | tuple | set | dict):
        return f"empty_{type(value).__name__}" if not value else f"{len(value)}_items"
    return None


def _call_words(observed: Observed) -> list[str]:
    try:
        trees = [ast.parse(s) for s in observed.setup] + [ast.parse(observed.expr, mode="eval")]
    except SyntaxError:
        return []
    calls = [n for tree in reversed(trees) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    words = []
    for call in reversed(calls):  # the innermost (the receiver) first
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            word = _word(arg)
            if word:
                words.append(word)
    return words


def _name(observed: Observed, slug: str) -> str:
    words = "_".join(_call_words(observed))[:MAX_SLUG].strip("_")
    name = f"test_{slug}" + (f"_{words}" if words else "")
    if observed.raises:
        error = re.search(r"pytest\.raises\(([\w.]+)", observed.test)
        name += "_raises" + (f"_{_snake(error.group(1).rsplit('.', 1)[-1])}" if error else "")
    return re.sub(r"_+", "_", name)


def test_names(tests: Sequence[Observed], slug: str, taken: Sequence[str] = ()) -> list[str]:
    """A distinct name for each test."""
    used = set(taken)
    names = []
    for observed in tests:
        base = _name(observed, slug)
        name, index = base, 2
        while name in used:
            name, index = f"{base}_{index}", index + 1
        used.add(name)
        names.append(name)
    return names


test_names.__test__ = False  # type: ignore[attr-defined]


def _function(name: str, body: str, style: Style, indent: str = "") -> str:
    signature = f"def {name}(self)" if style.unittest else f"def {name}()"
    if style.annotate:
        signature += " -> None"
    text = signature + ":\n" + textwrap.indent(body, "    ")
    return textwrap.indent(text, indent)


def _class_name(slug: str) -> str:
    """``TestChunkedChanges``: pytest collects ``Test*`` classes, TestCase or not."""
    return "Test" + "".join(p.capitalize() for p in slug.split("_")) + "Changes"


def _too_long(code: str, style: Style) -> set[str]:
    """The test functions of ``code`` with a line black could not bring to the line length."""
    lines = code.splitlines()
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            span = lines[node.lineno - 1:node.end_lineno]
            if any(len(line) > style.line_length for line in span):
                found.add(node.name)
    return found


def file_code(tests: Sequence[tuple[str, Observed, str]], slug: str, style: Style) -> str:
    """The module holding ``tests`` ((name, observed, body) each); a test with a line longer
    than the project's line length (a long string) is left out."""
    code = _file_code(tests, slug, style)
    long = _too_long(code, style)
    kept = [t for t in tests if t[0] not in long]
    return _file_code(kept, slug, style) if long and kept else code


def _file_code(tests: Sequence[tuple[str, Observed, str]], slug: str, style: Style) -> str:
    imports: list[str] = []
    bodies: list[tuple[str, str]] = []
    for name, observed, body in tests:
        imports += [*observed.imports, *body_imports(body)]
        bodies.append((name, unittest_body(body) if style.unittest else body))
    if style.unittest:
        imports = [i for i in imports if i != "import pytest"]
        base = style.case_base
        imports.append("import unittest" if base == "unittest.TestCase"
                       else f"from unittest import {base}")
        methods = "\n".join(_function(n, b, style, "    ") for n, b in bodies)
        code = f"class {_class_name(slug)}({base}):\n{methods}"
    else:
        code = "\n\n".join(_function(n, b, style) for n, b in bodies)
    text = import_block(dict.fromkeys(imports), style) + "\n\n\n" + code + "\n"
    return format_code(text, style)
