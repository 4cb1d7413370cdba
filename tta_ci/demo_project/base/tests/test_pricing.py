from shop.pricing import Cart, apply_discount, format_price


def test_apply_discount_takes_the_percentage_off() -> None:
    assert apply_discount(1000, 10) == 900


def test_format_price_shows_two_decimals() -> None:
    assert format_price(250) == "2.50 EUR"


def test_cart_starts_empty() -> None:
    assert Cart().items == []
