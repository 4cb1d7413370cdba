"""tta_ci.generators.offline.source: what the offline backend reads from a symbol's source."""

from __future__ import annotations

import pytest

from tta_ci.generators.offline.source import parse_function, same_signature

SOURCE = '''\
class Cart:
    @property
    def size(self) -> int:
        return 0

    @staticmethod
    def make(a: int, b, c=1, *args, d: str, e=2, **kw):
        """Make one.

        Raises:
            ValueError: when a is negative.
            pkg.errors.Bad: on a bad day.

        :raises KeyError: when c is missing
        """
        if a < 0:
            raise ValueError("negative")
        raise errors.Odd()
        raise value_error

    def add(self, item: str) -> None:
        pass


async def fetch(url):
    raise
'''


def test_a_static_method_with_every_kind_of_parameter() -> None:
    info = parse_function(SOURCE, "Cart.make", method=True)
    assert info is not None
    assert info.params == ("a", "b", "c", "d", "e")  # no *args, **kw; a static method has no self
    assert info.untyped == ("b",) and not info.typed
    assert info.docstring.startswith("Make one.")
    assert info.exceptions == ("KeyError", "ValueError", "pkg.errors.Bad", "errors.Odd")
    assert info.decorators == ("staticmethod",) and not info.is_property


@pytest.mark.parametrize(
    ("symbol", "method", "params", "typed", "is_async", "is_property"),
    [
        pytest.param("Cart.add", True, ("item",), True, False, False, id="method-drops-self"),
        pytest.param("Cart.size", True, (), True, False, True, id="property"),
        pytest.param("fetch", False, ("url",), False, True, False, id="async-untyped"),
    ],
)
def test_functions(symbol: str, method: bool, params: tuple[str, ...], typed: bool,
                   is_async: bool, is_property: bool) -> None:
    info = parse_function(SOURCE, symbol, method=method)
    assert info is not None
    assert (info.params, info.typed, info.is_async, info.is_property) == (
        params, typed, is_async, is_property)
    assert info.exceptions == ()


def test_an_indented_method_source_and_a_missing_or_broken_one() -> None:
    method = "    def total(self, tax: float = 0.2) -> float:\n        return 1.0\n"
    info = parse_function(method, "Cart.total", method=True)
    assert info is not None and info.params == ("tax",) and info.typed
    assert parse_function(SOURCE, "nothing") is None
    assert parse_function("def f(:\n", "f") is None


@pytest.mark.parametrize(
    ("base", "head", "same"),
    [
        pytest.param("def f(a: int) -> int:\n    return a\n",
                     "def f(a: int) -> int:\n    return a + 1\n", True, id="body-only"),
        pytest.param("def f(a: int) -> int:\n    return a\n",
                     "def f(a: int, b: int = 0) -> int:\n    return a\n", False, id="new-param"),
        pytest.param("def f(a):\n    return a\n", "def f(a) -> int:\n    return a\n", False,
                     id="new-return-annotation"),
        pytest.param("def g():\n    pass\n", "def f():\n    pass\n", False, id="absent-on-base"),
    ],
)
def test_same_signature(base: str, head: str, same: bool) -> None:
    assert same_signature(base, head, "f") is same
