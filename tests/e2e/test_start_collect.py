"""``tta-ci start`` → ``status`` → ``collect`` against the scripted LLM server: start returns
while tasks run, status shows progress, and collect publishes what a plain ``run`` would."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from support.gitrepo import CommitFn, git
from support.llm_server import LLMServer, Received, Reply, chat_body
from support.shop import BASE, GOOD, HEAD

from tta_ci.cli.main import main
from tta_ci.run.state import find_run

pytestmark = pytest.mark.slow

KEY = "sk-or-v1-start-collect-secret-4e1d"
DELAY_S = 2.0


def _answer(request: Received) -> Reply:
    prompt = request.json["messages"][1]["content"]
    target = "discount" if "`discount` (function)" in prompt else "price"
    text = f"Here you go.\n\n```python\n{GOOD[target]}```\n"
    return Reply(body=chat_body(text, prompt_tokens=300, completion_tokens=40, cost=0.0002),
                 delay_s=DELAY_S)


def _environ(server: LLMServer, **extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("TTA_")},
            "OPENROUTER_API_KEY": KEY, "TTA_LLM_BASE_URL": server.url, "TTA_MODEL": "test/model",
            "TTA_CACHE": "false", "TTA_RUNS": "1", "TTA_CONCURRENCY": "1", **extra}


def _args(command: str, repo: Path, out: Path, base: str, head: str) -> list[str]:
    return [command, "--backend", "openrouter", "--mode", "none", "--repo", str(repo),
            "--base", base, "--head", head, "--output-dir", str(out)]


def _status(repo: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["status", "--json", "--repo", str(repo), "--output-dir", str(out)], {}) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def _accepted(metrics: dict[str, Any]) -> dict[str, tuple[list[str], str]]:
    return {t["id"]: (t["tests"], t["code"]) for t in metrics["tasks"] if t["status"] == "accepted"}


TOTALS = ("tasks", "accepted", "rejected", "possible_bugs", "llm_requests", "prompt_tokens",
          "completion_tokens", "cost_usd")


def test_start_status_collect_publishes_what_run_would(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, head = commit(BASE, "base"), commit(HEAD, "change price and discount")
    llm_server.respond = _answer
    environ = _environ(llm_server)
    plain = tmp_path / "plain"
    assert main(_args("run", git_repo, plain, base, head), environ) == 0
    capsys.readouterr()

    out = tmp_path / "background"
    started = time.monotonic()
    assert main(_args("start", git_repo, out, base, head), environ) == 0
    assert time.monotonic() - started < 2.0
    run_id = capsys.readouterr().out.strip()
    seen = [_status(git_repo, out, capsys)]
    assert seen[0]["id"] == run_id and seen[0]["status"] in ("starting", "running")
    assert seen[0]["tasks"]["done"] == 0 and seen[0]["tasks"]["total"] == 2
    while seen[-1]["status"] in ("starting", "running"):
        time.sleep(0.2)
        seen.append(_status(git_repo, out, capsys))
    progress = {(s["tasks"]["done"], s["tasks"]["running"], s["tasks"]["queued"]) for s in seen}
    assert (0, 1, 1) in progress and (1, 1, 0) in progress  # one at a time: concurrency 1
    assert seen[-1]["status"] == "done" and seen[-1]["cost_usd"] == pytest.approx(0.0004)

    assert main(["collect", run_id, "--repo", str(git_repo), "--output-dir", str(out)],
                environ) == 0
    ran = json.loads((plain / "metrics.json").read_text())
    collected = json.loads((out / "metrics.json").read_text())
    assert {k: collected["totals"][k] for k in TOTALS} == {k: ran["totals"][k] for k in TOTALS}
    assert collected["totals"]["accepted"] == 2
    assert _accepted(collected) == _accepted(ran)
    folder = find_run(out, run_id)
    texts = [p.read_text() for p in [*folder.path.iterdir(), *out.glob("*.*")] if p.is_file()]
    assert texts and not any(KEY in t for t in texts)
    assert KEY not in capsys.readouterr().err


def test_sigterm_ends_the_background_run_cleanly_and_collect_says_so(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, head = commit(BASE, "base"), commit(HEAD, "change price and discount")
    llm_server.respond = lambda r: Reply(body=chat_body("late"), delay_s=60)
    out = tmp_path / "out"
    assert main(_args("start", git_repo, out, base, head), _environ(llm_server)) == 0
    folder = find_run(out, capsys.readouterr().out.strip())
    deadline = time.monotonic() + 120  # generous: a busy machine starts the process slowly
    while llm_server.chat_count == 0 and time.monotonic() < deadline:
        time.sleep(0.1)  # a request is on its way: a task is running
    assert llm_server.chat_count > 0, "no task started"
    pid = folder.state().pid
    assert pid is not None and folder.alive()
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 120  # its own clock: the clean-up may take a while under load
    while folder.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    state = folder.state()
    assert state.status == "failed" and state.error == "interrupted (SIGTERM or SIGINT)"
    assert len(git(git_repo, "worktree", "list").splitlines()) == 1  # nothing left registered
    assert main(["collect", "--repo", str(git_repo), "--output-dir", str(out)], {}) == 2
    assert "failed in the background: interrupted" in capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["totals"]["tasks"] == 2 and metrics["totals"]["cancelled"] == 2
