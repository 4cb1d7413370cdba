"""tta_ci.generators.offline.boundaries: the edges the changed lines compare (pure)."""

from __future__ import annotations

import ast

from tta_ci.generators.offline.boundaries import boundaries, changed_strings, param_flow

SOURCE = '''\
def pick(items, n, word="", limit=10):
    """Doc."""
    size = len(items) * 2
    if size > limit:
        return None
    if 0 <= n:
        pass
    if word[-1] in 'sx' or word == "":
        return f"{word}es"
    total = compute(n)
    return total >= 2 ** n
'''
FUNC = ast.parse(SOURCE).body[0]
assert isinstance(FUNC, ast.FunctionDef)
PARAMS = ["items", "n", "word", "limit"]


def test_locals_carry_the_parameters_they_are_computed_from() -> None:
    flow = param_flow(FUNC, PARAMS)
    assert flow["size"] == {"items"} and flow["total"] == {"n"}


def test_comparisons_on_the_changed_lines_only() -> None:
    found = boundaries(FUNC, PARAMS, [4, 6, 8, 11])
    shown = {(b.line, b.left, b.op, b.right, b.params, b.literal, b.right_params)
             for b in found}
    assert shown == {
        (4, "size", ">", "limit", ("items",), False, ("limit",)),
        (6, "n", ">=", "0", ("n",), True, ()),  # the constant moved to the right
        (8, "word[-1]", "in", "'sx'", ("word",), True, ()),
        (8, "word", "==", "''", ("word",), True, ()),
        (11, "total", ">=", "2 ** n", ("n",), False, ()),
    }


def test_the_base_adds_its_own_constant_comparisons_without_a_line() -> None:
    base = ast.parse("def pick(items, n, word='', limit=10):\n    return n + 1 > 0\n").body[0]
    assert isinstance(base, ast.FunctionDef)
    found = boundaries(FUNC, PARAMS, [6], base)
    assert [(b.line, b.left, b.op, b.right) for b in found] == [
        (6, "n", ">=", "0"), (0, "n + 1", ">", "0")]


def test_string_literals_of_the_changed_lines_without_docstring_or_f_string_parts() -> None:
    assert changed_strings(FUNC, [2, 8, 9]) == ["sx", ""]
