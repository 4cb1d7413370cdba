"""tta_ci.generators.offline.variants: new calls from known ones (pure)."""

from __future__ import annotations

import ast

import pytest

from tta_ci.generators.offline.model import Call, Param
from tta_ci.generators.offline.variants import (
    arguments,
    neighbours,
    replace_argument,
    replace_literal,
    target_call,
    with_receiver,
)

PARAMS = (Param(name="iterable"), Param(name="n"), Param(name="strict", default="False"),
          Param(name="key", kind="keyword", default="None"))
SEED = Call(origin="existing t.py::test", expr="list(mi.chunked('ABC', 3))", func="mi.chunked")


def test_the_target_call_is_found_inside_the_expression() -> None:
    node = target_call(ast.parse(SEED.expr, mode="eval"), "mi.chunked")
    assert node is not None and ast.unparse(node) == "mi.chunked('ABC', 3)"
    assert target_call(ast.parse("v.bump().x", mode="eval"), ".bump") is not None
    assert target_call(ast.parse("f(1)", mode="eval"), "") is None


def test_arguments_are_matched_to_parameters() -> None:
    node = ast.parse("f(1, 2, key=3)", mode="eval").body
    assert isinstance(node, ast.Call)
    matched = arguments(node, PARAMS)
    assert matched is not None and {k: ast.unparse(v) for k, v in matched.items()} == {
        "iterable": "1", "n": "2", "key": "3"}
    starred = ast.parse("f(*args)", mode="eval").body
    assert isinstance(starred, ast.Call) and arguments(starred, PARAMS) is None


@pytest.mark.parametrize(("name", "value", "expr"), [
    pytest.param("n", "-1", "list(mi.chunked('ABC', -1))", id="given positionally"),
    pytest.param("strict", "True", "list(mi.chunked('ABC', 3, strict=True))",
                 id="left to its default: a keyword"),
])
def test_replace_argument(name: str, value: str, expr: str) -> None:
    new = replace_argument(SEED, PARAMS, name, value, "boundary")
    assert new is not None and new.expr == expr and new.origin == "boundary"


def test_neighbours_of_each_literal_argument() -> None:
    found = [c.expr for c in neighbours(SEED, PARAMS)]
    assert "list(mi.chunked('', 3))" in found and "list(mi.chunked('AB', 3))" in found
    assert {"list(mi.chunked('ABC', 2))", "list(mi.chunked('ABC', 4))",
            "list(mi.chunked('ABC', 0))", "list(mi.chunked('ABC', -1))",
            "list(mi.chunked('ABC', -3))"} <= set(found)
    assert SEED.expr not in found and all(c.origin == "neighbour" for c in neighbours(SEED,
                                                                                      PARAMS))


def test_neighbours_empty_a_receiver_constructor_and_pass_none_where_it_is_the_default() -> None:
    call = Call(origin="x", expr="MultiReplace({'cat': 'kedi'}).sub('the cat', key=len)",
                func=".sub")
    found = [c.expr for c in neighbours(call, (Param(name="text"), PARAMS[3]))]
    assert "MultiReplace({}).sub('the cat', key=len)" in found
    assert "MultiReplace({'cat': 'kedi'}).sub('the cat', key=None)" in found


def test_a_literal_equal_to_a_compared_value_moves_to_the_edges() -> None:
    call = Call(origin="x", expr="cart.total()", func=".total",
                setup=("cart = Cart()", "cart.add(250, 2)"))
    found = replace_literal(call, 2, ["9", "10"], "boundary")
    assert [c.setup[1] for c in found] == ["cart.add(250, 9)", "cart.add(250, 10)"]
    assert replace_literal(call, True, ["1"], "boundary") == []


def test_with_receiver() -> None:
    call = Call(origin="x", expr="Version.parse('1.2.3').bump('dev')", func=".bump")
    new = with_receiver(call, "Version(2, 0, 0)", (), ("from semver import Version",),
                        "receiver")
    assert new is not None and new.expr == "Version(2, 0, 0).bump('dev')"
    assert new.imports == ("from semver import Version",)
