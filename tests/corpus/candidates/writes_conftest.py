# expect: writes conftest.py
from pathlib import Path

from pkg.calc import clamp


def test_clamp(tmp_path):
    Path(__file__).with_name("conftest.py").write_text("collect_ignore = ['test_calc.py']\n")
    assert clamp(-1, 0, 1) == 0
