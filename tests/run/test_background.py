"""tta_ci.run.background: the detached process, its redacted log, and the document of a run
that ended early."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from tta_ci.core.config import Config
from tta_ci.core.report import TaskRecord
from tta_ci.core.secrets import Redactor
from tta_ci.core.types import LLMCall, PlanResult
from tta_ci.run.background import _pump, child_environ, partial_document, spawn
from tta_ci.run.state import Finished, RunFolder, RunState

SECRET = "sk-or-v1-background-secret-77"


def _state(folder: RunFolder, **fields: object) -> RunState:
    values: dict[str, object] = {"id": folder.id, "started_at": "2026-01-01T00:00:00+00:00",
                                 "updated_at": "2026-01-01T00:00:10+00:00", "repo": "/r",
                                 "output_dir": "/r/out"}
    values.update(fields)
    return RunState.model_validate(values)


def test_the_log_pump_redacts_a_secret_split_across_writes(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    log = (tmp_path / "run.log").open("wb")
    pump = threading.Thread(target=_pump, args=(read_end, log, Redactor([SECRET])))
    pump.start()
    os.write(write_end, f"key {SECRET[:9]}".encode())
    time.sleep(0.05)
    os.write(write_end, f"{SECRET[9:]} sent\nlast line {SECRET}".encode())
    os.close(write_end)
    pump.join(5)
    log.close()
    assert (tmp_path / "run.log").read_text() == "key *** sent\nlast line ***"


def test_the_github_token_stays_behind() -> None:
    env = child_environ({"GITHUB_TOKEN": "ghs_x", "GH_TOKEN": "y", "OPENROUTER_API_KEY": "k",
                         "PATH": "/bin"})
    assert env == {"OPENROUTER_API_KEY": "k", "PATH": "/bin"}


def test_a_run_without_tasks_finishes_in_the_background(tmp_path: Path,
                                                        git_repo: Path) -> None:
    folder = RunFolder.create(tmp_path / "out")
    folder.save_inputs(PlanResult(), Config(backend="offline", sandbox="fallback"), str)
    folder.save(_state(folder, repo=str(git_repo), shard="1/2"), str)
    pid = spawn(folder, {**os.environ, "OPENROUTER_API_KEY": SECRET})
    deadline = time.monotonic() + 60
    while folder.state().status != "done" and time.monotonic() < deadline:
        time.sleep(0.1)
    state = folder.state()
    assert state.status == "done" and state.pid == pid and state.backend == "offline"
    while folder.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.alive()
    doc = folder.metrics.read_text()
    assert '"shard": "1/2"' in doc and '"tasks": 0' in doc
    assert f"run {folder.id} done: 0 accepted of 0 task(s)" in folder.log.read_text()
    assert all(SECRET not in p.read_text() for p in folder.path.iterdir())


def test_a_run_cut_short_publishes_what_finished(tmp_path: Path) -> None:
    folder = RunFolder.create(tmp_path)
    tasks = [{"id": f"m.py::f{i}", "file": "m.py", "symbol": f"f{i}", "test_file": "t.py",
              "priority": "high", "changed_lines": [i + 1]} for i in range(3)]
    call = LLMCall(model="test/model", prompt_tokens=10, completion_tokens=5, cost_usd=0.002,
                   latency_s=0.5)
    done = Finished(record=TaskRecord(id="m.py::f0", file="m.py", symbol="f0", status="accepted",
                                      cost_usd=0.002, requests=1, prompt_tokens=10,
                                      completion_tokens=5, model="test/model"), calls=[call])
    state = _state(folder, tasks=tasks, finished=[done], backend="openrouter", isolation="bwrap",
                   head="h" * 40, skipped=[{"file": "README.md", "reason": "not python"}])
    doc = partial_document(state, "comment", "the process died")
    assert (doc.totals.tasks, doc.totals.accepted, doc.totals.cancelled) == (3, 1, 2)
    assert doc.totals.cost_usd == 0.002 and doc.totals.llm_requests == 1
    assert doc.models["test/model"].requests == 1 and doc.models["test/model"].accepted == 1
    cancelled = [t for t in doc.tasks if t.status == "cancelled"]
    assert [t.reason for t in cancelled] == ["the process died"] * 2
    assert cancelled[0].changed_lines and cancelled[0].priority == "high"
    assert (doc.mode, doc.head, doc.backend, doc.isolation) == ("comment", "h" * 40,
                                                                 "openrouter", "bwrap")
    assert doc.wall_s == 10.0 and doc.started_at == state.started_at
    assert doc.notes == ["the process died"] and doc.skipped == state.skipped
