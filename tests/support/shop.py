"""The shop project that the runs against the scripted LLM server change: the base commit,
the change, and the good tests the server answers with."""

from __future__ import annotations

BASE = {
    "shop/__init__.py": "",
    "shop/pricing.py": (
        "def price(amount: float, tax: float) -> float:\n"
        "    return amount * (1 + tax)\n"
        "\n\n"
        "def discount(amount: float, percent: float) -> float:\n"
        "    return amount\n"
    ),
    "tests/__init__.py": "",
    "tests/test_pricing.py": (
        "from shop.pricing import price\n\n\n"
        "def test_price_without_tax():\n    assert price(10.0, 0.0) == 10.0\n"
    ),
}
HEAD = {
    "shop/pricing.py": (
        "def price(amount: float, tax: float) -> float:\n"
        "    if tax < 0:\n"
        "        raise ValueError('negative tax')\n"
        "    return round(amount * (1 + tax), 2)\n"
        "\n\n"
        "def discount(amount: float, percent: float) -> float:\n"
        "    if not 0 <= percent <= 100:\n"
        "        raise ValueError('percent out of range')\n"
        "    return round(amount * (1 - percent / 100), 2)\n"
    ),
}
GOOD = {
    "price": (
        "import pytest\n\nfrom shop.pricing import price\n\n\n"
        "def test_price_rounds_to_cents():\n    assert price(10.0, 0.125) == 11.25\n\n\n"
        "def test_price_rejects_negative_tax():\n"
        "    with pytest.raises(ValueError):\n        price(1.0, -0.1)\n"
    ),
    "discount": (
        "import pytest\n\nfrom shop.pricing import discount\n\n\n"
        "def test_discount_takes_percent_off():\n    assert discount(200.0, 15) == 170.0\n\n\n"
        "def test_discount_rejects_out_of_range():\n"
        "    with pytest.raises(ValueError):\n        discount(1.0, 101)\n"
    ),
}
