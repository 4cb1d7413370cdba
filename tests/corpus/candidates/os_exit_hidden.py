# expect: forbidden call: os._exit
# The attribute name is built at run time; the static gate folds it and refuses the call.
import os

from pkg.calc import clamp


def test_clamp():
    assert clamp(-1, 0, 1) == 0
    getattr(os, "_" + "exit")(0)
