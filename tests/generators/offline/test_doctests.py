"""tta_ci.generators.offline.doctests: docstring examples turned into a pytest function."""

from __future__ import annotations

import pytest

from tta_ci.generators.offline.doctests import doctest_test
from tta_ci.generators.offline.doctests import test_name as name_of_test


def test_name_of_the_test() -> None:
    assert name_of_test("Cart.total", "doctest") == "test_Cart_total_doctest"


def test_examples_become_assertions_statements_and_raises() -> None:
    doc = '''Format cents.

    >>> price(150)
    '1.50 USD'
    >>> price(0) is None
    False
    >>> cart = Cart()
    >>> cart.add(3)
    >>> print(cart)
    Cart(3)
    >>> cart
    <Cart of 1 item>
    >>> price(-1)
    Traceback (most recent call last):
    ...
    ValueError: negative (cents)
    >>> object()  # doctest: +SKIP
    <object at 0x7f>
    '''
    code = doctest_test(doc, symbol="price", module="shop.pricing")
    assert code == (
        "import pytest\n"
        "from shop.pricing import Cart, price\n\n"
        "def test_price_doctest() -> None:\n"
        "    assert price(150) == '1.50 USD'\n"
        "    assert (price(0) is None) is False\n"
        "    cart = Cart()\n"
        "    cart.add(3)\n"
        "    assert str(cart) == 'Cart(3)'\n"
        "    assert repr(cart) == '<Cart of 1 item>'\n"
        "    with pytest.raises(ValueError, match='negative \\\\(cents\\\\)'):\n"
        "        price(-1)\n"
    )
    compile(code, "<doctest>", "exec")


def test_dotted_exceptions_are_imported() -> None:
    doc = ">>> load('x')\nTraceback (most recent call last):\npkg.errors.Missing: x\n"
    code = doctest_test(doc, symbol="load", module="pkg.io")
    assert code is not None
    assert code.splitlines()[:3] == ["import pytest", "import pkg.errors",
                                     "from pkg.io import load"]
    assert "with pytest.raises(pkg.errors.Missing, match='x'):" in code


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param("No examples here.", id="no-examples"),
        pytest.param(">>> setup()\n", id="nothing-checked"),
        pytest.param(">>> f(\n", id="does-not-parse"),
        pytest.param(">>> f()\n<F object at 0x7f3a2b1c>\n", id="an-address"),
        pytest.param(">>> f()  # doctest: +ELLIPSIS\n[1, ..., 9]\n", id="ellipsis"),
    ],
)
def test_nothing_to_check(doc: str) -> None:
    assert doctest_test(doc, symbol="f", module="m") is None
