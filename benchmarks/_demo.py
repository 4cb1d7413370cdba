"""Shared by the benchmarks that work on the demo's example change (not a benchmark itself).

``demo_repo(root, staged=...)`` builds the example repository; ``bare_pytest`` times what a user
would run without tta-ci: ``python -m pytest -q`` over some test files of it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tta_ci.cli.demo import build_demo_repo, demo_files

GOOD_CANDIDATE = '''\
import pytest

from shop.pricing import Cart, apply_discount


def test_a_negative_price_is_refused():
    with pytest.raises(ValueError):
        apply_discount(-1, 10)


def test_a_percentage_above_100_is_refused():
    with pytest.raises(ValueError):
        apply_discount(1000, 101)


def test_the_bounds_of_the_percentage_are_allowed():
    assert apply_discount(1000, 0) == 1000
    assert apply_discount(1000, 100) == 0


def test_ten_items_get_the_bulk_discount():
    cart = Cart()
    cart.add(100, 10)
    assert cart.total() == 950


def test_nine_items_do_not():
    cart = Cart()
    cart.add(100, 9)
    assert cart.total() == 900
'''
TARGET = "shop/pricing.py"
EXISTING = "tests/test_pricing.py"


def quiet_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without tta-ci's or GitHub's variables (offline, defaults),
    and with bytecode writable, as on a developer's machine: with ``PYTHONDONTWRITEBYTECODE``
    set, every bare pytest run would compile (and assertion-rewrite) its plugins again, which
    makes the bare run twice as slow and any ratio over it look better than it is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTA_", "GITHUB_"))}
    env.pop("OPENROUTER_API_KEY", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra or {})
    return env


def demo_repo(root: Path, *, staged: bool = False) -> Path:
    """The example repository: base and change committed, or (``staged``) the base committed
    and the change staged."""
    root.mkdir(parents=True, exist_ok=True)
    build_demo_repo(root)
    if staged:
        subprocess.run(["git", "reset", "-q", "--soft", "HEAD~1"], cwd=root, check=True)
        subprocess.run(["git", "reset", "-q"], cwd=root, check=True)
        for name in demo_files("change"):
            subprocess.run(["git", "add", "--", name], cwd=root, check=True)
    return root


def timed(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None,
          ok: Sequence[int] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(list(argv), cwd=cwd, env=dict(env or quiet_env()),
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n"
                         f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return wall


def bare_pytest(repo: Path, files: Sequence[str], runs: int = 3) -> float:
    """Median wall time of ``python -m pytest -q FILES`` in ``repo`` (bytecode writable, as
    on a developer's machine; the first run is a warm-up)."""
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files]
    timed(argv, repo)
    return statistics.median(timed(argv, repo) for _ in range(runs))


def tta_ci() -> list[str]:
    script = Path(sys.executable).with_name("tta-ci")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tta_ci"]


def report(ratio: float, target: float, **figures: float | str) -> int:
    """Print the figures, ``ratio=`` and ``target<=`` as ``run_all.py`` reads them; exit 0."""
    print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in figures.items()))
    print(f"ratio={ratio:.3f}")
    print(f"target<={target:g}")
    return 0
