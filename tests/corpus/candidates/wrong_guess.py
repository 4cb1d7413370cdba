# expect: failed
from pkg.calc import percent_of


def test_quarter_is_twenty_five_percent():
    assert percent_of(200, 50) == 25.0
