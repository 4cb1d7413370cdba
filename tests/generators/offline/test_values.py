"""tta_ci.generators.offline.values: observed values as source a test compares against."""

from __future__ import annotations

import ast
from decimal import Decimal
from fractions import Fraction

import pytest

from tta_ci.generators.offline.values import attributes, constructed, literal, shown


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Point({self.x}, {self.y})"


class Opaque:
    def __init__(self) -> None:
        self.name, self.size, self._hidden, self.call = "a", 3, 1, len


@pytest.mark.parametrize("value", [
    0, -1, 2.5, 1e300, True, None, "text", b"\x00\xff", 1j, [1, [2, "x"]], (1,), (), {"a": (1, 2)},
    {3, 1, 2}, frozenset({"b", "a"}), set(), frozenset(),
])
def test_literals_round_trip_exactly(value: object) -> None:
    text = literal(value)
    assert text is not None
    back = ast.literal_eval(text) if not text.startswith(("frozenset", "set(")) else eval(text)
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize("value", [
    float("nan"), float("inf"), [float("nan")], Decimal("1.5"), Point(1, 2), "x" * 1000,
])
def test_what_is_no_literal(value: object) -> None:
    assert literal(value) is None


def test_constructed_objects_import_their_class() -> None:
    assert constructed(Decimal("1.5")) == ("Decimal('1.5')", ["from decimal import Decimal"])
    assert constructed([Fraction(1, 3)]) == ("[Fraction(1, 3)]",
                                            ["from fractions import Fraction"])
    assert constructed(Point(1, 2)) == ("Point(1, 2)", [f"from {__name__} import Point"])
    assert constructed(Point(1, 2), prefer="decimal") == ("Point(1, 2)",
                                                          [f"from {__name__} import Point"])


def test_objects_compared_by_identity_or_with_addresses_are_not_constructed() -> None:
    assert constructed(Opaque()) is None
    assert constructed(object()) is None


def test_attributes_are_the_public_plain_data() -> None:
    assert attributes(Opaque()) == {"name": "'a'", "size": "3"}
    assert attributes(3) == {}


def test_shown_is_short_and_hides_addresses() -> None:
    assert shown("x" * 500, limit=10) == "'xxxxxxxx…"
    assert "0x…" in shown(object())
