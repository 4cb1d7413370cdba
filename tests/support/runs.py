"""Run folders as ``tta-ci start`` leaves them, built by hand for the status and collect tests,
and a process that holds a run's lock (a background process that is still alive)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tta_ci.core.config import Config
from tta_ci.core.report import TaskRecord
from tta_ci.core.types import LLMCall, PlanResult
from tta_ci.run.state import Finished, RunFolder, RunState

__all__ = ["TASKS", "alive", "finished", "make_run"]

TASKS = [{"id": f"calc.py::f{i}", "file": "calc.py", "symbol": f"f{i}",
          "test_file": "tests/test_calc.py", "changed_lines": [i + 1]} for i in range(3)]


def finished(task_id: str, status: str = "accepted", cost: float = 0.001) -> Finished:
    call = LLMCall(model="test/model", prompt_tokens=100, completion_tokens=20, cost_usd=cost)
    record = TaskRecord(id=task_id, file="calc.py", symbol=task_id.split("::")[1],
                        status=status, cost_usd=cost, requests=1, prompt_tokens=100,  # type: ignore[arg-type]
                        completion_tokens=20, model="test/model")
    return Finished(record=record, calls=[call])


def make_run(out: Path, repo: Path, *, config: Config | None = None,
             **fields: Any) -> RunFolder:
    """A run folder under ``out`` with its inputs and a state (``fields`` override it)."""
    folder = RunFolder.create(out)
    folder.save_inputs(PlanResult(), config or Config(mode="files"), str)
    values: dict[str, Any] = {"id": folder.id, "started_at": "2026-01-01T00:00:00+00:00",
                              "updated_at": "2026-01-01T00:00:05+00:00", "repo": str(repo),
                              "output_dir": str(out), "pid": 4242, "status": "running",
                              "concurrency": 2, "tasks": TASKS, "backend": "openrouter"}
    values.update(fields)
    folder.save(RunState.model_validate(values), str)
    return folder


@contextmanager
def alive(folder: RunFolder) -> Iterator[int]:
    """A process that holds ``folder``'s lock for the block; its pid."""
    fd = folder.hold()
    try:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                                 pass_fds=(fd,))
    finally:
        os.close(fd)
    try:
        yield child.pid
    finally:
        child.kill()
        child.wait(10)
