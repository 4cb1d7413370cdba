"""``tta-ci status``: how far a started run is, without waiting."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from support.runs import alive, finished, make_run

from tta_ci.cli.main import main
from tta_ci.cli.status import render_status, status_json
from tta_ci.run.state import RunFolder


def _status(repo: Path, *args: str) -> list[str]:
    return ["status", *args, "--repo", str(repo), "--output-dir", str(repo / "out")]


def test_a_live_run_reports_done_running_queued_and_spend(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_run(git_repo / "out", git_repo, finished=[finished("calc.py::f0", cost=0.0025)])
    with alive(folder):
        assert main(_status(git_repo, "--json"), {}) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["id"] == folder.id and doc["status"] == "running" and doc["alive"] is True
    assert doc["tasks"] == {"total": 3, "done": 1, "running": 2, "queued": 0}
    assert doc["outcomes"]["accepted"] == 1 and doc["cost_usd"] == 0.0025
    assert doc["llm_requests"] == 1 and doc["published"] is False


def test_a_dead_process_is_reported_and_the_latest_run_is_the_default(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_run(git_repo / "out", git_repo, status="done")
    latest = make_run(git_repo / "out", git_repo, finished=[finished("calc.py::f0")])
    assert main(_status(git_repo), {}) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"run {latest.id}: died (pid 4242, started ")
    assert lines[1] == "tasks: 1 done, 0 running, 2 queued, of 3"
    assert "the background process ended before the run finished" in lines[-1]


def test_no_run_is_exit_2(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_status(git_repo), {}) == 2
    assert "no run started under" in capsys.readouterr().err
    assert main(_status(git_repo, "nope"), {}) == 2


def test_render_status(tmp_path: Path) -> None:
    folder = make_run(tmp_path / "out", tmp_path, status="failed", error="ConfigError: bad",
                      finished=[finished("calc.py::f0"), finished("calc.py::f1", "rejected")])
    doc = status_json(RunFolder(folder.path).state(), alive=False)
    now = datetime.datetime(2026, 1, 1, 0, 1, tzinfo=datetime.UTC)
    assert render_status(doc, now) == [
        f"run {folder.id}: failed (pid 4242, started 60s ago)",
        "tasks: 2 done, 0 running, 1 queued, of 3",
        "1 accepted, 1 rejected",
        "spent: $0.0020 in 2 LLM request(s) (finished tasks)",
        "error: ConfigError: bad",
    ]
