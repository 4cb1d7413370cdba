"""The pre-commit hook on a staged one-file change against a bare pytest run of the existing
tests.

The demo's example repository with its change to ``shop/pricing.py`` staged over the base:
the wall time of ``tta-ci hook shop/pricing.py`` (what pre-commit runs: plan the staged change,
generate offline, validate with mutation on, write the accepted tests) over the median wall
time of ``python -m pytest -q tests/test_pricing.py``. Prints ``ratio=<hook / bare>``
(target: at most 8).

    python benchmarks/hook_change.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _demo import EXISTING, TARGET, bare_pytest, demo_repo, report, timed, tta_ci

TARGET_RATIO = 8.0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tta-ci-bench-") as tmp:
        repo = demo_repo(Path(tmp) / "repo", staged=True)
        bare = bare_pytest(repo, [EXISTING])
        hook = timed([*tta_ci(), "hook", TARGET], repo, ok=(0, 1))  # 1: tests were written
        written = sorted(p.name for p in (repo / "tests").glob("test_*.py"))
    return report(hook / bare, TARGET_RATIO, bare_pytest_s=bare, hook_s=hook,
                  test_files=",".join(written))


if __name__ == "__main__":
    sys.exit(main())
