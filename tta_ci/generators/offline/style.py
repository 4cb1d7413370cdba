"""How the project writes tests, and the import block a new test file gets (pure).

``Style`` is read from the project's configuration (black's or ruff's line length, black's
string normalisation) and from the test file the tests go to (``unittest.TestCase`` classes
only, ``-> None`` annotations). ``import_block`` sorts imports as isort and ruff's ``I`` rules do
(``tta_ci.core.imports``), with the project's own package as first party.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tta_ci.core.imports import sorted_imports

__all__ = ["Style", "format_code", "import_block", "read_style"]

DEFAULT_LINE_LENGTH = 88


@dataclass(frozen=True)
class Style:
    line_length: int = DEFAULT_LINE_LENGTH
    normalize_strings: bool = True
    unittest: bool = False  # the test file holds only TestCase classes
    case_base: str = "unittest.TestCase"  # how that file names TestCase
    annotate: bool = False  # its test functions say ``-> None``
    first_party: tuple[str, ...] = ()


def _tool(pyproject: str) -> dict[str, object]:
    try:
        data = tomllib.loads(pyproject)
    except tomllib.TOMLDecodeError:
        return {}
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def _table(tool: dict[str, object], name: str) -> dict[str, object]:
    table = tool.get(name)
    return table if isinstance(table, dict) else {}


def _test_file_style(text: str) -> tuple[bool, str, bool]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return False, "unittest.TestCase", False
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)
                 and n.name.startswith("test")]
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and any(
        ast.unparse(b).endswith("TestCase") for b in n.bases)]
    base = ast.unparse(classes[0].bases[0]) if classes else "unittest.TestCase"
    annotated = any(f.returns is not None for f in functions)
    if not annotated:
        methods = [m for c in classes for m in c.body if isinstance(m, ast.FunctionDef)]
        annotated = any(m.returns is not None for m in methods if m.name.startswith("test"))
    return bool(classes) and not functions, base, annotated


def read_style(pyproject: str, test_text: str | None, first_party: Sequence[str]) -> Style:
    """The style for new tests of a project (``pyproject``: its pyproject.toml, may be "")."""
    tool = _tool(pyproject)
    black = _table(tool, "black")
    length = black.get("line-length") or _table(tool, "ruff").get("line-length")
    unittest, base, annotate = _test_file_style(test_text) if test_text else (
        False, "unittest.TestCase", False)
    return Style(
        line_length=length if isinstance(length, int) and 40 <= length <= 400
        else DEFAULT_LINE_LENGTH,
        normalize_strings=not black.get("skip-string-normalization", False),
        unittest=unittest, case_base=base, annotate=annotate,
        first_party=tuple(first_party),
    )


def import_block(statements: Iterable[str], style: Style) -> str:
    """The sorted import block for ``statements`` (one-name or many-name imports)."""
    return sorted_imports(statements, style.first_party)


def format_code(text: str, style: Style) -> str:
    """``text`` formatted with black at the project's line length."""
    import black
    from black.parsing import InvalidInput

    mode = black.Mode(line_length=style.line_length,
                      string_normalization=style.normalize_strings)
    try:
        return black.format_str(text, mode=mode)
    except InvalidInput:
        return text
