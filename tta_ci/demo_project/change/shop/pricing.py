"""Prices, discounts and carts. Amounts are integers in cents."""

from __future__ import annotations

BULK_QUANTITY = 10  # items in a cart from which the bulk discount applies
BULK_PERCENT = 5


def apply_discount(price: int, percent: int) -> int:
    """The price after taking ``percent`` percent off, rounded down to the cent.

    Raises:
        ValueError: if ``price`` is negative or ``percent`` is not between 0 and 100.
    """
    if price < 0:
        raise ValueError(f"price must not be negative (got {price})")
    if not 0 <= percent <= 100:
        raise ValueError(f"percent must be between 0 and 100 (got {percent})")
    return price - price * percent // 100


def format_price(cents: int, currency: str = "EUR") -> str:
    """``cents`` as an amount with two decimals and the currency.

    >>> format_price(123456)
    '1234.56 EUR'
    >>> format_price(-5, "USD")
    '-0.05 USD'
    """
    if cents < 0:
        return "-" + format_price(-cents, currency)
    return f"{cents // 100}.{cents % 100:02d} {currency}"


class Cart:
    """Line items of (unit price in cents, quantity)."""

    def __init__(self, currency: str = "EUR") -> None:
        self.currency = currency
        self.items: list[tuple[int, int]] = []

    def add(self, price: int, quantity: int = 1) -> None:
        """Add ``quantity`` items at ``price`` each.

        Raises:
            ValueError: if ``quantity`` is less than 1 or ``price`` is negative.
        """
        if quantity < 1:
            raise ValueError(f"quantity must be at least 1 (got {quantity})")
        if price < 0:
            raise ValueError(f"price must not be negative (got {price})")
        self.items.append((price, quantity))

    def total(self) -> int:
        """The sum of the line items, with the bulk discount from BULK_QUANTITY items."""
        subtotal = sum(price * quantity for price, quantity in self.items)
        count = sum(quantity for _, quantity in self.items)
        if count >= BULK_QUANTITY:
            return apply_discount(subtotal, BULK_PERCENT)
        return subtotal


def scale_prices(prices, factor):
    return [round(price * factor) for price in prices]
