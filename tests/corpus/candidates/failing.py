# expect: failed
from pkg.calc import clamp


def test_clamp_with_none():
    assert clamp(None, 0, 10) == 0
