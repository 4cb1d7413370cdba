# expect: timeout
from pkg.calc import clamp


def test_clamp_forever():
    while True:
        assert clamp(-1, 0, 1) == 0
