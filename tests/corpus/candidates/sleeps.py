# expect: forbidden call: time.sleep(5)
import time

from pkg.calc import clamp


def test_clamp_slowly():
    time.sleep(5)
    assert clamp(-1, 0, 1) == 0
