# expect: covers no changed line
from pkg.calc import clamp


def test_clamp_inside_range():
    assert clamp(3, 0, 10) == 3
