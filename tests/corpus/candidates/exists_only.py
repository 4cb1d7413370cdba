# expect: trivial assertion
from pkg import calc


def test_clamp_exists():
    assert hasattr(calc, "clamp")
    assert callable(calc.clamp)
