"""Planning speed: a ~2,000-line diff over 100 files of a real repository.

Builds the repository in a temporary directory (not timed), then times ``plan_change`` on the
change. Prints the wall time and ``ratio=<plan wall time / 1 second>`` (target: at most 1).

    python benchmarks/plan_speed.py [--files 100] [--functions 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from tta_ci.core.config import Config
from tta_ci.plan import plan_change


def _module(index: int, functions: int, version: int) -> str:
    parts = [f'"""Module {index}."""\nimport math\n\nSCALE = {index}\n']
    for f in range(functions):
        body = "".join(f"    y = y * {k + version} + x\n" for k in range(2))
        parts.append(f"\n\ndef func_{f}(x):\n    y = x\n{body}    return math.floor(y)\n")
    parts.append("\n\nclass Box:\n    def get(self):\n        return SCALE\n")
    return "".join(parts)


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def build(repo: Path, files: int, functions: int) -> None:
    _git(repo, "init", "-q", "-b", "main")
    (repo / "pkg").mkdir()
    (repo / "tests").mkdir()
    (repo / "pkg" / "__init__.py").write_text("")
    for i in range(files):
        (repo / "pkg" / f"mod{i}.py").write_text(_module(i, functions, 0))
        if i % 2:
            (repo / "tests" / f"test_mod{i}.py").write_text(f"from pkg import mod{i}\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    for i in range(files):
        (repo / "pkg" / f"mod{i}.py").write_text(_module(i, functions, 1))
    _git(repo, "commit", "-q", "-am", "change")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--functions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tta-plan-bench-") as tmp:
        repo = Path(tmp)
        build(repo, args.files, args.functions)
        stat = subprocess.run(["git", "diff", "--numstat", "HEAD~1", "HEAD"], cwd=repo,
                              check=True, capture_output=True, text=True).stdout.splitlines()
        changed = sum(int(a) + int(d) for a, d, _ in (line.split("\t") for line in stat))
        config = Config(max_tasks=10_000)
        times, cpu = [], []
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = plan_change(repo, config, {}, base="HEAD~1", head="HEAD")
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    best = min(times)
    print(f"diff: {len(stat)} files, {changed} changed lines (added + removed)")
    print(f"plan: {len(result.tasks)} tasks, {len(result.skipped)} skipped")
    print(f"wall: best {best:.3f}s, first {times[0]:.3f}s over {args.repeat} runs")
    print(f"cpu (this process, git excluded): best {min(cpu):.3f}s")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"ratio={best / 1.0:.3f}")


if __name__ == "__main__":
    main()
