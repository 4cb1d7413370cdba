"""The OpenHands backend's parts that need no SDK: prompt, worker environment and process,
workspace."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CommitFn, git

from tta_ci.core.config import Config
from tta_ci.core.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from tta_ci.core.secrets import Redactor
from tta_ci.core.types import Candidate, Task
from tta_ci.generators.openhands.env import changed_files, read_test_file, worker_env
from tta_ci.generators.openhands.generator import sdk_available
from tta_ci.generators.openhands.process import (
    WORKER_MODULE,
    answer_to_run,
    run_worker,
    worker_argv,
)
from tta_ci.generators.openhands.prompt import agent_prompt
from tta_ci.sandbox.isolation import bwrap_works

TASK = Task(
    id="pkg/calc.py::add", file="pkg/calc.py", symbol="add", kind="function",
    changed_lines=(2, 3, 5), test_file="tests/test_calc.py", start_line=1, end_line=5,
    source="def add(a, b):\n    if a < 0:\n        return -1\n\n    return a + b\n",
    module="pkg.calc",
)


def test_openhands_prompt_names_target_lines_and_the_one_test_file() -> None:
    prompt = agent_prompt(TASK, Path("/w/repo"))
    assert "checked out at /w/repo." in prompt
    assert "Test file: /w/repo/tests/test_calc.py\n" in prompt
    assert "`add` (function) in `pkg/calc.py`" in prompt
    assert "changed lines (2-3, 5)" in prompt
    assert "    2 >>     if a < 0:" in prompt and "\n    4\n" in prompt
    assert "from pkg.calc import add" in prompt
    assert "do not create, modify or delete any other file" in prompt
    assert "repair attempt" not in prompt


def test_openhands_repair_prompt_carries_the_feedback_and_previous_file() -> None:
    previous = Candidate(code="def test_old():\n    assert add(1, 1) == 3\n", generator="openhands")
    prompt = agent_prompt(TASK, Path("/w/repo"), previous=previous,
                          feedback="test_old: AssertionError: assert 2 == 3")
    assert "repair attempt" in prompt
    assert "assert add(1, 1) == 3" in prompt
    assert "AssertionError: assert 2 == 3" in prompt


def test_openhands_worker_env_hides_names_values_and_configured_secrets(tmp_path: Path) -> None:
    env = {"OPENROUTER_API_KEY": "sk-secret-1", "ALIAS": "sk-secret-1", "MY_SECRET": "s3cr3t-x",
           "CUSTOM": "custom-value", "GH_TOKEN": "gho_0123456789", "PATH": "/bin",
           "HOME": "/root", "LANG": "C.UTF-8"}
    config = Config(secret_env=("CUSTOM",))
    clean = worker_env(env, config, values=["sk-secret-1"], home=tmp_path, extra={"X": "1"})
    assert clean == {"PATH": "/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8", "X": "1"}
    assert len(env) == 8  # the caller's mapping is not touched


def test_openhands_worker_argv_has_no_secret_and_isolates_under_bwrap(tmp_path: Path) -> None:
    plain = worker_argv("fallback", workdir=tmp_path / "w", scratch=tmp_path / "s")
    assert plain == [sys.executable, "-P", "-m", WORKER_MODULE]
    boxed = worker_argv("bwrap", workdir=tmp_path / "w", scratch=tmp_path / "s")
    assert {"--unshare-all", "--share-net", "--die-with-parent", "--new-session"} <= set(boxed)
    assert boxed[boxed.index("--tmpfs") + 1] == "/tmp"
    assert boxed[-4:] == plain and "--clearenv" not in boxed and "--setenv" not in boxed


@pytest.mark.parametrize(("answer", "error"), [
    pytest.param({"error": {"kind": "AuthError", "message": "openhands agent: 401"}}, AuthError,
                 id="auth"),
    pytest.param({"error": {"kind": "RateLimited", "message": "429", "retry_after": 2.0}},
                 RateLimited, id="rate-limited"),
    pytest.param({"error": {"kind": "ConfigError", "message": "no SDK"}}, ConfigError,
                 id="no-sdk"),
    pytest.param({"error": {"kind": "Surprise", "message": "?"}}, ProviderError, id="unknown"),
    pytest.param([1], ProviderUnavailable, id="not-an-object"),
])
def test_openhands_worker_errors_come_back_typed(answer: object, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        answer_to_run(json.dumps(answer).encode(), "m")
    assert type(info.value) is error
    if isinstance(info.value, RateLimited):
        assert info.value.retry_after == 2.0 and info.value.retryable


def test_openhands_worker_answer_is_an_agent_run() -> None:
    call = {"model": "m", "prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.01,
            "latency_s": 0.5}
    run = answer_to_run(json.dumps({"status": "finished", "calls": [call, call],
                                    "errors": ["x"]}).encode(), "m")
    assert run.status == "finished" and run.iterations == 2 and run.errors == ("x",)
    assert run.calls[0].prompt_tokens == 10 and run.calls[1].cost_usd == 0.01


@pytest.mark.skipif(sdk_available(), reason="with the SDK the worker would import it (slow)")
def test_openhands_worker_without_the_sdk_answers_config_error(tmp_path: Path) -> None:
    argv = worker_argv("fallback", workdir=tmp_path, scratch=tmp_path)
    request = {"settings": {}, "workdir": str(tmp_path), "prompt": "p", "log_dir": str(tmp_path)}
    with pytest.raises(ConfigError, match="importing the OpenHands SDK failed"):
        asyncio.run(run_worker(argv, request, env={"PATH": os.defpath}, cwd=tmp_path,
                               timeout_s=60, model="m", redact=Redactor([])))


# A stand-in worker: reads the request like the real one, then looks for the key the way an
# agent's terminal could: its own environment, its parent's, and every /proc/<pid>/environ.
PROBE = r"""
import json, os, pathlib, sys
key = json.loads(sys.stdin.read())["settings"]["api_key"]
found = []
for proc in pathlib.Path("/proc").iterdir():
    if proc.name.isdigit():
        try:
            if key.encode() in (proc / "environ").read_bytes():
                found.append(proc.name)
        except OSError:
            pass
pids = len([p for p in pathlib.Path("/proc").iterdir() if p.name.isdigit()])
print(json.dumps({"status": "finished", "errors": [f"pids {pids}", *found]}))
"""


def _probe(isolation: str, tmp_path: Path, environ: dict[str, str]) -> tuple[str, ...]:
    config = Config()
    argv = worker_argv(isolation, workdir=tmp_path, scratch=tmp_path)
    argv = [*argv[:-4], sys.executable, "-c", PROBE]
    env = worker_env(environ, config, values=[KEY], home=tmp_path)
    request = {"settings": {"api_key": KEY}}
    run = asyncio.run(run_worker(argv, request, env=env, cwd=tmp_path, timeout_s=60,
                                 model="m", redact=Redactor([KEY])))
    return run.errors


KEY = "sk-or-v1-probe-0123456789"


def test_openhands_worker_process_gets_the_key_on_stdin_not_in_its_environ(
    tmp_path: Path,
) -> None:
    errors = _probe("fallback", tmp_path, {"OPENROUTER_API_KEY": KEY, "ALIAS": KEY,
                                           "PATH": os.environ["PATH"]})
    assert errors[0].startswith("pids ")
    assert str(os.getpid()) not in errors[1:]  # this process did not start with the key


@pytest.mark.skipif(not bwrap_works(), reason="needs bubblewrap")
def test_openhands_worker_under_bwrap_sees_no_process_holding_the_key(tmp_path: Path) -> None:
    # A parent that started with the key in its environment, as a CI job's tta-ci does.
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import test_openhands_parts as t;"
        "from pathlib import Path; print(json.dumps(t._probe('bwrap', Path(sys.argv[2]), {})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent), str(tmp_path)],
        env={"PATH": os.environ["PATH"], "OPENROUTER_API_KEY": KEY}, capture_output=True,
        text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    errors = json.loads(done.stdout)
    pids = int(errors[0].split()[1])
    assert errors[1:] == [] and pids <= 3  # bwrap's init and the worker: nothing else visible
    unboxed = subprocess.run(
        [sys.executable, "-c", script.replace("'bwrap'", "'fallback'"),
         str(Path(__file__).parent), str(tmp_path)],
        env={"PATH": os.environ["PATH"], "OPENROUTER_API_KEY": KEY}, capture_output=True,
        text=True, timeout=120, check=False,
    )
    assert json.loads(unboxed.stdout)[1:], "without bwrap the parent's initial environ is readable"


def test_openhands_changed_files_lists_edits_and_new_files_not_byproducts(
    git_repo: Path, commit: CommitFn
) -> None:
    commit({"calc.py": "x = 1\n", "old.py": "y = 2\n"})
    (git_repo / "calc.py").write_text("x = 2\n")
    (git_repo / "tests" / "__pycache__").mkdir(parents=True)
    (git_repo / "tests" / "__pycache__" / "t.pyc").write_bytes(b"\0")
    (git_repo / "tests" / "test_calc.py").write_text("def test(): pass\n")
    (git_repo / ".pytest_cache").mkdir()
    (git_repo / ".pytest_cache" / "v").write_text("")
    git(git_repo, "rm", "-q", "old.py")
    assert changed_files(git_repo) == ["calc.py", "old.py", "tests/test_calc.py"]


def test_openhands_reads_only_a_plain_test_file_inside_the_worktree(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    assert read_test_file(tmp_path, "tests/test_calc.py") is None
    (tmp_path / "tests" / "test_calc.py").write_text("def test_x():\n    assert 1\n")
    assert read_test_file(tmp_path, "tests/test_calc.py") == "def test_x():\n    assert 1\n"
    outside = tmp_path.parent / "outside-secret.txt"
    outside.write_text("secret")
    (tmp_path / "tests" / "test_link.py").symlink_to(outside)
    with pytest.raises(BadResponse, match="symbolic link"):
        read_test_file(tmp_path, "tests/test_link.py")
