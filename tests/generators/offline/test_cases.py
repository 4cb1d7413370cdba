"""tta_ci.generators.offline.cases: the example test of one observed call (pure)."""

from __future__ import annotations

import pytest

from tta_ci.generators.offline.cases import Case, body_imports, unittest_body


@pytest.mark.parametrize(("case", "body"), [
    pytest.param(Case(expr="f(10, 2.0)", kind="eq", value="20.0"),
                 "assert f(10, 2.0) == 20.0\n", id="value"),
    pytest.param(Case(expr="f([])", kind="is", value="None"), "assert f([]) is None\n",
                 id="None by identity"),
    pytest.param(Case(expr="f(x)", kind="nan"), "assert math.isnan(f(x))\n", id="nan"),
    pytest.param(Case(expr="Bits(4)", kind="repr", value="Bits('100')"),
                 "assert repr(Bits(4)) == \"Bits('100')\"\n", id="repr"),
    pytest.param(Case(setup=("v = V()",), expr="v.bump()", kind="attrs",
                      attrs=(("result.major", "1"), ("len(result)", "3"))),
                 "v = V()\nresult = v.bump()\nassert result.major == 1\nassert len(result) == 3\n",
                 id="attributes"),
    pytest.param(Case(expr="chunked('AB', -1)", kind="raises", exc="ValueError",
                      match="n must be at least 0"),
                 "with pytest.raises(ValueError, match='n must be at least 0'):\n"
                 "    chunked('AB', -1)\n", id="raises"),
    pytest.param(Case(expr="f()", kind="raises", exc="KeyError", match="(None)"),
                 "with pytest.raises(KeyError, match=re.escape('(None)')):\n    f()\n",
                 id="raises, message escaped"),
    pytest.param(Case(expr="f()", kind="raises", exc="IndexError", match=""),
                 'with pytest.raises(IndexError, match="^$"):\n    f()\n',
                 id="raises, empty message"),
    pytest.param(Case(setup=("items = [3, 1]",), expr="sort(items)", kind="call",
                      states=(("items", "[1, 3]"),)),
                 "items = [3, 1]\nsort(items)\nassert items == [1, 3]\n", id="argument changed"),
])
def test_body(case: Case, body: str) -> None:
    assert case.body() == body


def test_body_imports() -> None:
    body = Case(expr="f()", kind="raises", exc="E", match="a.b").body()
    assert body_imports(body) == ["import pytest", "import re"]
    assert body_imports("assert math.isnan(list(itertools.islice(f(), 50)))\n") == [
        "import math", "import itertools"]


def test_unittest_body_uses_test_case_assertions() -> None:
    body = ("x = f()\nassert x == 1\nassert g() is None\n"
            "with pytest.raises(ValueError, match='bad'):\n    h()\n"
            "with pytest.raises(KeyError):\n    k()\n")
    assert unittest_body(body) == (
        "x = f()\nself.assertEqual(x, 1)\nself.assertIs(g(), None)\n"
        "with self.assertRaisesRegex(ValueError, 'bad'):\n    h()\n"
        "with self.assertRaises(KeyError):\n    k()\n")
