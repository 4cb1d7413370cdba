# expect: writes outside tmp_path
from pathlib import Path

from pkg import calc


def test_clamp_and_rewrite_source():
    assert calc.clamp(-1, 0, 1) == 0
    Path(calc.__file__).write_text("def clamp(v, lo, hi):\n    return lo\n")
