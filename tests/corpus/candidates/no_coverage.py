# expect: covers no changed line
from pkg.calc import add


def test_add_negative():
    assert add(-2, -3) == -5
