"""tta_ci.core.scratch: one temporary root per process, marked with its owner; a start removes
the roots whose owner is gone, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tta_ci.core import scratch


def test_the_root_names_its_owner_and_holds_the_folders(tmp_path: Path) -> None:
    root = scratch.scratch_root()
    assert root.name.startswith("tta-ci-") and root.stat().st_mode & 0o777 == 0o711
    pid, started = (root / scratch.OWNER_FILE).read_text().split()
    assert int(pid) == os.getpid() and started.isdigit()
    with scratch.scratch_dir("ws-") as folder:
        assert folder.parent == root and folder.name.startswith("ws-")
        (folder / "f").write_text("x")
    assert not folder.exists() and root.exists()


def test_sweep_removes_only_roots_whose_owner_is_gone(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    gone = tmp_path / "tta-ci-gone"
    (gone / "ws-1").mkdir(parents=True)
    (gone / scratch.OWNER_FILE).write_text(f"{dead} 1\n")
    alive = tmp_path / "tta-ci-alive"
    alive.mkdir()
    (alive / scratch.OWNER_FILE).write_text(f"{os.getpid()} {scratch._start_time(os.getpid())}\n")
    reused = tmp_path / "tta-ci-reused"  # the pid lives on, but it is another process now
    reused.mkdir()
    (reused / scratch.OWNER_FILE).write_text(f"{os.getpid()} 1\n")
    demo = tmp_path / "tta-ci-demo-x"  # no owner file: a user's folder
    demo.mkdir()
    other = tmp_path / "unrelated"
    other.mkdir()
    (other / scratch.OWNER_FILE).write_text(f"{dead} 1\n")
    removed = scratch.sweep_stale(tmp_path)
    assert sorted(removed) == sorted([gone, reused])
    assert alive.exists() and demo.exists() and other.exists() and not gone.exists()


def test_remove_root_takes_everything(tmp_path: Path) -> None:
    folder = scratch.scratch("x-")
    root = folder.parent
    scratch.remove_root()
    assert not root.exists()
    assert scratch.scratch_root() != root  # a new one, on the next use


def test_roots_go_to_memory_when_it_has_room(tmp_path: Path, monkeypatch) -> None:
    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(scratch, "MEMORY", memory)
    monkeypatch.setattr(scratch, "MEMORY_FREE_BYTES", 1)
    assert scratch.scratch_parent() == memory
    monkeypatch.setattr(scratch, "MEMORY_FREE_BYTES", 1 << 62)  # more than any disk has
    assert scratch.scratch_parent() != memory
    monkeypatch.setattr(scratch, "MEMORY_FREE_BYTES", 1)
    monkeypatch.setattr(scratch, "MEMORY", tmp_path / "missing")
    assert scratch.scratch_parent() != tmp_path / "missing"


def test_tmpdir_is_the_users_choice(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(scratch.tempfile, "tempdir", None)  # read the variable again
    monkeypatch.setattr(scratch, "MEMORY_FREE_BYTES", 1)
    assert scratch.scratch_parent() == tmp_path


def test_the_sweep_looks_in_memory_too(tmp_path: Path, monkeypatch) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    memory = tmp_path / "shm"
    gone = memory / "tta-ci-gone"
    gone.mkdir(parents=True)
    (gone / scratch.OWNER_FILE).write_text(f"{dead} 1\n")
    monkeypatch.setattr(scratch, "MEMORY", memory)
    assert gone in scratch.sweep_stale()
    assert not gone.exists()
