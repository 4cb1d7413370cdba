"""tta_ci.generators.offline.style: the project's test style and a sorted import block."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tta_ci.generators.offline.style import Style, format_code, import_block, read_style

UNITTEST_FILE = '''\
from unittest import TestCase

import more_itertools as mi


class ChunkedTests(TestCase):
    def test_even(self) -> None:
        self.assertEqual(list(mi.chunked('AB', 1)), [['A'], ['B']])
'''


def test_line_length_from_black_then_ruff_then_the_default() -> None:
    assert read_style('[tool.black]\nline-length = 79\n', None, ()).line_length == 79
    assert read_style('[tool.ruff]\nline-length = 120\n', None, ()).line_length == 120
    assert read_style("", None, ()).line_length == 88
    assert read_style("not toml [", None, ()).line_length == 88
    skip = read_style('[tool.black]\nskip-string-normalization = true\n', None, ())
    assert skip.normalize_strings is False


def test_a_file_of_test_case_classes_is_unittest_style() -> None:
    style = read_style("", UNITTEST_FILE, ["more_itertools"])
    assert style.unittest and style.case_base == "TestCase" and style.annotate
    plain = read_style("", "import x\n\ndef test_a():\n    assert x\n", ())
    assert not plain.unittest and not plain.annotate


STATEMENTS = ["from shop.pricing import Cart", "import pytest", "import re",
              "from shop.pricing import BULK, apply_discount", "import shop",
              "from __future__ import annotations", "from collections import OrderedDict",
              "import more_itertools as mi"]


def test_import_block_sections_and_order() -> None:
    block = import_block(STATEMENTS, Style(first_party=("shop",)))
    assert block == (
        "from __future__ import annotations\n\n"
        "import re\nfrom collections import OrderedDict\n\n"
        "import more_itertools as mi\nimport pytest\n\n"
        "import shop\nfrom shop.pricing import BULK, Cart, apply_discount")


@pytest.mark.skipif(shutil.which("ruff") is None and not (
    Path(sys.executable).parent / "ruff").exists(), reason="ruff is a test dependency")
def test_ruff_finds_the_block_sorted(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "pricing.py").write_text("")
    code = import_block(STATEMENTS, Style(first_party=("shop",))) + "\n\nprint(re, OrderedDict)\n"
    (tmp_path / "test_x.py").write_text(format_code(code, Style()))
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    done = subprocess.run([ruff, "check", "--isolated", "--select", "I", "test_x.py"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_format_code_uses_the_line_length() -> None:
    long = "x = f(" + ", ".join(f"'{i}'" for i in range(20)) + ")\n"
    assert max(map(len, format_code(long, Style(line_length=60)).splitlines())) <= 60
    assert format_code("def broken(:\n", Style()) == "def broken(:\n"
