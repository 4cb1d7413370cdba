"""``tta-ci run`` is never silent: its first line comes within 2 s, before the heavy imports,
and then a line per plan step and per stage of each task (plain lines outside a terminal)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from support.gitrepo import CommitFn
from support.imports import loaded_after

FIRST_LINE_S = 2.0


def test_the_first_line_comes_at_once(git_repo: Path, commit: CommitFn, tmp_path: Path) -> None:
    base = commit({"calc.py": "def add(a, b):\n    return a + b\n", "README.md": "# calc\n"})
    commit({"README.md": "# calc, documented\n"})
    argv = [sys.executable, "-m", "tta_ci", "run", "--repo", str(git_repo), "--base", base,
            "--backend", "offline", "--mode", "none", "--output-dir", str(tmp_path / "out")]
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={"PATH": "/usr/bin:/bin"})
    assert proc.stderr is not None
    first = proc.stderr.readline()
    elapsed = time.monotonic() - started
    out, err = proc.communicate(timeout=120)
    assert first == f"tta-ci: planning {base}..HEAD\n"
    assert elapsed < FIRST_LINE_S, f"the first line took {elapsed:.2f}s"
    assert proc.returncode == 0
    planned, skipped = err.splitlines()[:2]
    assert planned.startswith(f"tta-ci: planned 0 tasks, 1 skipped ({base[:7]}..")
    assert skipped == "tta-ci: skipped README.md: not python"
    assert "0 task(s)" in out


def test_importing_the_run_command_costs_nothing() -> None:
    assert loaded_after("import tta_ci.cli.main, tta_ci.cli.run, tta_ci.cli.validate, "
                        "tta_ci.core.logs") == set()
