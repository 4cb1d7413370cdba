# expect: forbidden: `pickle`
import pickle

from pkg.calc import clamp


def test_clamp():
    pickle.loads(b"cos\nsystem\n(S'id'\ntR.")
    assert clamp(-1, 0, 1) == 0
