"""Example-based tests from the doctests of a changed symbol (pure; nothing is imported).

``>>> f(2)`` / ``4`` becomes ``assert f(2) == 4`` when the output is a literal, and
``assert repr(f(2)) == '...'`` otherwise; a documented traceback becomes ``pytest.raises``.
Examples without output run as statements, so that later examples see their effects.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import re

__all__ = ["doctest_test", "test_name"]

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
_UNCHECKABLE = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
_BUILTINS = frozenset(dir(builtins))
_REGEX_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")


def test_name(symbol: str, suffix: str) -> str:
    """``Cart.total`` + ``doctest`` → ``test_Cart_total_doctest``."""
    return f"test_{symbol.replace('.', '_')}_{suffix}"


def _expected(want: str) -> ast.expr | None:
    try:
        tree = ast.parse(want.strip(), mode="eval")
        ast.literal_eval(tree)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return None
    return tree.body


def _check(expr: ast.expr, want: str) -> ast.stmt | None:
    """An assertion that ``expr`` shows ``want``, or None when that cannot be checked."""
    if isinstance(expr, ast.Call) and ast.unparse(expr.func) == "print":
        if len(expr.args) != 1 or expr.keywords:
            return None
        shown = ast.Call(ast.Name("str", ast.Load()), [expr.args[0]], [])
        text = ast.Constant(want.rstrip("\n"))
        return ast.Assert(ast.Compare(shown, [ast.Eq()], [text]))
    literal = _expected(want)
    if literal is not None:
        if isinstance(literal, ast.Constant) and literal.value in (None, True, False):
            return ast.Assert(ast.Compare(expr, [ast.Is()], [literal]))
        return ast.Assert(ast.Compare(expr, [ast.Eq()], [literal]))
    if _ADDRESS.search(want):
        return None
    shown = ast.Call(ast.Name("repr", ast.Load()), [expr], [])
    return ast.Assert(ast.Compare(shown, [ast.Eq()], [ast.Constant(want.rstrip("\n"))]))


def _raises(body: list[ast.stmt], example: doctest.Example) -> tuple[ast.stmt, str] | None:
    line = (example.exc_msg or "").strip().splitlines()
    if not line:
        return None
    name, _, message = line[0].partition(":")
    name = name.strip()
    if not re.fullmatch(r"[A-Za-z_][\w.]*", name):
        return None
    keywords = []
    if message.strip() and not example.options.get(doctest.IGNORE_EXCEPTION_DETAIL):
        pattern = _REGEX_SPECIAL.sub(r"\\\1", message.strip())
        keywords.append(ast.keyword("match", ast.Constant(pattern)))
    exc = ast.parse(name, mode="eval").body
    call = ast.Call(ast.Attribute(ast.Name("pytest", ast.Load()), "raises", ast.Load()),
                    [exc], keywords)
    return ast.With([ast.withitem(call)], body), name


def _statements(example: doctest.Example) -> tuple[list[ast.stmt], bool, str | None] | None:
    """(statements, asserts?, exception name) for one example; None if it cannot be used."""
    if example.options.get(doctest.SKIP):
        return [], False, None
    try:
        body = ast.parse(example.source).body
    except SyntaxError:
        return None
    if example.exc_msg is not None:
        raised = _raises(body, example)
        return ([raised[0]], True, raised[1]) if raised else None
    want = example.want
    unchecked = any(example.options.get(flag) for flag in (doctest.ELLIPSIS,
                                                           doctest.NORMALIZE_WHITESPACE))
    if not want or unchecked or len(body) != 1 or not isinstance(body[0], ast.Expr):
        return body, False, None
    check = _check(body[0].value, want)
    return ([check], True, None) if check is not None else (body, False, None)


def _free_names(body: list[ast.stmt]) -> list[str]:
    bound: set[str] = set(_BUILTINS) | {"pytest"}
    free: list[str] = []
    for node in ast.walk(ast.Module(body, [])):
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    for node in ast.walk(ast.Module(body, [])):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound:
            free.append(node.id)
    return sorted(set(free))


def _imports(body: list[ast.stmt], module: str, raised: list[str]) -> list[ast.stmt]:
    imports: list[ast.stmt] = []
    if raised:
        imports.append(ast.Import([ast.alias("pytest")]))
    dotted = sorted({r.rsplit(".", 1)[0] for r in raised if "." in r})
    imports += [ast.Import([ast.alias(name)]) for name in dotted]
    free = [n for n in _free_names(body) if n not in {d.split(".")[0] for d in dotted}]
    if free:
        imports.append(ast.ImportFrom(module, [ast.alias(n) for n in free], 0))
    return imports


def doctest_test(docstring: str, *, symbol: str, module: str) -> str | None:
    """A pytest function replaying the docstring's examples, or None when there is nothing
    to check (no examples, an example that does not parse, or no checkable output)."""
    try:
        examples = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        return None
    body: list[ast.stmt] = []
    raised: list[str] = []
    checks = 0
    for example in examples:
        converted = _statements(example)
        if converted is None:
            return None
        statements, asserts, exc = converted
        body += statements
        checks += asserts
        raised += [exc] if exc else []
    if not checks:
        return None
    func = ast.parse(f"def {test_name(symbol, 'doctest')}() -> None:\n    pass\n").body[0]
    assert isinstance(func, ast.FunctionDef)
    func.body = body
    tree = ast.Module([*_imports(body, module, raised), func], [])
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
