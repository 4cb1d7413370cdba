# expect: flaky
# Each test passes only when it runs first.
from pkg.calc import clamp

SEEN = []


def test_first_low():
    SEEN.append("low")
    assert clamp(-1, 0, 5) == 0
    assert SEEN == ["low"]


def test_first_high():
    SEEN.append("high")
    assert clamp(9, 0, 5) == 5
    assert SEEN == ["high"]
