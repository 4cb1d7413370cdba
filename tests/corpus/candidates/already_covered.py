# expect: adds nothing the existing tests do not check
from pkg.calc import clamp


def test_clamp_inside_range():
    assert clamp(3, 0, 10) == 3
