# expect: accepted
import pytest

from pkg.calc import clamp


def test_clamp_below_low_returns_low():
    assert clamp(-5, 0, 10) == 0


def test_clamp_above_high_returns_high():
    assert clamp(50, 0, 10) == 10


def test_clamp_rejects_inverted_bounds():
    with pytest.raises(ValueError, match="low must not exceed high"):
        clamp(1, 10, 0)
