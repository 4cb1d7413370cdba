# expect: forbidden: string condition in `skipif`
import pytest

from pkg.calc import clamp


@pytest.mark.skipif("__import__('os').system('id') or False")
def test_clamp():
    assert clamp(-1, 0, 1) == 0
