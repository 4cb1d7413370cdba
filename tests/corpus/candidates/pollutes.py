# expect: pollutes existing tests
from pkg import calc


def test_clamp_low_after_rescaling():
    calc.STATE["scale"] = 3
    assert calc.clamp(-1, 0, 1) == 0
