"""The main job end to end, offline: ``tta-ci demo``, then ``tta-ci run`` again on its repo."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tta_ci.cli.main import main

pytestmark = pytest.mark.slow


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.py"))
        if ".tta-ci" not in p.parts
    }


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "repo"
    assert main(["demo", "--dir", str(root)], {"PATH": "/usr/bin:/bin"}) == 0
    return root


def test_demo_accepts_at_least_three_tests_that_pass_with_plain_pytest(demo_dir: Path) -> None:
    metrics = json.loads((demo_dir / ".tta-ci" / "out" / "metrics.json").read_text())
    accepted = [t for t in metrics["tasks"] if t["status"] == "accepted"]
    assert len(accepted) >= 3
    for task in accepted:  # each runs a changed line the existing tests miss or kills a mutant
        found = task["mutation"]
        adds = found is not None and found["killed_with_accepted"] > found["killed_by_existing"]
        assert task["covered_lines"] or adds, f"{task['id']} adds nothing"
        assert set(task["covered_lines"]) <= set(task["changed_lines"])
    assert (demo_dir / ".tta-ci" / "out" / "summary.md").is_file()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=demo_dir, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = {t["test_file"] for t in accepted}
    for test_file in written:
        text = (demo_dir / test_file).read_text()
        for task in accepted:
            for name in task["tests"]:
                assert f"def {name}(" in text


def test_untyped_function_is_tried_and_its_change_pinned(demo_dir: Path) -> None:
    metrics = json.loads((demo_dir / ".tta-ci" / "out" / "metrics.json").read_text())
    untyped = next(t for t in metrics["tasks"] if t["symbol"] == "scale_prices")
    assert untyped["status"] == "accepted", untyped["reason"]
    assert untyped["behaviour_changes"], "round() changed every fractional result"


def test_behaviour_changes_are_recorded_per_task(demo_dir: Path) -> None:
    metrics = json.loads((demo_dir / ".tta-ci" / "out" / "metrics.json").read_text())
    tasks = {t["symbol"]: t for t in metrics["tasks"]}
    for symbol in ("apply_discount", "format_price", "shipping_cost", "Cart.add", "Cart.total",
                   "scale_prices"):
        assert tasks[symbol]["behaviour_changes"], symbol
    shipping = {(c["call"], c["before"], c["after"])
                for c in tasks["shipping_cost"]["behaviour_changes"]}
    assert ("shipping_cost(5000)", "495", "0") in shipping
    assert tasks["<module>"]["status"] == "skipped"


def test_running_again_leaves_the_test_files_unchanged(demo_dir: Path) -> None:
    before = tree_digest(demo_dir)
    base = subprocess.run(["git", "rev-parse", "HEAD~1"], cwd=demo_dir, capture_output=True,
                          text=True, check=True).stdout.strip()
    code = main(["run", "--repo", str(demo_dir), "--base", base, "--head", "HEAD",
                 "--backend", "offline", "--mode", "files", "--json"], {"PATH": "/usr/bin:/bin"})
    assert code == 0
    assert tree_digest(demo_dir) == before
    metrics = json.loads((demo_dir / ".tta-ci" / "out" / "metrics.json").read_text())
    accepted = [t for t in metrics["tasks"] if t["status"] == "accepted"]
    assert len(accepted) >= 3 and all(t["cached"] for t in accepted)




def test_plan_and_run_agree_on_what_is_skipped(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = json.loads((demo_dir / ".tta-ci" / "out" / "metrics.json").read_text())
    capsys.readouterr()
    assert main(["plan", "--repo", str(demo_dir), "--base", "HEAD~1", "--json"],
                {"PATH": "/usr/bin:/bin"}) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["skipped"] == metrics["skipped"]
    by_backend = {f"{s['file']}::{s['symbol']}": s["reason"] for s in plan["skipped"]
                  if s.get("backend") == "offline"}
    skipped_tasks = {t["id"]: t["reason"] for t in metrics["tasks"] if t["status"] == "skipped"}
    assert by_backend == skipped_tasks
    assert "shop/pricing.py::<module>" in by_backend
    assert {t["id"] for t in plan["tasks"]} == {
        t["id"] for t in metrics["tasks"] if t["status"] != "skipped"}


def test_the_summary_shows_names_as_they_are_and_outputs_stay_out_of_git(demo_dir: Path) -> None:
    summary = (demo_dir / ".tta-ci" / "out" / "summary.md").read_text()
    assert "`shop/pricing.py::<module>`" in summary and "&lt;" not in summary
    assert (demo_dir / ".tta-ci" / ".gitignore").read_text().splitlines()[-1] == "*"
