# expect: forbidden call: /proc
import os

from pkg.calc import clamp


def test_clamp_and_read_the_parent():
    assert clamp(-1, 0, 1) == 0
    with open('/pr' + 'oc/' + str(os.getppid()) + '/environ', 'rb') as f:
        assert b'OPENROUTER' not in f.read()
