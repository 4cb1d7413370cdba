# expect: flaky
import random

from pkg.calc import clamp


def test_clamp_random_value():
    value = random.randint(-10, 20)
    assert clamp(value, 0, 10) == value
