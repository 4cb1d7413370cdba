"""``tta-ci run`` through main(): the checks before any work, the run's files and its exit code
(changes that plan no task, so that nothing runs in the sandbox)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git
from support.publish_data import bug_task, document, task

from tta_ci.cli.main import main
from tta_ci.cli.run import findings


@pytest.mark.parametrize(
    ("tasks", "expected"),
    [
        pytest.param([], False, id="nothing"),
        pytest.param([task()], False, id="accepted"),
        pytest.param([task("skipped")], False, id="skipped"),
        pytest.param([task("rejected")], True, id="rejected"),
        pytest.param([task(), bug_task()], True, id="possible-bug"),
    ],
)
def test_findings(tasks: list, expected: bool) -> None:  # type: ignore[type-arg]
    assert findings(document(tasks)) is expected


@pytest.fixture
def docs_only(git_repo: Path, commit: CommitFn) -> tuple[str, str]:
    base = commit({"README.md": "# calc\n", "calc.py": "def f():\n    return 1\n"})
    return base, commit({"README.md": "# calc, again\n"})


def test_a_change_without_tasks_writes_its_files(
    git_repo: Path, docs_only: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = docs_only
    argv = ["run", "--repo", str(git_repo), "--base", base, "--head", head, "--backend",
            "offline", "--mode", "files"]
    assert main(argv, {}) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("0 task(s): 0 accepted, 0 rejected")
    out_dir = git_repo / ".tta-ci" / "out"
    assert out[1:] == [f"metrics: {out_dir / 'metrics.json'}",
                       f"summary: {out_dir / 'summary.md'}"]
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert (metrics["base"], metrics["head"], metrics["backend"]) == (base, head, "offline")
    assert metrics["skipped"] == [{"file": "README.md", "reason": "not python"}]


def test_json_goes_to_stdout_and_the_output_dir_flag_is_used(
    git_repo: Path, docs_only: tuple[str, str], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, head = docs_only
    argv = ["run", "--repo", str(git_repo), "--base", base, "--head", head, "--backend",
            "offline", "--mode", "none", "--json", "--output-dir", str(tmp_path / "o"),
            "--fail-on-rejected"]
    assert main(argv, {}) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["mode"] == "none" and doc["totals"]["tasks"] == 0
    assert (tmp_path / "o" / "metrics.json").is_file()


@pytest.mark.parametrize(
    ("mode", "environ", "message"),
    [
        pytest.param("comment", {}, "mode 'comment' needs a GitHub event", id="no-event"),
        pytest.param("pr", {"GITHUB_EVENT_NAME": "pull_request"},
                     "mode 'pr' needs GITHUB_TOKEN to write to pull request #2", id="no-token"),
    ],
)
def test_publishing_that_cannot_work_fails_before_any_work(
    git_repo: Path, docs_only: tuple[str, str], capsys: pytest.CaptureFixture[str], mode: str,
    environ: dict[str, str], message: str,
) -> None:
    from support import EVENTS

    if environ:
        environ = {**environ, "GITHUB_EVENT_PATH": str(EVENTS / "pull_request.opened.json")}
    argv = ["run", "--repo", str(git_repo), "--backend", "offline", "--mode", mode]
    assert main(argv, environ) == 2
    first, error = capsys.readouterr().err.splitlines()  # the first line, then one error line
    assert first.startswith("tta-ci: planning ")
    assert error.startswith(f"tta-ci: error: {message}")
    assert not (git_repo / ".tta-ci").exists()


@pytest.mark.parametrize("where", ["/etc/hostname", "/proc/version/out"])
def test_an_output_dir_that_cannot_be_written_stops_before_any_work(
    git_repo: Path, docs_only: tuple[str, str], capsys: pytest.CaptureFixture[str], where: str,
) -> None:
    base, head = docs_only
    argv = ["run", "--repo", str(git_repo), "--base", base, "--head", head, "--backend",
            "offline", "--output-dir", where]
    assert main(argv, {}) == 2
    planning, error = capsys.readouterr().err.splitlines()  # the first line, then the error
    assert planning == f"tta-ci: planning {base}..{head}"
    assert error.startswith(f"tta-ci: error: --output-dir {where}: not a writable folder (")
    assert error.endswith("; choose another")


@pytest.mark.slow
def test_sigterm_ends_a_run_like_ctrl_c(git_repo: Path, commit: CommitFn,
                                        tmp_path: Path) -> None:
    """CI cancellation: the run stops with one line and exit 143; no workspace, no sandbox, no
    registered worktree is left behind."""
    base = commit({"calc.py": "def slow(n: int) -> int:\n    return n\n"})
    head = commit({"calc.py": "def slow(n: int) -> int:\n    \"\"\"\n    >>> slow(1)\n    2\n"
                              "    \"\"\"\n    import time\n    time.sleep(30)\n"
                              "    return n + 1\n",
                   "tests/test_calc.py": "from calc import slow\n\n\ndef test_slow():\n"
                                         "    assert slow(1) == 2\n"})
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TMPDIR": str(temp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tta_ci", "run", "--repo", str(git_repo), "--base", base,
         "--head", head, "--backend", "offline", "--mode", "none"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(temp.glob("tta-ci-*/sbx-*")) and time.monotonic() < deadline:
        time.sleep(0.2)  # until something runs in the sandbox
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "tta-ci: terminated by SIGTERM; workspaces removed"
    assert list(temp.iterdir()) == []  # every temporary folder went
    assert git(git_repo, "worktree", "list").count("\n") == 0  # the checkout's own only
    assert children_of(proc.pid) == []


def children_of(pid: int) -> list[int]:
    """Processes whose parent was the killed run (none may outlive it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[-1].split()[1] == str(pid):
                found.append(int(entry.name))
    return found
