# expect: import error
from pkg.calc import clamp_all


def test_clamp_all():
    assert clamp_all([5], 0, 1) == [1]
