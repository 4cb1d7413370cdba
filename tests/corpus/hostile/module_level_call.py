# expect: forbidden: module-level code
import json

from pkg.calc import clamp

json.dumps({"payload": "runs at import, before any test"})


def test_clamp():
    assert clamp(-1, 0, 1) == 0
