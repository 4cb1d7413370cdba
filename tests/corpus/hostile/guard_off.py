# expect: forbidden: `sys.modules`
import sys

from pkg.calc import clamp


def test_clamp_with_the_guard_off():
    sys.modules['tta_ci.validate.plugin']._STATE.active = None
    assert clamp(-1, 0, 1) == 0
