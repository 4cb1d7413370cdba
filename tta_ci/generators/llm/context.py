"""What a prompt shows around the target (pure functions over source text).

For a method: its class, as far as a test needs it to build an instance: the class line and
docstring, ``__init__``, and the methods the existing tests call (the way they set objects
up). From a repair answer: the one ``Possible bug:`` line, one line, capped, redacted by the caller;
kept as the model wrote it (the summary and the comment escape it for where it goes).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

from tta_ci.core.types import Task

__all__ = [
    "MAX_REASON",
    "POSSIBLE_BUG",
    "class_context",
    "evidence_of",
    "possible_bug_line",
    "test_names",
]

POSSIBLE_BUG = "Possible bug:"
MAX_REASON = 300
MAX_METHOD_LINES = 40
_CALLED = re.compile(r"\.([A-Za-z_]\w*)\s*\(")
_FENCE = re.compile(r"^[ \t]*```")


def _class(tree: ast.Module, name: str) -> ast.ClassDef | None:
    return next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)


def _segment(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    first = min([d.lineno for d in node.decorator_list] + [node.lineno])
    body = lines[first - 1 : node.end_lineno]
    if len(body) > MAX_METHOD_LINES:
        body = [*body[:MAX_METHOD_LINES], "        ...  # trimmed"]
    return "\n".join(body)


def _methods(node: ast.ClassDef) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    yield from (n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def class_context(module_source: str, task: Task, existing_tests: str = "") -> str:
    """The class of a method task, cut to what building an instance needs ("" otherwise)."""
    if task.kind != "method" or "." not in task.symbol:
        return ""
    class_name, method = task.symbol.split(".", 1)
    try:
        tree = ast.parse(module_source)
    except (SyntaxError, ValueError):
        return ""
    node = _class(tree, class_name)
    if node is None:
        return ""
    lines = module_source.splitlines()
    bases = ", ".join(ast.unparse(b) for b in node.bases)
    parts = [f"class {node.name}({bases}):" if bases else f"class {node.name}:"]
    doc = ast.get_docstring(node)
    if doc:
        parts.append(f'    """{doc.strip()}"""')
    called = set(_CALLED.findall(existing_tests))
    for item in _methods(node):
        if item.name == method:
            continue
        if item.name == "__init__" or item.name in called:
            parts.append(_segment(lines, item))
        elif not item.name.startswith("_"):
            parts.append(f"    def {item.name}({ast.unparse(item.args)}): ...")
    return "\n".join(parts)


def _outside_code(text: str) -> Iterator[str]:
    inside = False
    for line in text.splitlines():
        if _FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            yield line


def possible_bug_line(answer: str, redact: Callable[[str], str] = str) -> str | None:
    """The answer's ``Possible bug: …`` line (outside its code block): one line, redacted, at
    most ``MAX_REASON`` characters. None when the answer has none."""
    for line in _outside_code(answer):
        text = line.strip().lstrip("*_>#- ").strip()
        if text.lower().startswith(POSSIBLE_BUG.lower()):
            rest = redact(" ".join(text[len(POSSIBLE_BUG):].split()).strip("*_ "))
            if not rest:
                continue
            rest = rest if len(rest) <= MAX_REASON else rest[: MAX_REASON - 1] + "…"
            return f"{POSSIBLE_BUG} {rest}"
    return None


def test_names(code: str) -> list[str]:
    """The test functions of a file as the validator names them (``Class::test`` in a class)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name.startswith("test"):
                names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names.extend(f"{node.name}::{m.name}" for m in _methods(node)
                         if m.name.startswith("test"))
    return names


test_names.__test__ = False  # type: ignore[attr-defined]


def evidence_of(answer: str, code: str, redact: Callable[[str], str]) -> dict[str, str]:
    """Test name → the answer's ``Possible bug:`` line (redacted: model output derived from
    the PR's content), for every test of ``code``; empty when the answer has no such line."""
    line = possible_bug_line(answer, redact)
    return dict.fromkeys(test_names(code), line) if line is not None else {}
