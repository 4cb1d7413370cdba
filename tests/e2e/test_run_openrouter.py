"""``tta-ci run --backend openrouter`` end to end, against the scripted server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest
from support import CASSETTES
from support.gitrepo import CommitFn
from support.llm_server import LLMServer, Received, Reply, chat_body
from support.shop import BASE, GOOD, HEAD

from tta_ci.cli.main import main

if importlib.util.find_spec("tta_ci.cli.run") is not None:
    # Imported here, outside any test's capture: ``Progress`` binds sys.stderr as a default
    # argument when the module is imported.
    import tta_ci.cli.run  # noqa: F401

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("tta_ci.cli.run") is None,
        reason="the run command is not available",
    ),
]

KEY = "sk-or-v1-e2e-secret-5f3a9c0d1e2b"
FAILING = (  # imports a name that does not exist: the validator rejects it
    "from shop.pricing import price_with_tax\n\n\n"
    "def test_price_wrong():\n    assert price_with_tax(10.0, 0.125) == 11.25\n"
)


def _target(request: Received) -> str:
    prompt = request.json["messages"][1]["content"]
    return "discount" if "`discount` (function)" in prompt else "price"


def _answer(code: str, tokens: tuple[int, int], cost: float) -> Reply:
    text = f"Here you go.\n\n```python\n{code}```\n"
    return Reply(body=chat_body(text, prompt_tokens=tokens[0], completion_tokens=tokens[1],
                                cost=cost))


def _run(repo: Path, base: str, head: str, out: Path, server: LLMServer,
         backend: str = "openrouter", **env: str) -> tuple[int, dict[str, Any]]:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TTA_")},
        "OPENROUTER_API_KEY": KEY,
        "TTA_LLM_BASE_URL": server.url,
        "TTA_MODEL": "test/model",
        "TTA_CACHE": "false",
        "TTA_RUNS": "1",  # one validation run per candidate keeps the test fast
        **env,
    }
    argv = ["run", "--backend", backend, "--mode", "files", "--repo", str(repo),
            "--base", base, "--head", head, "--output-dir", str(out)]
    code = main(argv, environ)
    metrics = json.loads((out / "metrics.json").read_text()) if code in (0, 1) else {}
    return code, metrics


def _assert_no_key(out: Path, repo: Path, captured: pytest.CaptureFixture[str]) -> None:
    texts = {p: p.read_text() for p in out.rglob("*") if p.is_file()}
    texts.update({p: p.read_text() for p in (repo / "tests").rglob("*.py")})
    texts.update({p: p.read_text() for p in CASSETTES.glob("*")})
    output = captured.readouterr()
    texts[Path("<stdout>")] = output.out
    texts[Path("<stderr>")] = output.err
    assert (out / "metrics.json") in texts and (out / "summary.md") in texts
    leaks = [str(p) for p, text in texts.items() if KEY in text]
    assert leaks == []


def _assert_totals_match_server(metrics: dict[str, Any], server: LLMServer) -> None:
    totals = metrics["totals"]
    assert totals["prompt_tokens"] == server.reported.prompt_tokens
    assert totals["completion_tokens"] == server.reported.completion_tokens
    assert totals["cost_usd"] == pytest.approx(server.reported.cost_usd, abs=1e-9)
    assert totals["llm_requests"] == server.chat_count


def test_failing_answer_is_repaired_and_accepted(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = commit(BASE, "base")
    head = commit({"shop/pricing.py": HEAD["shop/pricing.py"].split("\n\n\n")[0] + "\n\n\n"
                   + BASE["shop/pricing.py"].split("\n\n\n")[1]}, "change price")
    llm_server.enqueue(_answer(FAILING, (410, 60), 0.00021))
    llm_server.enqueue(_answer(GOOD["price"], (530, 95), 0.00034))
    out = tmp_path / "out"
    code, metrics = _run(git_repo, base, head, out, llm_server)
    assert code == 0
    (task,) = metrics["tasks"]
    assert task["status"] == "accepted" and task["attempts"] == 2
    assert task["model"] == "test/model" and task["generator"] == "openrouter"
    assert task["model_reason"] == "configured model (env TTA_MODEL)"
    assert metrics["totals"]["possible_bugs"] == 0
    assert llm_server.chat_count == 2 and llm_server.unscripted == 0
    repair = llm_server.chat_requests[1].json["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert "price_with_tax" in repair[3]["content"]  # the failure was fed back
    written = (git_repo / "tests" / "test_pricing.py").read_text()
    assert "test_price_rounds_to_cents" in written and "test_price_without_tax" in written
    _assert_totals_match_server(metrics, llm_server)
    assert metrics["models"]["test/model"]["requests"] == 2
    _assert_no_key(out, git_repo, capsys)


def test_faults_are_retried_and_no_task_is_lost(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = commit(BASE, "base")
    head = commit(HEAD, "change price and discount")
    llm_server.rate_limited(retry_after=0.2)
    llm_server.error(500, headers={"Retry-After": "0"})
    llm_server.hang(seconds=4)
    llm_server.malformed()
    costs = {"price": ((300, 40), 0.0002), "discount": ((320, 44), 0.00025)}
    llm_server.respond = lambda r: _answer(GOOD[_target(r)], *costs[_target(r)])
    out = tmp_path / "out"
    code, metrics = _run(git_repo, base, head, out, llm_server, backend="auto",
                         TTA_REQUEST_TIMEOUT_S="1", TTA_CONCURRENCY="2")
    assert code == 0
    assert metrics["backend"] == "openrouter"  # auto: the key is set
    statuses = {t["symbol"]: t["status"] for t in metrics["tasks"]}
    assert statuses == {"price": "accepted", "discount": "accepted"}
    assert metrics["totals"]["tasks"] == 2 and metrics["totals"]["accepted"] == 2
    assert metrics["totals"]["retries"] == 4
    assert sum(t["retries"] for t in metrics["tasks"]) == 4
    assert llm_server.chat_count == 6 and llm_server.unscripted == 0
    _assert_totals_match_server(metrics, llm_server)
    _assert_no_key(out, git_repo, capsys)
