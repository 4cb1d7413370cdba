"""``tta-ci start``: plans in the foreground, starts the background process, returns at once;
refuses a second run while one lives."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from support.gitrepo import CommitFn
from support.runs import alive, make_run

from tta_ci.cli.main import main
from tta_ci.run.state import find_run


@pytest.fixture
def docs_only(git_repo: Path, commit: CommitFn) -> tuple[str, str]:
    base = commit({"README.md": "# calc\n", "calc.py": "def f():\n    return 1\n"})
    return base, commit({"README.md": "# calc, again\n"})


def _start(repo: Path, base: str, head: str, *extra: str) -> list[str]:
    return ["start", "--repo", str(repo), "--base", base, "--head", head, "--backend",
            "offline", "--mode", "files", "--output-dir", str(repo / "out"), *extra]


def test_start_returns_the_run_id_then_collect_publishes(
    git_repo: Path, docs_only: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = git_repo / "outputs.txt"
    environ = {"GITHUB_OUTPUT": str(outputs), "TTA_SANDBOX": "fallback"}
    assert main(_start(git_repo, *docs_only), environ) == 0
    captured = capsys.readouterr()
    run_id = captured.out.strip()
    assert outputs.read_text() == f"run-id={run_id}\n"
    assert f"started run {run_id} in the background: 0 task(s)" in captured.err
    folder = find_run(git_repo / "out", None)
    assert folder.id == run_id
    assert {"state.json", "plan.json", "config.json", "run.log"} <= {
        p.name for p in folder.path.iterdir()}
    assert folder.config().mode == "files" and folder.plan().head == docs_only[1]
    assert main(["collect", "--repo", str(git_repo), "--output-dir", str(git_repo / "out"),
                 "--timeout", "60"], environ) == 0
    metrics = json.loads((git_repo / "out" / "metrics.json").read_text())
    assert (metrics["base"], metrics["head"]) == docs_only
    assert folder.state().published is not None


def test_a_second_start_is_refused_while_the_first_runs(
    git_repo: Path, docs_only: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    running = make_run(git_repo / "out", git_repo)
    with alive(running):
        assert main(_start(git_repo, *docs_only), {}) == 2
    err = capsys.readouterr().err
    assert err == (f"tta-ci: error: run {running.id} is still running in {git_repo / 'out'}; "
                   f"collect it first (tta-ci collect {running.id}) or use another "
                   "--output-dir\n")
    assert find_run(git_repo / "out", None).id == running.id  # no new run folder


def test_a_bad_ref_fails_in_the_foreground(git_repo: Path, docs_only: tuple[str, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_start(git_repo, "no-such-ref", docs_only[1]), {}) == 2
    assert "no-such-ref" in capsys.readouterr().err
    assert not list((git_repo / "out" / "runs").glob("*/state.json"))


def test_a_machine_without_a_sandbox_starts_nothing(
    git_repo: Path, docs_only: tuple[str, str], broken_bwrap: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = git_repo / "outputs.txt"
    assert main(_start(git_repo, *docs_only), {"GITHUB_OUTPUT": str(outputs)}) == 2
    err = capsys.readouterr().err
    assert err.startswith("tta-ci: error: bubblewrap cannot build its sandbox (bwrap: setting "
                          "up uid map: Permission denied)") and err.count("\n") == 1
    assert not outputs.exists()  # no run id: nothing was started
    assert not list((git_repo / "out" / "runs").glob("*/state.json"))


def test_start_json(git_repo: Path, docs_only: tuple[str, str],
                    capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert main(_start(git_repo, *docs_only, "--json"), {"TTA_SANDBOX": "fallback"}) == 0
    assert time.monotonic() - started < 5
    doc = json.loads(capsys.readouterr().out)
    assert doc["tasks"] == 0 and doc["pid"] > 0 and Path(doc["folder"]).name == doc["run_id"]
    folder = find_run(git_repo / "out", doc["run_id"])
    deadline = time.monotonic() + 60
    while folder.alive() and time.monotonic() < deadline:  # leave no process behind
        time.sleep(0.1)
    assert folder.state().status == "done"
