"""A project whose tests leave two public functions untested, for the sweep tests: its files,
the good tests the scripted LLM server answers with, and a checkout with a bare ``origin``."""

from __future__ import annotations

from pathlib import Path

from support.gitrepo import CommitFn, git

__all__ = ["GOOD", "PROJECT", "REPO", "with_origin"]

REPO = "octo/calc"
PROJECT = {
    "calc/__init__.py": "",
    "calc/ops.py": (
        "def add(a: int, b: int) -> int:\n"
        "    return a + b\n"
        "\n\n"
        "def clamp(value: int, low: int, high: int) -> int:\n"
        "    if value < low:\n"
        "        return low\n"
        "    if value > high:\n"
        "        return high\n"
        "    return value\n"
        "\n\n"
        "class Meter:\n"
        "    def __init__(self) -> None:\n"
        "        self.total = 0\n"
        "\n"
        "    def record(self, amount: int) -> int:\n"
        "        if amount < 0:\n"
        "            raise ValueError('negative amount')\n"
        "        self.total += amount\n"
        "        return self.total\n"
        "\n\n"
        "def _helper(x: int) -> int:\n"
        "    return x * 2\n"
    ),
    "tests/__init__.py": "",
    "tests/test_ops.py": (
        "from calc.ops import Meter, add\n\n\n"
        "def test_add():\n    assert add(1, 2) == 3\n\n\n"
        "def test_meter_starts_at_zero():\n    assert Meter().total == 0\n"
    ),
}
GOOD = {
    "clamp": (
        "from calc.ops import clamp\n\n\n"
        "def test_clamp_low():\n    assert clamp(-5, 0, 10) == 0\n\n\n"
        "def test_clamp_high():\n    assert clamp(50, 0, 10) == 10\n\n\n"
        "def test_clamp_inside():\n    assert clamp(5, 0, 10) == 5\n"
    ),
    "Meter.record": (
        "import pytest\n\nfrom calc.ops import Meter\n\n\n"
        "def test_record_adds_up():\n    m = Meter()\n    m.record(2)\n"
        "    assert m.record(3) == 5\n\n\n"
        "def test_record_rejects_negative():\n    with pytest.raises(ValueError):\n"
        "        Meter().record(-1)\n"
    ),
}


def with_origin(repo: Path, commit: CommitFn, tmp_path: Path) -> tuple[Path, str]:
    """Commit the project on ``main`` and push it to a bare ``origin``; (bare, head SHA)."""
    head = commit(PROJECT, "calc")
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "main")
    return bare, head
