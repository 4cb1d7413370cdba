"""tta_ci.generators.offline.write: the test file of one task (pure)."""

from __future__ import annotations

import ast

import pytest

from tta_ci.generators.offline.model import Observed
from tta_ci.generators.offline.style import Style
from tta_ci.generators.offline.write import file_code, symbol_slug, test_names


def _seen(expr: str, test: str, imports: tuple[str, ...] = (), raises: bool = False
          ) -> Observed:
    return Observed(origin="x", expr=expr, call=expr, test=test, imports=imports, shown="",
                    raises=raises)


@pytest.mark.parametrize(("symbol", "slug"), [
    ("naturalsize", "naturalsize"), ("Version.bump_build", "version_bump_build"),
    ("Bits.__init__", "bits"), ("numeric_range.__reversed__", "numeric_range_reversed"),
    ("MultiReplace.sub", "multi_replace_sub"),
])
def test_symbol_slug(symbol: str, slug: str) -> None:
    assert symbol_slug(symbol) == slug


def test_names_say_the_arguments_and_the_error_and_never_repeat() -> None:
    tests = [
        _seen("mi.chunked('ABCDE', -1)", "with pytest.raises(ValueError):\n    x\n", raises=True),
        _seen("humanize.naturalsize(999999)", ""),
        _seen("f([], None, True, 1e-26)", ""),
        _seen("Version.parse('1.2.3').bump('')", ""),
        _seen("humanize.naturalsize(999999)", ""),
    ]
    names = test_names(tests, "x")
    assert names == ["test_x_abcde_minus_1_raises_value_error", "test_x_999999",
                     "test_x_empty_list_none_true_1e_minus_26", "test_x_1_2_3_empty_string",
                     "test_x_999999_2"]
    assert all(name.isidentifier() for name in names)


def test_a_pytest_file_with_sorted_imports_and_black_layout() -> None:
    seen = _seen("mi.chunked('A', -1)", "x", ("import more_itertools as mi",))
    body = "with pytest.raises(ValueError, match=re.escape('n (0)')):\n    mi.chunked('A', -1)\n"
    tests = [("test_chunked_minus_1", seen, body)]
    code = file_code(tests, "chunked", Style(first_party=("more_itertools",)))
    assert code == (
        "import re\n\nimport pytest\n\nimport more_itertools as mi\n\n\n"
        "def test_chunked_minus_1():\n"
        '    with pytest.raises(ValueError, match=re.escape("n (0)")):\n'
        '        mi.chunked("A", -1)\n')


def test_a_unittest_file_gets_one_test_case_class() -> None:
    tests = [("test_chunked_0", _seen("x", "x", ("import more_itertools as mi",)),
              "assert list(mi.chunked([], 0)) == []\n")]
    style = Style(unittest=True, case_base="TestCase", annotate=True,
                  first_party=("more_itertools",))
    code = file_code(tests, "chunked", style)
    tree = ast.parse(code)
    assert "import pytest" not in code and "from unittest import TestCase" in code
    cls = tree.body[-1]
    assert isinstance(cls, ast.ClassDef) and cls.name == "TestChunkedChanges"
    assert "def test_chunked_0(self) -> None:" in code
    assert "self.assertEqual(list(mi.chunked([], 0)), [])" in code


def test_a_test_with_a_line_too_long_for_black_is_left_out() -> None:
    long = "x" * 120
    tests = [("test_short", _seen("f()", "x"), "assert f() == 1\n"),
             ("test_long", _seen("f()", "x"), f"assert f() == {long!r}\n")]
    code = file_code(tests, "f", Style(line_length=88))
    assert "def test_short" in code and "test_long" not in code
