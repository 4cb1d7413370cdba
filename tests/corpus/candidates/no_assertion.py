# expect: no assertion
from pkg.calc import clamp


def test_clamp_runs():
    clamp(-1, 0, 10)
    clamp(11, 0, 10)
