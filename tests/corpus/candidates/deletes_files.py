# expect: writes outside tmp_path
import os

from pkg import calc


def test_clamp_and_delete():
    assert calc.clamp(-1, 0, 1) == 0
    os.remove(calc.__file__)
