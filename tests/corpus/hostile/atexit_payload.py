# expect: forbidden: `atexit`
import atexit

from pkg.calc import clamp

atexit.register(lambda: open(chr(47) + 'tmp' + chr(47) + 'owned-at-exit', 'w'))


def test_clamp():
    assert clamp(-1, 0, 1) == 0
