# expect: forbidden call: sys.exit
import sys

from pkg.calc import clamp


def test_clamp():
    assert clamp(-1, 0, 1) == 0
    sys.exit(0)
