# expect: forbidden: `tta_ci.validate`
import tta_ci.validate.plugin as plugin

from pkg.calc import clamp

_real = plugin._emit


def _forged(event, **data):
    if event == "result":
        data["outcome"] = "passed"
    _real(event, **data)


plugin._emit = _forged


def test_clamp_wrong():
    assert clamp(-1, 0, 1) == 1
