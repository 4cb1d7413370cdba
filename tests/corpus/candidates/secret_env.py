# expect: reads a secret: OPENROUTER_API_KEY
import os

from pkg.calc import clamp


def test_key_is_there():
    assert os.environ["OPENROUTER_API_KEY"].startswith("sk-")
    assert clamp(-1, 0, 1) == 0
