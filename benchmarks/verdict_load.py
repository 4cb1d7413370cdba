"""The verdicts of five candidates with both cores kept busy against the same verdicts on a
quiet machine.

Five candidates for the demo's ``apply_discount`` change, one of them a test that spends more
than half of its CPU budget (``validation_timeout_s = 8``: 2 s per test): validated once
quiet, then again while three busy loops keep every core busy. The verdicts (everything but their
durations) must be identical: a test's budget is CPU time, which a busy machine does not use
up. Prints ``ratio=1.0`` when they are, else ``ratio=2.0`` and the first difference (target: 1).
``--clock wall`` validates with the wall-clock budget instead, for comparison.

    python benchmarks/verdict_load.py [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _demo import GOOD_CANDIDATE, TARGET, demo_repo, quiet_env

from tta_ci.core.config import load_config
from tta_ci.plan.single import task_for_lines
from tta_ci.validate import ResultValidator

HEADER = "import time\n\nfrom shop.pricing import apply_discount\n\n\n"
CANDIDATES = [
    GOOD_CANDIDATE,
    HEADER + "def test_weak():\n    assert apply_discount(1000, 10) == 900\n",
    HEADER + "def test_wrong():\n    assert apply_discount(1000, 10) == 800\n",
    HEADER + ("def test_busy_but_within_budget():\n    start = time.process_time()\n"
              "    while time.process_time() - start < 1.2:\n        pass\n"
              "    assert apply_discount(0, 10) == 0\n"),  # a free item: no mutant spares it
    HEADER + "def test_raises():\n    import pytest\n    with pytest.raises(ValueError):\n"
             "        apply_discount(1, 101)\n",
]
LINES = [15, 16, 17, 18]  # the new checks of apply_discount


@contextlib.contextmanager
def busy(count: int = 3) -> Iterator[None]:
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in loops:
            proc.kill()
            proc.wait()


def verdicts(repo: Path, clock: str) -> list[dict[str, Any]]:
    env = quiet_env()
    config = load_config(repo, env, {"validation_timeout_s": 8, "test_clock": clock})
    task = task_for_lines(repo, config, TARGET, LINES)
    found = asyncio.run(ResultValidator(config, repo, environ=env).validate_many(task, CANDIDATES))
    shown = []
    for verdict in found:
        data = verdict.to_json()
        data.pop("duration_s", None)
        shown.append(data)
    return shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="test_clock to validate with (default: cpu)")
    clock = parser.parse_args().clock
    with tempfile.TemporaryDirectory(prefix="tta-ci-bench-") as tmp:
        repo = demo_repo(Path(tmp) / "repo")
        quiet = verdicts(repo, clock)
        with busy():
            loaded = verdicts(repo, clock)
    print(f"candidates={len(CANDIDATES)} quiet={[v['reason'] for v in quiet]} "
          f"busy={[v['reason'] for v in loaded]}")
    if quiet != loaded:
        first = next(i for i, (a, b) in enumerate(zip(quiet, loaded, strict=True)) if a != b)
        print(f"candidate {first} differs:\nquiet: {json.dumps(quiet[first])[:1500]}\n"
              f"busy:  {json.dumps(loaded[first])[:1500]}")
        print("ratio=2.0")
    else:
        print("ratio=1.0")
    print("target<=1")
    return 0 if quiet == loaded else 1


if __name__ == "__main__":
    sys.exit(main())
