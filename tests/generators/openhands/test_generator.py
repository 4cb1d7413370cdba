"""tta_ci.generators.openhands.generator against a local OpenAI-compatible server that scripts
the agent (``support.agent_script``). Needs the ``openhands`` extra (Python >= 3.12); without it
these tests skip, except the install-hint ones.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support.agent_script import (
    CALC,
    KEY,
    TEST_CODE,
    TOKEN,
    Agenda,
    create,
    finish,
    message_text,
    run_pytest,
    shell,
)
from support.gitrepo import CommitFn
from support.llm_server import LLMServer

from tta_ci.cli.main import main
from tta_ci.core.config import Config
from tta_ci.core.errors import AuthError, BadResponse, ConfigError
from tta_ci.core.types import Task
from tta_ci.generators import GenerationRequest, make_generator
from tta_ci.generators.openhands.generator import INSTALL_HINT, sdk_available
from tta_ci.plan import plan_file

needs_sdk = pytest.mark.skipif(
    not sdk_available(), reason="needs the openhands extra (openhands-sdk, Python >= 3.12)"
)
pytestmark = pytest.mark.openhands


def make_repo(git_repo: Path, commit: CommitFn, *extra: str) -> None:
    commit({"calc.py": CALC, **{name: CALC for name in extra}}, "calc")


def task_for(repo: Path, config: Config, path: str = "calc.py") -> Task:
    return plan_file(repo, config, path, symbol="add").tasks[0]


def config_for(server: LLMServer, **extra: Any) -> Config:
    return Config(api_base=server.url, model="test/model", openhands_max_iterations=8, **extra)


def generate(config: Config, repo: Path, *tasks: Task, environ: dict[str, str] | None = None):
    env = {"OPENROUTER_API_KEY": KEY} if environ is None else environ
    generator = make_generator("openhands", config, env, repo=repo)

    async def go() -> list[Any]:
        requests = [GenerationRequest(task=t) for t in tasks]
        return await asyncio.gather(*(generator.generate(r) for r in requests))

    return asyncio.run(go())


@needs_sdk
@pytest.mark.slow
def test_openhands_agent_writes_the_test_file_and_it_is_accepted(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer
) -> None:
    from tta_ci.validate import ResultValidator

    make_repo(git_repo, commit)
    agenda = Agenda([create, run_pytest, finish])
    llm_server.respond = agenda
    config = config_for(llm_server)
    task = task_for(git_repo, config)
    [candidate] = generate(config, git_repo, task)

    assert candidate.code == TEST_CODE
    assert candidate.generator == "openhands" and candidate.model == "test/model"
    # the agent's pytest run, as the model saw it (tmux may cut the output; the exit code stays)
    assert "[Command finished with exit code 0]" in agenda.tool_outputs[-1]
    assert len(candidate.calls) == llm_server.chat_count == 3
    assert candidate.cost_usd == pytest.approx(0.003)  # from the server's usage.cost
    assert candidate.prompt_tokens == 300 and candidate.completion_tokens == 150
    assert "status finished, 3 iterations (limit 8, isolation " in candidate.notes[0]
    assert not (git_repo / task.test_file).exists()  # the user's checkout is not written
    prompt = message_text(llm_server.chat_requests[0].json["messages"][1])
    assert task.test_file in prompt and "def add(a, b):" in prompt and ">>" in prompt
    verdict = asyncio.run(
        ResultValidator(config, git_repo, environ={}).validate(task, candidate.code)
    )
    assert verdict.accepted, verdict.reason


@needs_sdk
def test_openhands_two_conversations_overlap(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer
) -> None:
    make_repo(git_repo, commit, "calc2.py")
    agenda = Agenda([create, finish], together=threading.Barrier(2))
    llm_server.respond = agenda
    config = config_for(llm_server)
    tasks = [task_for(git_repo, config), task_for(git_repo, config, "calc2.py")]
    started = time.monotonic()
    candidates = generate(config, git_repo, *tasks)
    wall = time.monotonic() - started

    assert [c.code for c in candidates] == [TEST_CODE, TEST_CODE]
    spans = [(min(t), max(t)) for t in agenda.seen.values()]
    assert len(spans) == 2
    (a0, a1), (b0, b1) = spans
    assert a0 < b1 and b0 < a1, f"conversations did not overlap: {spans}"
    assert not agenda.together.broken  # both first requests were waiting on the server together
    assert wall < 120


@needs_sdk
def test_openhands_files_written_outside_the_test_file_are_discarded(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer
) -> None:
    make_repo(git_repo, commit)
    llm_server.respond = Agenda([create, shell("echo x > stray.py && echo '# x' >> calc.py"),
                                 finish])
    config = config_for(llm_server)
    [candidate] = generate(config, git_repo, task_for(git_repo, config))

    assert candidate.code == TEST_CODE
    assert "discarded files written outside the test file: calc.py, stray.py" in candidate.notes
    assert (git_repo / "calc.py").read_text() == CALC
    assert not (git_repo / "stray.py").exists()


@needs_sdk
def test_openhands_terminal_does_not_see_the_secrets(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_repo(git_repo, commit)
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # the key under another name
    agenda = Agenda([shell("env; echo marker-$OPENROUTER_API_KEY-end"), create, finish])
    llm_server.respond = agenda
    config = config_for(llm_server)
    generate(config, git_repo, task_for(git_repo, config), environ=dict(os.environ))

    env_output = agenda.tool_outputs[0]
    assert "PATH=" in env_output and "marker--end" in env_output
    assert KEY not in env_output and TOKEN not in env_output
    assert "GITHUB_TOKEN" not in env_output
    assert llm_server.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert os.environ["OPENROUTER_API_KEY"] == KEY  # the tta-ci process is left as it was
    assert os.environ["GITHUB_TOKEN"] == TOKEN


@needs_sdk
def test_openhands_no_test_file_is_a_retryable_bad_response(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer
) -> None:
    make_repo(git_repo, commit)
    llm_server.respond = Agenda([finish])
    config = config_for(llm_server)
    with pytest.raises(BadResponse, match=r"did not write tests/test_calc\.py") as info:
        generate(config, git_repo, task_for(git_repo, config))
    assert info.value.retryable


@needs_sdk
def test_openhands_iteration_cap_ends_the_conversation(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer
) -> None:
    make_repo(git_repo, commit)
    llm_server.respond = Agenda([shell("true")])  # never finishes
    config = config_for(llm_server).model_copy(update={"openhands_max_iterations": 2})
    with pytest.raises(BadResponse, match=r"status error, 2 iterations"):
        generate(config, git_repo, task_for(git_repo, config))
    assert llm_server.chat_count == 2


@needs_sdk
def test_openhands_bad_key_is_an_auth_error(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer
) -> None:
    make_repo(git_repo, commit)
    llm_server.error(401, "No auth credentials found")
    config = config_for(llm_server)
    with pytest.raises(AuthError, match="openhands agent") as info:
        generate(config, git_repo, task_for(git_repo, config))
    assert not info.value.retryable and KEY not in str(info.value)


def test_openhands_without_the_extra_run_prints_the_install_hint(
    git_repo: Path, commit: CommitFn, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("tta_ci.generators.openhands.generator.sdk_available", lambda: False)
    base = commit({"calc.py": "def add(a, b):\n    return a + b\n"}, "base")
    commit({"calc.py": CALC}, "change")
    code = main(["run", "--backend", "openhands", "--repo", str(git_repo), "--base", base,
                 "--mode", "none"], environ={"OPENROUTER_API_KEY": KEY})
    assert code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"tta-ci: error: {INSTALL_HINT}"


@pytest.mark.skipif(sdk_available(), reason="the openhands extra is installed here")
def test_openhands_make_without_the_sdk_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(INSTALL_HINT)):
        make_generator("openhands", Config(), {"OPENROUTER_API_KEY": KEY}, repo=tmp_path)




def test_openhands_read_back_compares_contents_not_git(tmp_path: Path) -> None:
    from tta_ci.generators.openhands.generator import _read_back
    from tta_ci.sandbox.workspace import digest

    (tmp_path / "calc.py").write_text("x = 1\n")
    (tmp_path / "old.py").write_text("y = 2\n")
    before = digest(tmp_path)
    (tmp_path / "calc.py").write_text("x = 2\n")
    (tmp_path / "old.py").unlink()
    (tmp_path / "tests" / "__pycache__").mkdir(parents=True)
    (tmp_path / "tests" / "__pycache__" / "t.pyc").write_bytes(b"\0")
    (tmp_path / "tests" / "test_calc.py").write_text("def test_x():\n    assert 1\n")
    (tmp_path / ".pytest_cache").mkdir()
    (tmp_path / ".pytest_cache" / "v").write_text("")
    changed, code = _read_back(tmp_path, before, "tests/test_calc.py")
    assert changed == ["calc.py", "old.py", "tests/test_calc.py"]
    assert code == "def test_x():\n    assert 1\n"
    assert _read_back(tmp_path, digest(tmp_path), "tests/test_calc.py") == ([], None)
