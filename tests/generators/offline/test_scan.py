"""tta_ci.generators.offline.scan: the existing tests' calls of the changed symbol (pure)."""

from __future__ import annotations

import pytest

from tta_ci.generators.offline.model import Target
from tta_ci.generators.offline.scan import Subject, scan_tests

CHUNKED = Subject("more_itertools.more", "chunked")


def _exprs(text: str, subject: Subject = CHUNKED) -> list[str]:
    return [c.expr for c in scan_tests("tests/test_x.py", text, subject)[0]]


@pytest.mark.parametrize(("imports", "call"), [
    pytest.param("import more_itertools as mi", "mi.chunked('ABC', 2)", id="package alias"),
    pytest.param("from more_itertools import chunked", "chunked('ABC', 2)", id="from package"),
    pytest.param("from more_itertools.more import chunked as ch", "ch('ABC', 2)",
                 id="from module, renamed"),
    pytest.param("import more_itertools.more", "more_itertools.more.chunked('ABC', 2)",
                 id="dotted module"),
])
def test_each_import_style_finds_the_call(imports: str, call: str) -> None:
    text = f"{imports}\n\n\ndef test_it():\n    assert list({call}) == [['A', 'B'], ['C']]\n"
    calls, targets = scan_tests("tests/test_x.py", text, CHUNKED)
    assert [c.expr for c in calls] == [call]
    assert calls[0].imports == (imports,) and calls[0].origin == "existing tests/test_x.py::test_it"
    assert targets and targets[0].imports == (imports,)


def test_the_target_follows_the_file_style() -> None:
    text = "import more_itertools as mi\n\ndef test_it():\n    mi.chunked('A', 1)\n"
    assert scan_tests("t.py", text, CHUNKED)[1] == [
        Target(imports=("import more_itertools as mi",), ref="mi.chunked"),
        Target(imports=("import more_itertools as mi",), ref="mi.more.chunked"),
    ]


def test_parametrize_rows_and_starred_arguments_are_substituted() -> None:
    text = '''
import pytest
import humanize


@pytest.mark.parametrize("test_args, expected", [([300], "300 Bytes"), ([10**6, True], "x"),
                                                 pytest.param([5], "5", id="five")])
def test_naturalsize(test_args, expected):
    assert humanize.naturalsize(*test_args) == expected
'''
    assert _exprs(text, Subject("humanize.filesize", "naturalsize")) == [
        "humanize.naturalsize(300)", "humanize.naturalsize(10 ** 6, True)",
        "humanize.naturalsize(5)"]


def test_for_loops_over_literal_tables_and_locals_are_inlined() -> None:
    text = '''
from unittest import TestCase
import more_itertools as mi

LIMIT = 3


class ChunkedTests(TestCase):
    def test_table(self):
        data = 'ABCDE'
        for n, expected in [(2, 3), (LIMIT, 2)]:
            with self.subTest(n=n):
                self.assertEqual(len(list(mi.chunked(data, n))), expected)
'''
    assert _exprs(text) == ["mi.chunked('ABCDE', 2)", "mi.chunked('ABCDE', 3)"]


def test_a_fixture_or_an_unknown_name_leaves_the_call_out() -> None:
    text = '''
import more_itertools as mi
from os import getcwd


def test_fixture(tmp_path):
    mi.chunked(tmp_path, 2)
    mi.chunked(getcwd(), 2)
    mi.chunked(undefined, 2)
    mi.chunked(eval("x"), 2)
'''
    assert _exprs(text) == []


def test_a_receiver_set_up_by_method_calls_keeps_its_statements() -> None:
    text = '''
from shop.pricing import Cart


def test_total():
    cart = Cart()
    cart.add(250, 2)
    assert cart.total() == 500
'''
    calls, targets = scan_tests("t.py", text, Subject("shop.pricing", "Cart", "total"))
    assert [(c.setup, c.expr, c.func) for c in calls] == [
        (("cart = Cart()", "cart.add(250, 2)"), "cart.total()", ".total")]
    assert targets == [Target(imports=("from shop.pricing import Cart",), ref="Cart")]


@pytest.mark.parametrize(("method", "member", "line", "found"), [
    pytest.param("__reversed__", "__reversed__", "list(reversed(mi.numeric_range(5)))",
                 "reversed(mi.numeric_range(5))", id="reversed(x)"),
    pytest.param("__init__", "init", "mi.numeric_range(1, 5)", "mi.numeric_range(1, 5)",
                 id="constructor"),
    pytest.param("__eq__", "__eq__", "mi.numeric_range(1) == mi.numeric_range(1)",
                 "mi.numeric_range(1) == mi.numeric_range(1)", id="operator"),
    pytest.param("__getitem__", "__getitem__", "mi.numeric_range(5)[2]",
                 "mi.numeric_range(5)[2]", id="subscript"),
])
def test_dunder_methods_are_found_by_their_syntax(method: str, member: str, line: str,
                                                 found: str) -> None:
    text = f"import more_itertools as mi\n\n\ndef test_it():\n    assert {line}\n"
    subject = Subject("more_itertools.more", "numeric_range", method, member)
    assert _exprs(text, subject) == [found]


def test_a_file_that_does_not_import_the_module_or_does_not_parse() -> None:
    assert scan_tests("t.py", "import os\n\ndef test_x():\n    chunked(1)\n", CHUNKED) == ([], [])
    assert scan_tests("t.py", "def broken(:\n", CHUNKED) == ([], [])


def test_keyword_dicts_are_spread_into_keywords() -> None:
    text = '''
import pytest
from semver import Version


@pytest.mark.parametrize("parts", [dict(major=2), {"minor": 5}])
def test_replace(parts):
    assert Version.parse("1.2.3").replace(**parts)
'''
    subject = Subject("semver.version", "Version", "replace")
    assert _exprs(text, subject) == ["Version.parse('1.2.3').replace(major=2)",
                                     "Version.parse('1.2.3').replace(minor=5)"]
