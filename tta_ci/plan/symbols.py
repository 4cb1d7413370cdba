"""Python source → its testable symbols, with spans and a comment-blind fingerprint (pure).

Symbols are the top-level functions, the top-level classes and their methods. A nested function
belongs to its outermost testable symbol; lines outside every symbol belong to ``<module>``.
Each symbol keeps its AST without docstrings, so ``Symbol.same_code`` tells a change of code
from a change of comments, docstrings or layout. Tokens are computed on first use only.
"""

from __future__ import annotations

import ast
import copy
import io
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from tta_ci.core.types import TaskKind

__all__ = ["MODULE", "ParsedSource", "Symbol", "parse_source", "same_tree"]

MODULE = "<module>"
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_SKIP_TOKENS = {
    tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
    tokenize.ENCODING, tokenize.ENDMARKER,
}


@dataclass(frozen=True)
class Symbol:
    name: str  # "func", "Class", "Class.method", "<module>"
    kind: TaskKind
    start: int  # first line, decorators included
    end: int
    # Lines of this span that belong to a more specific symbol (a class's methods).
    inner: frozenset[int] = field(default=frozenset())
    # The symbol's AST nodes, docstrings removed (a class: without its methods).
    nodes: tuple[ast.AST, ...] = field(default=(), compare=False, repr=False)
    extra: str = ""  # compared too (a class: its method names)

    def owns(self, line: int) -> bool:
        return self.start <= line <= self.end and line not in self.inner

    def same_code(self, other: Symbol) -> bool:
        """Equal ASTs, docstrings aside: only comments or layout can differ."""
        return self.extra == other.extra and same_tree(list(self.nodes), list(other.nodes))


@dataclass(frozen=True)
class ParsedSource:
    text: str
    symbols: dict[str, Symbol]  # by name, in source order; "<module>" last
    code_lines: frozenset[int]  # lines holding code (not comments, docstrings or blanks)
    imports: str  # the module's top-level import statements
    import_lines: frozenset[int] = frozenset()  # the lines of those statements
    docstring_lines: frozenset[int] = frozenset()

    def symbol_at(self, line: int) -> Symbol:
        """The most specific symbol owning ``line`` (``<module>`` when none does)."""
        for symbol in self.symbols.values():
            if symbol.kind != "module" and symbol.owns(line):
                return symbol
        return self.symbols[MODULE]

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines(keepends=True)

    @cached_property
    def tokens(self) -> tuple[tuple[int, int, str], ...]:
        """(line, token type, text) of the code: no comments, blank lines or docstrings."""
        tokens: list[tuple[int, int, str]] = []
        for tok in tokenize.generate_tokens(io.StringIO(self.text).readline):
            if tok.type in _SKIP_TOKENS or tok.start[0] in self.docstring_lines:
                continue
            lines = range(tok.start[0], tok.end[0] + 1)
            tokens.extend((line, tok.type, tok.string) for line in lines)
        return tuple(tokens)

    def tokens_of(self, symbol: Symbol) -> list[tuple[int, str]]:
        """The code tokens of the lines ``symbol`` owns (equal tokens: equal code layout)."""
        return [(kind, text) for line, kind, text in self.tokens if symbol.owns(line)]

    def source_of(self, symbol: Symbol) -> str:
        if symbol.kind == "module":
            return self.text
        return "".join(self.lines[symbol.start - 1 : symbol.end])


def same_tree(a: object, b: object) -> bool:
    """``ast.dump(a) == ast.dump(b)``, without building the dumps; stops at a difference."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, ast.AST):
            stack.extend((getattr(x, f, None), getattr(y, f, None)) for f in x._fields)
        elif isinstance(x, list):
            if len(x) != len(y):  # type: ignore[arg-type]
                return False
            stack.extend(zip(x, y, strict=True))  # type: ignore[call-overload]
        elif x != y:
            return False
    return True


def _docstring(node: ast.AST) -> ast.Expr | None:
    body = getattr(node, "body", None)
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first
    return None


def _scopes(body: list[ast.stmt]) -> Iterator[_Scope]:
    """Every def and class, at any depth (statements only: no walk through expressions)."""
    for node in body:
        if isinstance(node, _DEFS):
            yield node
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                yield from _scopes(inner)
        for holder in [*getattr(node, "handlers", ()), *getattr(node, "cases", ())]:
            yield from _scopes(holder.body)


def _strip_docstrings(tree: ast.Module) -> frozenset[int]:
    """Remove every docstring from ``tree``; the lines they were on."""
    lines: set[int] = set()
    for scope in [tree, *_scopes(tree.body)]:
        doc = _docstring(scope)
        if doc is not None:
            lines.update(_span(doc))
            scope.body = scope.body[1:] or [ast.Pass()]
    return frozenset(lines)


def _start(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _span(node: ast.stmt) -> range:
    return range(_start(node), (node.end_lineno or node.lineno) + 1)


def _code_lines(lines: list[str], docstrings: frozenset[int]) -> frozenset[int]:
    return frozenset(
        number
        for number, line in enumerate(lines, start=1)
        if number not in docstrings and line.strip() and not line.lstrip().startswith("#")
    )


def _class_symbols(node: ast.ClassDef) -> list[Symbol]:
    methods = [
        Symbol(f"{node.name}.{m.name}", "method", _start(m), m.end_lineno or m.lineno,
               nodes=(m,))
        for m in node.body if isinstance(m, _FUNCS)
    ]
    inner = frozenset(line for m in methods for line in range(m.start, m.end + 1))
    shell = copy.copy(node)
    shell.body = [s for s in node.body if not isinstance(s, _FUNCS)]
    span = _span(node)
    names = repr([m.name for m in methods])
    cls = Symbol(node.name, "class", span.start, span.stop - 1, inner, (shell,), names)
    return [cls, *methods]


def _top_symbols(body: Iterable[ast.stmt]) -> list[Symbol]:
    symbols: list[Symbol] = []
    for node in body:
        if isinstance(node, ast.ClassDef):
            symbols.extend(_class_symbols(node))
        elif isinstance(node, _FUNCS):
            span = _span(node)
            symbols.append(Symbol(node.name, "function", span.start, span.stop - 1,
                                  nodes=(node,)))
    return symbols


def _merge(a: Symbol, b: Symbol) -> Symbol:
    return Symbol(a.name, a.kind, min(a.start, b.start), max(a.end, b.end), a.inner | b.inner,
                  a.nodes + b.nodes, a.extra + b.extra)


def _by_name(symbols: list[Symbol]) -> dict[str, Symbol]:
    by_name: dict[str, Symbol] = {}
    for symbol in symbols:  # same name twice (overloads, property setters): one symbol
        seen = by_name.get(symbol.name)
        by_name[symbol.name] = symbol if seen is None else _merge(seen, symbol)
    return by_name


def parse_source(text: str, filename: str = "<unknown>") -> ParsedSource:
    """Parse ``text``; raises ``SyntaxError`` (with ``lineno``) when it is not valid Python."""
    tree = ast.parse(text, filename=filename)
    lines = text.splitlines(keepends=True)
    import_nodes = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    imports = "".join("".join(lines[n.lineno - 1 : n.end_lineno]) for n in import_nodes)
    docstrings = _strip_docstrings(tree)
    symbols = _top_symbols(tree.body)
    inner = frozenset(line for s in symbols for line in range(s.start, s.end + 1))
    rest = ast.Module(body=[n for n in tree.body if not isinstance(n, _DEFS)], type_ignores=[])
    by_name = _by_name(symbols)
    by_name[MODULE] = Symbol(MODULE, "module", 1, max(len(lines), 1), inner, (rest,))
    return ParsedSource(
        text=text,
        symbols=by_name,
        code_lines=_code_lines(lines, docstrings),
        imports=imports.rstrip("\n"),
        import_lines=frozenset(line for n in import_nodes for line in _span(n)),
        docstring_lines=docstrings,
    )
