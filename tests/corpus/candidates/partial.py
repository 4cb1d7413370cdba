# expect: accepted
# Five tests, two of them broken: the three good ones are kept.
import pytest

from pkg.calc import clamp


def test_low():
    assert clamp(-1, 0, 3) == 0


def test_high():
    assert clamp(9, 0, 3) == 3


def test_wrong_arity():
    assert clamp(1) == 1


def test_bad_type():
    assert clamp("a", 0, 3) == 0


def test_inverted():
    with pytest.raises(ValueError):
        clamp(0, 3, 0)
