"""Python source → its testable symbols, with spans and a comment-blind fingerprint (pure).

Symbols are the top-level functions, the top-level classes and their methods. A nested function
belongs to its outermost testable symbol; lines outside every symbol belong to ``<module>``.
The fingerprint is the ``ast.dump`` of the symbol without docstrings, so two versions that
differ only in comments, docstrings or blank lines have the same fingerprint.
"""

from __future__ import annotations

import ast
import copy
import io
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from tta_ci.models import TaskKind

__all__ = ["MODULE", "ParsedSource", "Symbol", "parse_source"]

MODULE = "<module>"
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
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
    fingerprint: str
    # Lines of this span that belong to a more specific symbol (a class's methods).
    inner: frozenset[int] = field(default=frozenset())

    def owns(self, line: int) -> bool:
        return self.start <= line <= self.end and line not in self.inner


@dataclass(frozen=True)
class ParsedSource:
    text: str
    symbols: dict[str, Symbol]  # by name, in source order; "<module>" last
    code_lines: frozenset[int]  # lines holding code (not comments, docstrings or blanks)
    imports: str  # the module's top-level import statements
    import_lines: frozenset[int] = frozenset()  # the lines of those statements
    # (line, token type, text) of the code: no comments, blank lines or docstrings
    tokens: tuple[tuple[int, int, str], ...] = ()

    def symbol_at(self, line: int) -> Symbol:
        """The most specific symbol owning ``line`` (``<module>`` when none does)."""
        for symbol in self.symbols.values():
            if symbol.kind != "module" and symbol.owns(line):
                return symbol
        return self.symbols[MODULE]

    def tokens_of(self, symbol: Symbol) -> list[tuple[int, str]]:
        """The code tokens of the lines ``symbol`` owns (equal tokens: equal code layout)."""
        return [(kind, text) for line, kind, text in self.tokens if symbol.owns(line)]

    def source_of(self, symbol: Symbol) -> str:
        lines = self.text.splitlines(keepends=True)
        if symbol.kind == "module":
            return self.text
        return "".join(lines[symbol.start - 1 : symbol.end])


def _docstring(node: ast.AST) -> ast.Expr | None:
    body = getattr(node, "body", None) if isinstance(node, (ast.Module, *_DEFS)) else None
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first
    return None


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, *_DEFS)) and _docstring(node) is not None:
            node.body = node.body[1:] or [ast.Pass()]


def _start(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _span(node: ast.stmt) -> range:
    return range(_start(node), (node.end_lineno or node.lineno) + 1)


def _docstring_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        doc = _docstring(node)
        if doc is not None:
            lines.update(_span(doc))
    return lines


def _code_tokens(text: str, tree: ast.Module) -> tuple[tuple[int, int, str], ...]:
    docstrings = _docstring_lines(tree)
    tokens: list[tuple[int, int, str]] = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in _SKIP_TOKENS or tok.start[0] in docstrings:
            continue
        tokens.extend((line, tok.type, tok.string) for line in range(tok.start[0], tok.end[0] + 1))
    return tuple(tokens)


def _class_symbols(node: ast.ClassDef) -> list[Symbol]:
    methods = [
        Symbol(f"{node.name}.{m.name}", "method", _start(m), m.end_lineno or m.lineno,
               ast.dump(m))
        for m in node.body if isinstance(m, _FUNCS)
    ]
    inner = frozenset(line for m in methods for line in range(m.start, m.end + 1))
    own = [s for s in node.body if not isinstance(s, _FUNCS)]
    shell = copy.copy(node)
    shell.body = own
    names = [m.name for m in methods]
    span = _span(node)
    cls = Symbol(node.name, "class", span.start, span.stop - 1, ast.dump(shell) + repr(names),
                 inner)
    return [cls, *methods]


def _top_symbols(body: Iterable[ast.stmt]) -> list[Symbol]:
    symbols: list[Symbol] = []
    for node in body:
        if isinstance(node, ast.ClassDef):
            symbols.extend(_class_symbols(node))
        elif isinstance(node, _FUNCS):
            span = _span(node)
            symbols.append(Symbol(node.name, "function", span.start, span.stop - 1,
                                  ast.dump(node)))
    return symbols


def _imports(text: str, tree: ast.Module) -> str:
    parts = [
        ast.get_source_segment(text, node) or ""
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    return "\n".join(p for p in parts if p)


def _merge(a: Symbol, b: Symbol) -> Symbol:
    return Symbol(a.name, a.kind, min(a.start, b.start), max(a.end, b.end),
                  a.fingerprint + b.fingerprint, a.inner | b.inner)


def parse_source(text: str, filename: str = "<unknown>") -> ParsedSource:
    """Parse ``text``; raises ``SyntaxError`` (with ``lineno``) when it is not valid Python."""
    tree = ast.parse(text, filename=filename)
    tokens = _code_tokens(text, tree)
    imports = _imports(text, tree)
    import_lines = frozenset(
        line
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for line in _span(node)
    )
    _strip_docstrings(tree)
    symbols = _top_symbols(tree.body)
    rest = [n for n in tree.body if not isinstance(n, _DEFS)]
    inner = frozenset(line for s in symbols for line in range(s.start, s.end + 1))
    end = max(len(text.splitlines()), 1)
    module = Symbol(MODULE, "module", 1, end, ast.dump(ast.Module(body=rest, type_ignores=[])),
                    inner)
    by_name: dict[str, Symbol] = {}
    for symbol in symbols:  # same name twice (overloads, property setters): one symbol
        seen = by_name.get(symbol.name)
        by_name[symbol.name] = symbol if seen is None else _merge(seen, symbol)
    by_name[MODULE] = module
    return ParsedSource(
        text=text, symbols=by_name, code_lines=frozenset(t[0] for t in tokens), imports=imports,
        import_lines=import_lines, tokens=tokens,
    )
