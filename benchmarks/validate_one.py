"""Validating one good candidate against a bare pytest run of it with the existing tests.

On the demo's example change (staged over its base), with the default configuration
(mutation on, the warm interpreter): the wall time of ``tta-ci validate CANDIDATE --target
shop/pricing.py`` over the median wall time of ``python -m pytest -q CANDIDATE EXISTING``.
Prints ``ratio=<validate / bare>`` (target: at most 3), and the same validation with a fresh
interpreter per run (``warm = false``) for comparison.

    python benchmarks/validate_one.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _demo import (
    EXISTING,
    GOOD_CANDIDATE,
    TARGET,
    bare_pytest,
    demo_repo,
    quiet_env,
    report,
    tta_ci,
)

TARGET_RATIO = 3.0


def validate(repo: Path, candidate: Path, warm: bool) -> tuple[float, bool]:
    argv = [*tta_ci(), "validate", str(candidate), "--target", TARGET, "--repo", str(repo),
            "--json"]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False,
                          env=quiet_env({"TTA_WARM": "true" if warm else "false"}))
    wall = time.perf_counter() - start
    try:
        accepted = bool(json.loads(done.stdout)["accepted"])
    except (ValueError, KeyError):
        sys.exit(f"tta-ci validate printed no verdict (exit {done.returncode}):\n"
                 f"{done.stdout[-1500:]}\n{done.stderr[-1500:]}")
    return wall, accepted


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tta-ci-bench-") as tmp:
        repo = demo_repo(Path(tmp) / "repo", staged=True)
        inside = repo / "tests" / "test_candidate.py"
        inside.write_text(GOOD_CANDIDATE, encoding="utf-8")
        bare = bare_pytest(repo, [str(inside.relative_to(repo)), EXISTING])
        inside.unlink()
        candidate = Path(tmp) / "test_candidate.py"
        candidate.write_text(GOOD_CANDIDATE, encoding="utf-8")
        warm, accepted = validate(repo, candidate, warm=True)
        cold, cold_accepted = validate(repo, candidate, warm=False)
    if not (accepted and cold_accepted):
        sys.exit("the good candidate was not accepted")
    return report(warm / bare, TARGET_RATIO, bare_pytest_s=bare, validate_s=warm,
                  validate_fresh_processes_s=cold, fresh_ratio=cold / bare)


if __name__ == "__main__":
    sys.exit(main())
