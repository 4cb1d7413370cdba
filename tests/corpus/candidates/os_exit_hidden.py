# expect: crashed
import os

from pkg.calc import clamp


def test_clamp():
    assert clamp(-1, 0, 1) == 0
    getattr(os, "_" + "exit")(0)
