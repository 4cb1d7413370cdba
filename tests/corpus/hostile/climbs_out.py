# expect: writes outside tmp_path
from pathlib import Path

from pkg.calc import clamp


def test_clamp_and_write_above(tmp_path):
    assert clamp(-1, 0, 1) == 0
    Path('..', '..', 'owned.txt').write_text('x')
