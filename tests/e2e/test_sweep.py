"""``tta-ci sweep`` end to end: the two functions the tests leave untested get tests, in one
pull request that a second sweep updates (scripted LLM server, fake GitHub API, bare origin)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.github_server import fake_github
from support.gitrepo import CommitFn, git
from support.llm_server import LLMServer, Received, Reply, chat_body
from support.sweep import GOOD, REPO, with_origin

from tta_ci.cli.main import main

pytestmark = pytest.mark.slow

KEY = "sk-or-v1-sweep-secret-91ab"


def _answer(request: Received) -> Reply:
    prompt = request.json["messages"][1]["content"]
    target = next(name for name in GOOD if f"`{name}` (" in prompt)
    return Reply(body=chat_body(f"Tests:\n\n```python\n{GOOD[target]}```\n", cost=0.0003))


def test_sweep_tests_the_two_untested_functions_and_updates_its_pull_request(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bare, head = with_origin(git_repo, commit, tmp_path)
    llm_server.respond = _answer
    summary = tmp_path / "summary.md"
    with fake_github() as gh:
        gh.add_repo(REPO)
        environ = {**{k: v for k, v in os.environ.items() if not k.startswith("TTA_")},
                   "OPENROUTER_API_KEY": KEY, "TTA_LLM_BASE_URL": llm_server.url,
                   "TTA_MODEL": "test/model", "TTA_CACHE": "false", "TTA_RUNS": "1",
                   "GITHUB_TOKEN": gh.token, "GITHUB_API_URL": gh.url,
                   "GITHUB_REPOSITORY": REPO, "GITHUB_STEP_SUMMARY": str(summary)}
        argv = ["sweep", "--repo", str(git_repo), "--backend", "openrouter",
                "--output-dir", str(tmp_path / "out")]
        assert main(argv, environ) == 0
        metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
        assert {t["symbol"]: t["status"] for t in metrics["tasks"]} == {
            "clamp": "accepted", "Meter.record": "accepted"}
        assert [g["id"] for g in metrics["sweep"]["gaps"]] == [
            "calc/ops.py::clamp", "calc/ops.py::Meter.record"]  # 5 lines + 4 branches first
        assert metrics["sweep"]["functions"] == 4 and metrics["sweep"]["untested"] == 2
        (created,) = gh.calls("POST", r"/pulls$")
        assert created.body["base"] == "main" and created.body["head"] == "tta-ci/sweep"
        assert git(bare, "rev-parse", "tta-ci/sweep^") == head
        tests = git(bare, "show", "tta-ci/sweep:tests/test_ops.py")
        assert "def test_clamp_low" in tests and "def test_record_adds_up" in tests
        assert "def test_add" in tests  # the existing tests are kept
        assert "Tta-ci: sweep" in git(bare, "log", "-1", "--format=%B", "tta-ci/sweep")

        assert main(argv, environ) == 0  # the next sweep: same PR, branch replaced
        assert len(gh.calls("POST", r"/pulls$")) == 1
        (edit,) = gh.calls("PATCH", r"/pulls/\d+$")
        (pull,) = gh.pulls(REPO).values()
        assert pull["state"] == "open" and "`calc/ops.py::clamp`" in pull["body"]
        assert "`calc/ops.py::Meter.record`" in pull["body"] and edit.body["body"] == pull["body"]
        assert git(bare, "rev-parse", "tta-ci/sweep^") == head  # replaced, not stacked
        assert git(bare, "rev-parse", "main") == head  # the default branch is never pushed
    assert summary.read_text().count("2 accepted") == 2
    assert KEY not in capsys.readouterr().err
