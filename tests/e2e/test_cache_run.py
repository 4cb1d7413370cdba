"""The result cache end to end: a second identical ``tta-ci run`` makes no LLM request."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from support.gitrepo import CommitFn
from support.llm_server import LLMServer, Received, Reply, chat_body
from support.shop import BASE, GOOD, HEAD

from tta_ci.cli.main import main

pytestmark = pytest.mark.slow


def _answer(request: Received) -> Reply:
    prompt = request.json["messages"][1]["content"]
    target = "discount" if "`discount` (function)" in prompt else "price"
    text = f"```python\n{GOOD[target]}```\n"
    return Reply(body=chat_body(text, prompt_tokens=200, completion_tokens=50, cost=0.0001))


def _run(repo: Path, base: str, head: str, out: Path, server: LLMServer) -> dict[str, Any]:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TTA_")},
        "OPENROUTER_API_KEY": "sk-or-v1-cache-test-0123456789",
        "TTA_LLM_BASE_URL": server.url,
        "TTA_MODEL": "test/model",
        "TTA_RUNS": "1",
        "TTA_MUTATION": "false",  # about the cache: the mutants would only cost time
    }
    argv = ["run", "--backend", "openrouter", "--mode", "none", "--repo", str(repo),
            "--base", base, "--head", head, "--output-dir", str(out)]
    assert main(argv, environ) == 0
    metrics: dict[str, Any] = json.loads((out / "metrics.json").read_text())
    return metrics


def test_second_identical_run_makes_no_request_and_gives_the_same_tests(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, tmp_path: Path
) -> None:
    base = commit(BASE, "base")
    head = commit(HEAD, "change price and discount")
    llm_server.respond = _answer
    first = _run(git_repo, base, head, tmp_path / "first", llm_server)
    requests_after_first = llm_server.chat_count
    assert requests_after_first == 2
    assert first["totals"]["accepted"] == 2 and first["totals"]["cached"] == 0

    second = _run(git_repo, base, head, tmp_path / "second", llm_server)
    assert llm_server.chat_count == requests_after_first  # no LLM request at all
    assert second["totals"]["cached"] == 2
    assert second["totals"]["llm_requests"] == 0 and second["totals"]["cost_usd"] == 0
    code = {t["id"]: t["code"] for t in first["tasks"]}
    assert {t["id"]: t["code"] for t in second["tasks"]} == code
    assert all(t["status"] == "accepted" and t["cached"] for t in second["tasks"])
    assert "(cached)" in (tmp_path / "second" / "summary.md").read_text()
