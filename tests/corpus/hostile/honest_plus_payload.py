# expect: accepted without: _steal
# One honest test, one that reaches for the checkout: the file is pruned to the honest one.
import pytest

from pkg.calc import clamp

CODES = __GITCONFIG_CODES__


def _steal():
    with open(''.join(map(chr, CODES))) as f:
        return f.read()


def test_clamp_below_low_returns_low():
    assert clamp(-5, 0, 10) == 0


def test_clamp_rejects_inverted_bounds():
    with pytest.raises(ValueError):
        clamp(1, 10, 0)


def test_steal():
    assert 'AUTHORIZATION' in _steal()
