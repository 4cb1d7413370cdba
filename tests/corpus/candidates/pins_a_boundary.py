# expect: accepted
from pkg.calc import clamp


def test_equal_bounds_are_allowed():
    # runs only lines the existing tests run, but fails if `low > high` became `low >= high`
    assert clamp(7, 7, 7) == 7
