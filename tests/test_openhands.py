"""The OpenHands backend against a local OpenAI-compatible server that scripts the agent.

The server (``llm_server``) answers each chat request with the next tool call of a script:
create the test file with ``file_editor``, run pytest with ``terminal``, ``finish``. Each
conversation is told apart by the test file its prompt names. Needs the ``openhands`` extra
(Python >= 3.12); without it these tests skip, except the install-hint ones.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import CommitFn
from llm_server import LLMServer, Received, Reply, chat_body

from tta_ci.cli.main import main
from tta_ci.core.config import Config
from tta_ci.core.errors import AuthError, BadResponse, ConfigError
from tta_ci.core.types import Task
from tta_ci.generators import GenerationRequest, make_generator
from tta_ci.generators.openhands.generator import INSTALL_HINT, sdk_available
from tta_ci.plan import plan_file
from tta_ci.sandbox.isolation import bwrap_works

needs_sdk = pytest.mark.skipif(
    not sdk_available(), reason="needs the openhands extra (openhands-sdk, Python >= 3.12)"
)
pytestmark = pytest.mark.openhands

KEY = "sk-or-v1-test-secret-0123456789"
TOKEN = "ghp_testtoken0123456789"
CALC = "def add(a, b):\n    if a < 0:\n        return -1\n    return a + b\n"
TEST_CODE = (
    "from calc import add\n\n\n"
    "def test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_negative():\n    assert add(-1, 3) == -1\n"
)
PYTEST = f"{sys.executable} -m pytest -q -p no:cacheprovider"

Step = Callable[[Path, Path], tuple[str, dict[str, Any]]]


def create(workdir: Path, test: Path) -> tuple[str, dict[str, Any]]:
    return "file_editor", {"command": "create", "path": str(test), "file_text": TEST_CODE}


def run_pytest(workdir: Path, test: Path) -> tuple[str, dict[str, Any]]:
    return "terminal", {"command": f"cd {workdir} && {PYTEST} {test.relative_to(workdir)}"}


def finish(workdir: Path, test: Path) -> tuple[str, dict[str, Any]]:
    return "finish", {"message": "The tests are written and pass."}


def shell(command: str) -> Step:
    return lambda workdir, test: ("terminal", {"command": f"cd {workdir} && {command}"})


@dataclass
class Agenda:
    """The script the server plays, and what it saw: per test file, request times."""

    steps: list[Step]
    delay_s: float = 0.0
    together: threading.Barrier | None = None  # first requests held until all have arrived
    seen: dict[str, list[float]] = field(default_factory=dict)
    tool_outputs: list[str] = field(default_factory=list)

    def __call__(self, received: Received) -> Reply:
        messages = received.json["messages"]
        prompt = next(_text(m) for m in messages if m["role"] == "user")
        workdir = Path(re.search(r"checked out at (\S+)\.", prompt)[1])  # type: ignore[index]
        test = Path(re.search(r"Test file: (\S+)", prompt)[1])  # type: ignore[index]
        self.seen.setdefault(test.name, []).append(time.monotonic())
        self.tool_outputs.extend(_text(m) for m in messages if m["role"] == "tool")
        step = sum(1 for m in messages if m["role"] == "assistant")
        if step == 0 and self.together is not None:
            self.together.wait(timeout=120)  # broken (a 500) when the other never comes
        name, args = self.steps[min(step, len(self.steps) - 1)](workdir, test)
        return Reply(body=tool_call(name, args), delay_s=self.delay_s if step == 0 else 0.0)


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content)
    return str(content or "")


def tool_call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    body = chat_body("", cost=0.001, prompt_tokens=100, completion_tokens=50)
    choice = body["choices"][0]
    choice["finish_reason"] = "tool_calls"
    choice["message"] = {"role": "assistant", "content": None, "tool_calls": [{
        "id": f"call_{time.time_ns()}", "type": "function",
        "function": {"name": name, "arguments": json.dumps(args)},
    }]}
    return body


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
    prompt = _text(llm_server.chat_requests[0].json["messages"][1])
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


# Looks for the key (never written whole: the command is echoed back) in the terminal's parent's
# environment and in every /proc/<pid>/environ the terminal can see; PROBE_MARKER is a control.
PROC_PROBE = (
    'K=sk-or-v1-test-; K="${K}secret-0123456789"; '
    'grep -qaF "$K" /proc/$PPID/environ && echo "leak""ed-parent"; '
    'echo "parent""-vars-$(tr "\\0" "\\n" < /proc/$PPID/environ | grep -c =)"; '
    'for f in /proc/[0-9]*/environ; do '
    'grep -qaF "$K" "$f" 2>/dev/null && echo "leak""ed-$f"; '
    'grep -qaF visible-marker-42 "$f" 2>/dev/null && echo "mark""er-$f"; done; '
    'echo "pro""cs-$(ls -d /proc/[0-9]* | wc -l)-seen"'
)


@needs_sdk
@pytest.mark.slow
@pytest.mark.parametrize("sandbox", ["auto", "fallback"])
def test_openhands_agent_cannot_read_the_key_from_proc(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, sandbox: str
) -> None:
    """As in CI: the key is in the environment tta-ci starts with."""
    base = commit({"calc.py": "def add(a, b):\n    return a + b\n"}, "base")
    commit({"calc.py": CALC}, "change")
    agenda = Agenda([shell(PROC_PROBE), create, finish])
    llm_server.respond = agenda
    environ = {"OPENROUTER_API_KEY": KEY, "GITHUB_TOKEN": TOKEN, "TTA_MODEL": "test/model",
               "TTA_LLM_BASE_URL": llm_server.url, "PATH": os.environ["PATH"],
               "PROBE_MARKER": "visible-marker-42", "TTA_SANDBOX": sandbox}
    done = subprocess.run(
        [sys.executable, "-m", "tta_ci", "run", "--backend", "openhands", "--repo",
         str(git_repo), "--base", base, "--mode", "none", "--json"],
        env=environ, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    output = "\n".join(agenda.tool_outputs)
    assert re.search(r"parent-vars-[1-9]", output), output  # the parent's environ was read
    assert "marker-/proc/" in output, output  # the scan finds what is there
    assert llm_server.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"
    isolation = json.loads(done.stdout)["isolation"]
    if sandbox == "auto" and bwrap_works():
        assert "leaked-" not in output, output
        procs = int(re.search(r"procs-(\d+)-seen", output)[1])  # type: ignore[index]
        assert procs < 20  # only the sandbox's own processes
    else:  # the tta-ci process itself is readable without a PID namespace; its worker is not
        assert "leaked-parent" not in output, output
    assert isolation == ("bwrap" if sandbox == "auto" and bwrap_works() else "fallback")


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
    assert capsys.readouterr().err.strip() == f"tta-ci: error: {INSTALL_HINT}"


@pytest.mark.skipif(sdk_available(), reason="the openhands extra is installed here")
def test_openhands_make_without_the_sdk_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(INSTALL_HINT)):
        make_generator("openhands", Config(), {"OPENROUTER_API_KEY": KEY}, repo=tmp_path)


@needs_sdk
@pytest.mark.slow
def test_openhands_run_command_accepts_the_agents_tests(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, capsys: pytest.CaptureFixture[str],
) -> None:
    base = commit({"calc.py": "def add(a, b):\n    return a + b\n"}, "base")
    commit({"calc.py": CALC}, "change")
    llm_server.respond = Agenda([create, finish])
    environ = {"OPENROUTER_API_KEY": KEY, "TTA_LLM_BASE_URL": llm_server.url,
               "TTA_MODEL": "test/model", "PATH": os.environ["PATH"]}
    code = main(["run", "--backend", "openhands", "--repo", str(git_repo), "--base", base,
                 "--mode", "files", "--json"], environ=environ)
    assert code == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    [record] = doc["tasks"]
    assert (record["status"], record["generator"], record["model"]) == (
        "accepted", "openhands", "test/model")
    assert doc["totals"]["cost_usd"] == pytest.approx(0.002)
    assert any("openhands agent: status finished, 2 iterations" in n for n in record["notes"])
    written = (git_repo / "tests" / "test_calc.py").read_text()
    assert "generator: openhands" in written and TEST_CODE.split("\n\n\n", 1)[1] in written
