"""``tta-ci demo`` against a bare pytest run of the demo's tests.

Runs ``tta-ci demo --dir DIR`` (build the example repository, plan, generate offline, validate
with mutation on, write the accepted tests), then times ``python -m pytest -q`` in DIR (the
demo's tests, the accepted ones included). Prints ``ratio=<demo / bare>`` and, as its target,
the ratio at which the demo would take 20 s (the goal: under 20 s on a quiet 2-core machine).

    python benchmarks/demo_time.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _demo import bare_pytest, report, timed, tta_ci

GOAL_S = 20.0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tta-ci-bench-") as tmp:
        root = Path(tmp) / "demo"
        demo = timed([*tta_ci(), "demo", "--dir", str(root)], Path(tmp))
        bare = bare_pytest(root, ["tests"])
    return report(demo / bare, round(GOAL_S / bare, 3), demo_s=demo, bare_pytest_s=bare,
                  goal_s=GOAL_S)


if __name__ == "__main__":
    sys.exit(main())
