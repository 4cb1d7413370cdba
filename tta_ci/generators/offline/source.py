"""What the offline generator reads from a changed symbol's source, without importing it.

Pure functions over ``ast``: the function's parameters (``Param``), its docstring, whether it is
async, a generator or a property, and how a test reaches it (``member``: a plain call, a
property read, or the syntax of a dunder method such as ``len(x)`` for ``__len__``).
A method's source is indented, and a docstring may hold lines at column 0: it is parsed inside
an ``if True:`` block, so no dedent can fail on it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict

from tta_ci.generators.offline.model import Param

__all__ = ["DUNDER_FORMS", "FunctionInfo", "function_node", "parse_function"]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

# A dunder method → the expression that calls it (``{0}`` the receiver, ``{1}`` the argument).
DUNDER_FORMS = {
    "__len__": "len({0})", "__iter__": "list({0})", "__reversed__": "reversed({0})",
    "__repr__": "repr({0})", "__str__": "str({0})", "__bool__": "bool({0})",
    "__hash__": "hash({0})", "__int__": "int({0})", "__float__": "float({0})",
    "__abs__": "abs({0})", "__neg__": "-{0}", "__invert__": "~{0}",
    "__eq__": "{0} == {1}", "__ne__": "{0} != {1}", "__lt__": "{0} < {1}",
    "__le__": "{0} <= {1}", "__gt__": "{0} > {1}", "__ge__": "{0} >= {1}",
    "__add__": "{0} + {1}", "__sub__": "{0} - {1}", "__mul__": "{0} * {1}",
    "__truediv__": "{0} / {1}", "__floordiv__": "{0} // {1}", "__mod__": "{0} % {1}",
    "__and__": "{0} & {1}", "__or__": "{0} | {1}", "__xor__": "{0} ^ {1}",
    "__contains__": "{1} in {0}", "__getitem__": "{0}[{1}]",
}


class FunctionInfo(BaseModel):
    """The facts about one function or method that decide how to call it."""

    model_config = ConfigDict(frozen=True)

    name: str
    params: tuple[Param, ...]  # without self/cls
    docstring: str
    is_async: bool = False
    is_generator: bool = False
    decorators: tuple[str, ...] = ()
    first_line: int = 1  # the ``def`` line in the file

    @property
    def is_property(self) -> bool:
        return any(d.endswith(("property", ".setter", ".getter", ".deleter"))
                   for d in self.decorators)

    @property
    def member(self) -> str:
        """``call``, ``property``, ``init`` or the dunder's name (a key of ``DUNDER_FORMS``)."""
        if self.is_property:
            return "property"
        if self.name == "__init__":
            return "init"
        if self.name in DUNDER_FORMS:
            return self.name
        return "call"


def function_node(source: str, name: str, first_line: int = 1) -> FunctionNode | None:
    """The first ``def name`` of ``source`` (a whole module or one symbol's lines), its line
    numbers those of the file when ``source`` starts at ``first_line``."""
    parsed = _parse(source)
    if parsed is None:
        return None
    tree, wrapped = parsed
    ast.increment_lineno(tree, first_line - 1 - int(wrapped))
    return next((n for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name),
                None)


def _parse(source: str) -> tuple[ast.Module, bool] | None:
    """The tree, and whether it had to be wrapped in ``if True:``."""
    try:
        return ast.parse(source), False
    except SyntaxError:
        pass
    try:  # an indented method, whose docstring may have lines at column 0
        return ast.parse("if True:\n" + source), True
    except SyntaxError:
        return None


def _is_method(node: FunctionNode, method: bool) -> bool:
    decorators = {ast.unparse(d) for d in node.decorator_list}
    return method and "staticmethod" not in decorators


def _params(node: FunctionNode, *, method: bool) -> Iterator[Param]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    pairs = list(zip(positional, defaults, strict=True))
    if _is_method(node, method) and pairs:
        pairs = pairs[1:]
    for arg, default in pairs:
        yield _param(arg, "positional", default)
    if args.vararg:
        yield _param(args.vararg, "star", None)
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        yield _param(arg, "keyword", default)
    if args.kwarg:
        yield _param(args.kwarg, "starstar", None)


def _param(arg: ast.arg, kind: str, default: ast.expr | None) -> Param:
    return Param(name=arg.arg, kind=kind,
                 default=ast.unparse(default) if default is not None else None,
                 annotation=ast.unparse(arg.annotation) if arg.annotation else None)


def _is_generator(node: FunctionNode) -> bool:
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        if isinstance(child, ast.Yield | ast.YieldFrom):
            return True
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                          | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(child))
    return False


def parse_function(source: str, symbol: str, *, method: bool = False,
                   first_line: int = 1) -> FunctionInfo | None:
    """The function ``symbol`` (its last dotted part) of ``source``; None if absent."""
    name = symbol.rsplit(".", 1)[-1]
    node = function_node(source, name, first_line)
    if node is None:
        return None
    return FunctionInfo(
        name=name,
        params=tuple(_params(node, method=method)),
        docstring=ast.get_docstring(node) or "",
        is_async=isinstance(node, ast.AsyncFunctionDef),
        is_generator=_is_generator(node),
        decorators=tuple(ast.unparse(d) for d in node.decorator_list),
        first_line=node.lineno,
    )
