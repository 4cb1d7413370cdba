"""Run every benchmark and print a table of ratios against their targets.

Each benchmark is a script in this folder that prints a line ``ratio=X``; the target is the
``target<=Y`` it prints, or the one listed here. Exits 1 when a benchmark misses its target or
fails to report a ratio.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS: dict[str, tuple[float | None, str]] = {  # name → (target, what the ratio is)
    "engine_overhead": (1.05, "engine wall / ideal, 500 tasks x 50 ms at concurrency 32"),
    "plan_speed": (1.0, "planning a 2,000-line diff over 100 files / 1 s"),
    "validate_batch": (0.35, "batched / one process per candidate, 20 candidates"),
    "hook_noop": (4.0, "pre-commit hook no-op / python -c pass"),
    "start_collect": (0.6, "start → 30 s of other steps → collect / run → other steps"),
    "validate_one": (3.0, "validate one good candidate / bare pytest of it + existing tests"),
    "hook_change": (8.0, "hook on a staged one-file change / bare pytest of the existing tests"),
    "demo_time": (None, "tta-ci demo / bare pytest of the demo's tests (target: < 20 s)"),
    "verdict_load": (1.0, "5 candidates' verdicts, both cores busy vs quiet (1.0: identical)"),
}
RATIO = re.compile(r"^ratio=([0-9.]+)", re.MULTILINE)
TARGET = re.compile(r"target\s*<=\s*([0-9.]+)")


def run_one(script: Path) -> tuple[float | None, float | None, float, str]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=1800)
    elapsed = time.monotonic() - start
    out = proc.stdout + proc.stderr
    ratio = RATIO.search(out)
    target = TARGET.search(out)
    default = TARGETS.get(script.stem, (None, ""))[0]
    return (float(ratio.group(1)) if ratio else None,
            float(target.group(1)) if target else default, elapsed, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=HERE, help="folder of benchmark scripts")
    folder = parser.parse_args(argv).dir
    scripts = sorted(p for p in folder.glob("*.py")  # _name.py: a helper the scripts share
                     if p.name != Path(__file__).name and not p.name.startswith("_"))
    rows, failed = [], False
    for script in scripts:
        ratio, target, elapsed, out = run_one(script)
        ok = ratio is not None and target is not None and ratio <= target
        failed |= not ok
        what = TARGETS.get(script.stem, (None, ""))[1]
        rows.append((script.stem, ratio, target, ok, elapsed, what))
        if ratio is None:
            sys.stderr.write(f"{script.name} printed no ratio:\n{out}\n")
    print(f"{'benchmark':<18} {'ratio':>8} {'target':>8}  {'result':<6} {'time':>7}  measures")
    for name, ratio, target, ok, elapsed, what in rows:
        shown = f"{ratio:.3f}" if ratio is not None else "-"
        limit = f"<={target:g}" if target is not None else "-"
        print(f"{name:<18} {shown:>8} {limit:>8}  {'ok' if ok else 'MISS':<6} "
              f"{elapsed:>6.1f}s  {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
