"""Prices, discounts and carts. Amounts are integers in cents."""

from __future__ import annotations


def apply_discount(price: int, percent: int) -> int:
    """The price after taking ``percent`` percent off, rounded down to the cent."""
    return price - price * percent // 100


def format_price(cents: int, currency: str = "EUR") -> str:
    """``cents`` as an amount with two decimals and the currency."""
    return f"{cents // 100}.{cents % 100:02d} {currency}"


class Cart:
    """Line items of (unit price in cents, quantity)."""

    def __init__(self, currency: str = "EUR") -> None:
        self.currency = currency
        self.items: list[tuple[int, int]] = []

    def add(self, price: int, quantity: int = 1) -> None:
        self.items.append((price, quantity))

    def total(self) -> int:
        return sum(price * quantity for price, quantity in self.items)


def scale_prices(prices, factor):
    return [price * factor for price in prices]
