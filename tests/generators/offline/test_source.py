"""tta_ci.generators.offline.source: what the offline backend reads from a symbol's source."""

from __future__ import annotations

import pytest

from tta_ci.generators.offline.model import Param
from tta_ci.generators.offline.source import function_node, parse_function

SOURCE = '''\
class Cart:
    @property
    def size(self) -> int:
        return 0

    @staticmethod
    def make(a: int, b, c=1, *args, d: str, e=2, **kw):
        """Make one."""
        return a

    def add(self, item: str) -> None:
        pass

    def __len__(self):
        return 0


async def fetch(url):
    raise


def numbers(n):
    yield from range(n)
'''


def test_every_kind_of_parameter_with_its_default_and_annotation() -> None:
    info = parse_function(SOURCE, "Cart.make", method=True)
    assert info is not None
    assert info.params == (
        Param(name="a", annotation="int"), Param(name="b"), Param(name="c", default="1"),
        Param(name="args", kind="star"), Param(name="d", kind="keyword", annotation="str"),
        Param(name="e", kind="keyword", default="2"), Param(name="kw", kind="starstar"),
    )
    assert info.docstring == "Make one." and info.member == "call"


@pytest.mark.parametrize(("symbol", "member"), [
    pytest.param("Cart.size", "property", id="property"),
    pytest.param("Cart.add", "call", id="method"),
    pytest.param("Cart.__len__", "__len__", id="dunder"),
])
def test_how_a_test_reaches_the_member(symbol: str, member: str) -> None:
    info = parse_function(SOURCE, symbol, method=True)
    assert info is not None and info.member == member
    assert [p.name for p in info.params] in ([], ["item"])  # self is left out


def test_async_functions_and_generators_are_told_apart() -> None:
    fetch, numbers = parse_function(SOURCE, "fetch"), parse_function(SOURCE, "numbers")
    assert fetch is not None and fetch.is_async and not fetch.is_generator
    assert numbers is not None and numbers.is_generator


def test_a_method_whose_docstring_has_a_column_0_line_is_found() -> None:
    # a method's lines as the planner cuts them: indented, with a docstring continuation
    # line at column 0 (dedent cannot remove the indentation of such a source)
    method = (
        '    def bump(self, token: str = "rc") -> "Version":\n'
        '        """Raise it.\n'
        "\n"
        "        >>> ver.bump()\n"
        "        Version(major=3, minor=4, patch=5, prerelease='rc.2', \\\n"
        "build=None)\n"
        '        """\n'
        "        return self\n"
    )
    info = parse_function(method, "Version.bump", method=True, first_line=300)
    assert info is not None and info.first_line == 300
    assert info.params == (Param(name="token", default="'rc'", annotation="str"),)
    node = function_node(method, "bump", 300)
    assert node is not None and node.body[-1].lineno == 307


def test_a_missing_symbol_or_broken_source_gives_none() -> None:
    assert parse_function(SOURCE, "missing") is None
    assert parse_function("def broken(:\n", "broken") is None
