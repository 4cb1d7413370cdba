"""Batched validation against one pytest process per candidate.

Builds a scratch repository, makes 20 candidate test files for one changed function, and
validates them twice: all at once with ``validate_many`` (a few pytest processes in all), and
one ``validate`` call per candidate with a fresh validator each (every call measures the
existing tests again, as separate processes would). Prints ``ratio=<batched / separate>``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tta_ci.core.config import Config
from tta_ci.core.types import Task
from tta_ci.validate import ResultValidator

SOURCE = '''def clamp(value, low, high):
    if low > high:
        raise ValueError("bounds")
    if value < low:
        return low
    if value > high:
        return high
    return value
'''
EXISTING = "from pkg.calc import clamp\n\n\ndef test_inside():\n    assert clamp(5, 0, 10) == 5\n"
CANDIDATE = '''from pkg.calc import clamp


def test_low_{i}():
    assert clamp(-{i} - 1, 0, 10) == 0


def test_high_{i}():
    assert clamp(11 + {i}, 0, 10) == 10
'''
COUNT = 20


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "calc.py").write_text(SOURCE)
    (repo / "tests" / "test_calc.py").write_text(EXISTING)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    return repo


async def measure(repo: Path) -> tuple[float, float]:
    config = Config(runs=3)
    task = Task(id="pkg/calc.py::clamp", file="pkg/calc.py", symbol="clamp", kind="function",
                changed_lines=tuple(range(2, 9)), test_file="tests/test_calc.py",
                module="pkg.calc")
    codes = [CANDIDATE.format(i=i) for i in range(COUNT)]
    environ = dict(os.environ)
    start = time.perf_counter()
    batched = await ResultValidator(config, repo, environ=environ).validate_many(task, codes)
    batch_s = time.perf_counter() - start
    start = time.perf_counter()
    single = [await ResultValidator(config, repo, environ=environ).validate(task, c)
              for c in codes]
    single_s = time.perf_counter() - start
    if not all(v.accepted for v in batched + single):
        sys.exit("benchmark candidates were not all accepted: " +
                 next(v.reason for v in batched + single if not v.accepted))
    return batch_s, single_s


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        batch_s, single_s = asyncio.run(measure(make_repo(Path(tmp))))
    print(f"candidates={COUNT} batched_s={batch_s:.2f} separate_s={single_s:.2f}")
    print(f"ratio={batch_s / single_s:.3f}")


if __name__ == "__main__":
    main()
