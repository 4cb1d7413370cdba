# expect: timeout
# Swallows the per-test alarm: only the wall-clock limit ends it.
from pkg.calc import clamp


def test_clamp_forever():
    while True:
        try:
            while True:
                assert clamp(-1, 0, 1) == 0
        except BaseException:
            pass
