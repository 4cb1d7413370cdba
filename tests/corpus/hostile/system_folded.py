# expect: forbidden call: os.system
import os

from pkg.calc import clamp


def test_clamp_and_shell():
    assert clamp(-1, 0, 1) == 0
    getattr(os, 'sys' + 'tem')('id > __OUTSIDE_LITERAL__')
