"""tta_ci.generators.offline.code: the offline backend's pure code transformations; the
generated tests are compiled and run here, in process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tta_ci.generators.offline.code import (
    assemble,
    drop_functions,
    equivalence_test,
    harden,
    holds_nothing,
    settings_decorator,
)

GHOST = '''\
from hypothesis import given, strategies as st
import shop.cart


@given(self=st.nothing(), item=st.text())
def test_fuzz_Cart_add(self, item):
    shop.cart.Cart.add(self=self, item=item)


@given(x=st.nothing())
def test_fuzz_never(x):
    assert x


@given(x=st.integers())
def test_nothing_checked(x):
    print(x)
'''


def run_tests(code: str, module: str, source: str, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Write ``module``, exec ``code`` and call each of its tests; its namespace."""
    (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    namespace: dict[str, Any] = {}
    exec(compile(code, "<generated>", "exec"), namespace)
    for name, value in list(namespace.items()):
        if name.startswith("test_"):
            value()
    return namespace


def test_settings_are_derandomized() -> None:
    text = settings_decorator(7)
    assert text.startswith("settings(max_examples=7, deadline=None, derandomize=True, ")
    assert "database=None" in text


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("x = st.nothing()\n", True, id="st"),
        pytest.param("from hypothesis.strategies import nothing\nx = nothing()\n", True,
                     id="bare"),
        pytest.param("x = st.nothing\ny = st.none()\n", False, id="not-called"),
    ],
)
def test_holds_nothing(code: str, expected: bool) -> None:
    assert holds_nothing(code) is expected


def test_harden_fills_self_checks_the_result_and_drops_useless_tests() -> None:
    code = harden(GHOST, target="shop.cart.Cart.add", self_strategy="st.builds(shop.cart.Cart)",
                  return_check="result is None", max_examples=5)
    assert code is not None
    assert "test_fuzz_never" not in code and "test_nothing_checked" not in code
    assert "@given(self=st.builds(shop.cart.Cart), item=st.text())" in code
    assert code.startswith("import copy\nfrom hypothesis import given, strategies as st, "
                           "HealthCheck, settings\n")
    assert "@settings(max_examples=5, deadline=None, derandomize=True" in code
    assert "inputs = copy.deepcopy({'self': self, 'item': item})" in code
    assert "result = shop.cart.Cart.add(self=self, item=item)" in code
    assert "assert result is None" in code and "again = shop.cart.Cart.add(**inputs)" in code


def test_harden_gives_up_when_no_test_can_run() -> None:
    assert harden(GHOST, target="shop.cart.Cart.add") is None  # self stays st.nothing()


def test_a_hardened_test_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ghost = ("from hypothesis import given, strategies as st\nimport calc\n\n\n"
             "@given(a=st.integers(), b=st.integers())\ndef test_fuzz_add(a, b):\n"
             "    calc.add(a=a, b=b)\n")
    code = harden(ghost, target="calc.add", return_check="isinstance(result, int)",
                  max_examples=10)
    assert code is not None
    run_tests(code, "calc", "def add(a, b):\n    return a + b\n", tmp_path, monkeypatch)
    with pytest.raises(AssertionError):  # not deterministic: the check catches it
        run_tests(code, "calc", "import random\n\n\ndef add(a, b):\n"
                  "    return a + b + random.randint(1, 10**9)\n", tmp_path, monkeypatch)


BASE = "def discount(price: int, percent: int) -> int:\n    return price - price * percent // 100\n"


def equivalence(errors: tuple[str, ...] = ()) -> str:
    return equivalence_test(given="given(price=st.integers(0, 10**6), percent=st.integers(0, 100))",
                            module="shop", function="discount", params=["price", "percent"],
                            expected_errors=errors, base_source=BASE, max_examples=20)


def test_the_equivalence_test_passes_for_a_refactoring_and_fails_for_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = equivalence()
    assert "_BASE_DISCOUNT_SOURCE = " in code and "def test_discount_equivalent_to_base(" in code
    same = "def discount(price: int, percent: int) -> int:\n" \
           "    return price - (price * percent) // 100\n"
    run_tests(code, "shop", same, tmp_path, monkeypatch)
    changed = "def discount(price: int, percent: int) -> int:\n    return price\n"
    with pytest.raises(AssertionError):
        run_tests(code, "shop", changed, tmp_path, monkeypatch)


def test_documented_errors_of_the_head_are_not_compared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stricter = ("def discount(price: int, percent: int) -> int:\n    if percent > 50:\n"
                "        raise ValueError('too much')\n    return price - price * percent // 100\n")
    run_tests(equivalence(("ValueError",)), "shop", stricter, tmp_path, monkeypatch)
    with pytest.raises(ValueError, match="too much"):
        run_tests(equivalence(), "shop", stricter, tmp_path, monkeypatch)


def test_assemble_merges_imports_and_keeps_the_first_definition() -> None:
    one = "from __future__ import annotations\nimport os\nfrom a import x\n\n\ndef test_a():\n" \
          "    assert x\n"
    two = "import os\nfrom a import y, x\nimport copy\n\n\ndef test_a():\n    assert 0\n\n\n" \
          "def test_b():\n    assert y\n"
    assert assemble([one, two]) == (
        "from __future__ import annotations\nimport copy\nimport os\nfrom a import x, y\n\n\n"
        "def test_a():\n    assert x\n\n\ndef test_b():\n    assert y\n")


def test_drop_functions() -> None:
    code = "def helper():\n    pass\n\ndef test_a():\n    assert 1\n\ndef test_b():\n    assert 2\n"
    kept = drop_functions(code, ["test_a"])
    assert kept is not None and "test_a" not in kept and "def test_b" in kept
    assert drop_functions(code, ["test_a", "test_b"]) is None
