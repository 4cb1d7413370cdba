# expect: syntax error
from pkg.calc import clamp


def test_clamp(:
    assert clamp(1, 0, 2) == 1
