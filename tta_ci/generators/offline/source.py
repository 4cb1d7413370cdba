"""What the offline generator reads from a changed symbol's source, without importing it.

Pure functions over ``ast``: the function's parameters and whether they are typed, the
exceptions it documents (a ``Raises:`` section, ``:raises X:``, or ``raise X`` in its body),
and whether its signature is the same on base and head.
"""

from __future__ import annotations

import ast
import re
import textwrap

from pydantic import BaseModel, ConfigDict

__all__ = [
    "FunctionInfo",
    "documented_exceptions",
    "parse_function",
    "same_signature",
]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_DOTTED = re.compile(r"^[A-Za-z_][\w.]*$")
_SPHINX_RAISES = re.compile(r":raises?\s+([A-Za-z_][\w.]*)\s*:")
_SECTION = re.compile(r"^(\s*)Raises\s*:?\s*$")
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")


class FunctionInfo(BaseModel):
    """The facts about one function or method that decide the offline strategies."""

    model_config = ConfigDict(frozen=True)

    name: str
    params: tuple[str, ...]  # without self/cls, without *args/**kwargs
    untyped: tuple[str, ...]  # params with neither annotation nor default
    docstring: str
    exceptions: tuple[str, ...]
    is_async: bool = False
    decorators: tuple[str, ...] = ()

    @property
    def typed(self) -> bool:
        return not self.untyped

    @property
    def is_property(self) -> bool:
        return any(d.endswith(("property", ".setter", ".getter")) for d in self.decorators)


def _find(tree: ast.AST, name: str) -> FunctionNode | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def _node(source: str, name: str) -> FunctionNode | None:
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return None
    return _find(tree, name)


def _parameters(node: FunctionNode, *, method: bool) -> tuple[list[str], list[str]]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    decorators = {ast.unparse(d) for d in node.decorator_list}
    if method and positional and "staticmethod" not in decorators:
        positional = positional[1:]
    defaults = len(args.defaults)
    with_default = {a.arg for a in positional[len(positional) - defaults :]} if defaults else set()
    keyword_defaults = zip(args.kwonlyargs, args.kw_defaults, strict=True)
    with_default |= {a.arg for a, d in keyword_defaults if d is not None}
    names, untyped = [], []
    for arg in [*positional, *args.kwonlyargs]:
        names.append(arg.arg)
        if arg.annotation is None and arg.arg not in with_default:
            untyped.append(arg.arg)
    return names, untyped


def parse_function(source: str, symbol: str, *, method: bool = False) -> FunctionInfo | None:
    """The function ``symbol`` (its last dotted part) of ``source``; None if absent."""
    name = symbol.rsplit(".", 1)[-1]
    node = _node(source, name)
    if node is None:
        return None
    params, untyped = _parameters(node, method=method)
    return FunctionInfo(
        name=name,
        params=tuple(params),
        untyped=tuple(untyped),
        docstring=ast.get_docstring(node) or "",
        exceptions=documented_exceptions(node),
        is_async=isinstance(node, ast.AsyncFunctionDef),
        decorators=tuple(ast.unparse(d) for d in node.decorator_list),
    )


def _docstring_raises(doc: str) -> list[str]:
    found = _SPHINX_RAISES.findall(doc)
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        match = _SECTION.match(line)
        if not match:
            continue
        indent = len(match.group(1))
        start = i + 2 if i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1]) else i + 1
        for entry in lines[start:]:
            if not entry.strip():
                break
            if len(entry) - len(entry.lstrip()) < indent:
                break
            head = entry.strip().split(":", 1)[0].strip()
            if _DOTTED.match(head) and head.rsplit(".", 1)[-1][:1].isupper():
                found.append(head)
    return found


def _raised_names(node: FunctionNode) -> list[str]:
    found = []
    for child in ast.walk(node):
        if not isinstance(child, ast.Raise) or child.exc is None:
            continue
        target = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
        if isinstance(target, ast.Name | ast.Attribute):
            text = ast.unparse(target)
            if _DOTTED.match(text) and text.rsplit(".", 1)[-1][:1].isupper():
                found.append(text)
    return found


def documented_exceptions(node: FunctionNode) -> tuple[str, ...]:
    """Exception names from the docstring's Raises section and the body's ``raise``s."""
    names = _docstring_raises(ast.get_docstring(node) or "") + _raised_names(node)
    return tuple(dict.fromkeys(names))


def same_signature(base_source: str, source: str, symbol: str) -> bool:
    """Whether ``symbol`` has the same parameters (and return annotation) in both sources."""
    name = symbol.rsplit(".", 1)[-1]
    old, new = _node(base_source, name), _node(source, name)
    if old is None or new is None:
        return False
    return ast.dump(old.args) == ast.dump(new.args) and ast.dump(
        old.returns or ast.Constant(None)
    ) == ast.dump(new.returns or ast.Constant(None))
