"""tta_ci.run.state: the run folder, its state file, and whether its process lives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.runs import alive

from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError
from tta_ci.core.report import TaskRecord
from tta_ci.core.secrets import Redactor
from tta_ci.core.types import PlanResult, Task
from tta_ci.run.state import Finished, RunFolder, RunState, find_run, latest_active, locked

SECRET = "sk-or-v1-state-secret-0123"
TASK = Task(id="pkg/m.py::f", file="pkg/m.py", symbol="f", kind="function",
            changed_lines=(2, 3), test_file="tests/test_m.py", source="def f():\n    return 1\n")


def state(folder: RunFolder, **fields: object) -> RunState:
    values: dict[str, object] = {"id": folder.id, "started_at": "2026-01-01T00:00:00+00:00",
                                 "updated_at": "2026-01-01T00:00:00+00:00", "repo": "/r",
                                 "output_dir": "/r/out", "concurrency": 2}
    values.update(fields)
    return RunState.model_validate(values)


def record(task_id: str, status: str = "accepted", cost: float = 0.001) -> Finished:
    return Finished(record=TaskRecord(id=task_id, file="pkg/m.py", symbol="f", status=status,  # type: ignore[arg-type]
                                      cost_usd=cost, requests=1))


def test_the_inputs_and_the_state_are_read_back(tmp_path: Path) -> None:
    folder = RunFolder.create(tmp_path)
    assert folder.path.parent == tmp_path / "runs"
    config = Config(concurrency=3, sources={"concurrency": "flag --concurrency"})
    plan = PlanResult(tasks=(TASK,), head="a" * 40)
    folder.save_inputs(plan, config, str)
    folder.save(state(folder, tasks=plan.to_json()["tasks"]), str)
    assert folder.plan() == plan
    assert folder.config() == config
    assert folder.config().source("concurrency") == "flag --concurrency"
    loaded = folder.state()
    assert loaded.id == folder.id and loaded.total == 1 and loaded.status == "starting"
    assert loaded.updated_at != "2026-01-01T00:00:00+00:00"  # stamped on save


def test_every_file_is_written_through_the_redactor(tmp_path: Path) -> None:
    folder = RunFolder.create(tmp_path)
    redact = Redactor([SECRET])
    config = Config(api_base=f"https://user:{SECRET}@llm.example/v1")
    folder.save_inputs(PlanResult(), config, redact)
    folder.save(state(folder, error=f"HTTP 401 for key {SECRET}"), redact)
    texts = [p.read_text() for p in folder.path.iterdir()]
    assert len(texts) == 3 and not any(SECRET in t for t in texts)
    assert "***" in folder.state().error  # type: ignore[operator]


@pytest.mark.parametrize(
    ("status", "alive", "phase", "progress"),
    [
        pytest.param("running", True, "running", (1, 2, 1), id="running"),
        pytest.param("starting", True, "starting", (1, 0, 3), id="starting"),
        pytest.param("running", False, "died", (1, 0, 3), id="died"),
        pytest.param("done", False, "done", (1, 0, 3), id="done"),
        pytest.param("failed", False, "failed", (1, 0, 3), id="failed"),
    ],
)
def test_phase_and_progress(tmp_path: Path, status: str, alive: bool, phase: str,
                            progress: tuple[int, int, int]) -> None:
    folder = RunFolder.create(tmp_path)
    tasks = [{"id": f"m.py::f{i}", "file": "m.py", "symbol": f"f{i}"} for i in range(4)]
    s = state(folder, status=status, tasks=tasks, finished=[record("m.py::f0")])
    assert s.phase(alive) == phase
    done, running, queued = progress
    assert s.progress(alive) == {"total": 4, "done": done, "running": running, "queued": queued}


def test_spend_and_counts_are_of_the_finished_tasks(tmp_path: Path) -> None:
    folder = RunFolder.create(tmp_path)
    s = state(folder, finished=[record("a", cost=0.25), record("b", "rejected", 0.5)])
    assert s.cost_usd == 0.75
    assert (s.count("accepted"), s.count("rejected"), s.count("failed")) == (1, 1, 0)


def test_a_held_lock_means_alive_until_its_holder_ends(tmp_path: Path) -> None:
    folder = RunFolder.create(tmp_path)
    assert not folder.alive()  # no lock file yet
    fd = folder.hold()
    holder = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                              stdin=subprocess.PIPE, pass_fds=(fd,))
    os.close(fd)
    try:
        assert folder.alive()  # the child holds the lock now
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)
    assert not folder.alive()


def test_find_run_latest_named_and_wrong(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no run started under"):
        find_run(tmp_path, None)
    first, second = RunFolder.create(tmp_path), RunFolder.create(tmp_path)
    for folder in (first, second):
        folder.save(state(folder), str)
    (tmp_path / "runs" / "stray").mkdir()  # a folder without a state is not a run
    latest = sorted([first.id, second.id])[-1]
    assert find_run(tmp_path, None).id == latest
    assert find_run(tmp_path, first.id).id == first.id
    with pytest.raises(UsageError, match="no run 'nope'"):
        find_run(tmp_path, "nope")
    with pytest.raises(UsageError, match="is not a run id"):
        find_run(tmp_path, "../etc")


def test_latest_active_is_the_run_whose_lock_is_held(tmp_path: Path) -> None:
    folder = RunFolder.create(tmp_path)
    folder.save(state(folder), str)
    assert latest_active(tmp_path) is None
    with alive(folder):
        active = latest_active(tmp_path)
        assert active is not None and active.id == folder.id
    assert latest_active(tmp_path) is None


@pytest.mark.parametrize("name", ["state.json", "plan.json", "config.json"])
def test_a_broken_run_file_is_a_usage_error(tmp_path: Path, name: str) -> None:
    folder = RunFolder.create(tmp_path)
    reader = {"state.json": folder.state, "plan.json": folder.plan, "config.json": folder.config}
    with pytest.raises(UsageError, match=f"{name}: missing"):
        reader[name]()
    (folder.path / name).write_text(json.dumps({"id": 3}))
    with pytest.raises(UsageError, match="not a readable tta-ci run file"):
        reader[name]()


def test_locked_serialises_and_creates_its_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / ".lock"
    with locked(path):
        assert path.exists()
        probe = subprocess.run(
            [sys.executable, "-c", "import fcntl, os, sys\n"
             f"fd = os.open({str(path)!r}, os.O_RDWR)\n"
             "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
             "except BlockingIOError:\n    sys.exit(7)\n"], timeout=30)
        assert probe.returncode == 7
