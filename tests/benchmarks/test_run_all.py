"""benchmarks/run_all.py: the table of ratios against targets, and its exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import ROOT

RUN_ALL = ROOT / "benchmarks" / "run_all.py"


def bench(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(body)


def run_all(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(RUN_ALL), "--dir", str(folder)],
                          capture_output=True, text=True, timeout=120)


def test_all_targets_met_exits_zero(tmp_path: Path) -> None:
    bench(tmp_path, "fast", "print('ratio=0.5 target<=1')\n")
    bench(tmp_path, "engine_overhead", "print('ratio=1.01')\n")  # target from the table
    proc = run_all(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["benchmark", "ratio", "target"]
    assert any(line.split()[:4] == ["fast", "0.500", "<=1", "ok"] for line in lines)
    assert any(line.split()[:4] == ["engine_overhead", "1.010", "<=1.05", "ok"] for line in lines)


def test_a_missed_target_or_a_missing_ratio_exits_non_zero(tmp_path: Path) -> None:
    bench(tmp_path, "slow", "print('ratio=2.5 target<=1')\n")
    proc = run_all(tmp_path)
    assert proc.returncode == 1
    assert any(line.split()[:4] == ["slow", "2.500", "<=1", "MISS"]
               for line in proc.stdout.splitlines())
    (tmp_path / "slow.py").unlink()
    bench(tmp_path, "silent", "print('nothing')\n")
    proc = run_all(tmp_path)
    assert proc.returncode == 1
    assert "silent.py printed no ratio" in proc.stderr
