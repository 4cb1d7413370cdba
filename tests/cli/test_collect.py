"""``tta-ci collect``: wait, then publish once as ``run`` would; a dead background process is
said, with exit 2, and what it finished is published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.runs import alive, finished, make_run

from tta_ci.cli.collect import wait_for
from tta_ci.cli.main import main
from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError
from tta_ci.run.state import RunFolder


def _collect(repo: Path, *args: str) -> list[str]:
    return ["collect", *args, "--repo", str(repo), "--output-dir", str(repo / "out")]


def test_a_live_run_past_the_timeout_is_exit_2(git_repo: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_run(git_repo / "out", git_repo, finished=[finished("calc.py::f0")])
    with alive(folder):
        assert main(_collect(git_repo, "--timeout", "0.2"), {}) == 2
    err = capsys.readouterr().err
    assert f"run {folder.id} is still running after 0.2s (1 of 3 task(s) done)" in err
    assert not (git_repo / "out" / "metrics.json").exists()  # nothing published


def test_wait_for_polls_until_the_process_is_gone(tmp_path: Path) -> None:
    folder = make_run(tmp_path / "out", tmp_path)
    ticks: list[float] = []
    with alive(folder), pytest.raises(UsageError, match="still running after 2s"):
        wait_for(folder, 2, clock=lambda: float(len(ticks)), sleep=ticks.append)
    assert len(ticks) == 2
    state, is_alive = wait_for(RunFolder(folder.path), None, sleep=ticks.append)
    assert state.status == "running" and not is_alive  # died: collect does not wait for ever


def test_a_dead_run_publishes_what_finished_once(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_run(git_repo / "out", git_repo, finished=[finished("calc.py::f0")],
                      config=Config(mode="summary"))
    outputs = git_repo / "outputs.txt"
    environ = {"GITHUB_OUTPUT": str(outputs)}
    assert main(_collect(git_repo, folder.id), environ) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines()[-1].startswith(
        f"tta-ci: error: the background process of run {folder.id} (pid 4242) ended before the "
        "run finished: 1 of 3 task(s) done; published what finished")
    metrics = json.loads((git_repo / "out" / "metrics.json").read_text())
    assert [t["status"] for t in metrics["tasks"]].count("cancelled") == 2
    assert metrics["totals"]["accepted"] == 1 and metrics["totals"]["tasks"] == 3
    assert "ended before the run finished" in metrics["notes"][0]
    assert "accepted=1\n" in outputs.read_text()
    state = folder.state()
    assert state.published is not None and state.published.exit_code == 2
    # again: the same result and outputs, posted nowhere twice
    assert main(_collect(git_repo), environ) == 2
    again = capsys.readouterr()
    assert "not published again" in again.err
    assert again.out == captured.out
    assert outputs.read_text().count("accepted=1\n") == 2


def test_a_failed_run_is_exit_2_with_its_error(git_repo: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    make_run(git_repo / "out", git_repo, status="failed", error="SandboxError: no bwrap")
    assert main(_collect(git_repo), {}) == 2
    assert "failed in the background: SandboxError: no bwrap" in capsys.readouterr().err


def test_a_github_mode_without_a_token_fails_before_the_wait(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_run(git_repo / "out", git_repo, config=Config(mode="comment"))
    with alive(folder):
        assert main(_collect(git_repo), {}) == 2  # no event: no waiting at all
    assert "needs a GitHub event" in capsys.readouterr().err
