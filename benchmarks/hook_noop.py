"""The pre-commit hook's no-op path against a bare interpreter start.

Runs, as subprocesses, ``python -c pass`` and ``tta-ci hook FILES`` (the console script that
pre-commit runs; ``python -m tta_ci`` when there is none) where FILES are
only test files and non-Python files (what pre-commit passes when a commit touches no code),
in a scratch git repository, several times each, and prints the ratio of the median wall
times: ``ratio=<hook no-op / python -c pass>`` (target: at most 4).

    python benchmarks/hook_noop.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

FILES = ("tests/test_calc.py", "tests/conftest.py", "README.md", "pkg/calc_test.py")


def _scratch_repo(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for name in FILES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")
    subprocess.run(["git", "add", "--", *FILES], cwd=root, check=True)


def _hook_command() -> list[str]:
    """The ``tta-ci`` script that pre-commit runs (next to this Python), else ``-m tta_ci``."""
    script = Path(sys.executable).with_name("tta-ci")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tta_ci"]


def _median_wall(argv: Sequence[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{list(argv)} exited {done.returncode}: {done.stderr.decode()}")
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tta-ci-bench-") as tmp:
        repo = Path(tmp)
        _scratch_repo(repo)
        hook = [*_hook_command(), "hook", *FILES]
        bare = [sys.executable, "-c", "pass"]
        _median_wall(hook, repo, 2)  # warm the file cache and the bytecode
        # interleave the two, so that a busy machine slows both alike
        bare_s: list[float] = []
        hook_s: list[float] = []
        for _ in range(args.runs):
            bare_s.append(_median_wall(bare, repo, 1))
            hook_s.append(_median_wall(hook, repo, 1))
    base, noop = statistics.median(bare_s), statistics.median(hook_s)
    print(f"python -c pass: {base * 1000:.1f} ms; tta-ci hook (no-op): {noop * 1000:.1f} ms")
    print(f"ratio={noop / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
