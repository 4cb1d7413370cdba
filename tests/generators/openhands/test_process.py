"""tta_ci.generators.openhands.process: the worker's command line, its typed answers, and the key
handed over on stdin (no SDK needed)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import TESTS

from tta_ci.core.config import Config
from tta_ci.core.errors import (
    AuthError,
    ConfigError,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from tta_ci.core.secrets import Redactor
from tta_ci.generators.openhands.env import worker_env
from tta_ci.generators.openhands.generator import sdk_available
from tta_ci.generators.openhands.process import (
    WORKER_MODULE,
    answer_to_run,
    run_worker,
    worker_argv,
)
from tta_ci.sandbox.isolation import bwrap_works, sandbox_command

needs_bwrap = pytest.mark.skipif(not bwrap_works(), reason="needs bubblewrap")


@needs_bwrap
def test_openhands_worker_runs_in_the_one_sandbox_with_the_network(tmp_path: Path) -> None:
    plain = worker_argv()
    assert plain == [sys.executable, "-P", "-m", WORKER_MODULE]
    environ = {"PATH": os.defpath, "OPENROUTER_API_KEY": KEY, "HTTPS_PROXY": "http://proxy:3128"}
    boxed = sandbox_command(plain, workdir=tmp_path, home=tmp_path, environ=environ,
                            isolation="bwrap", share_net=True)
    argv = list(boxed.argv)
    assert {"--unshare-all", "--share-net", "--die-with-parent", "--new-session"} <= set(argv)
    assert argv[argv.index("--tmpfs") + 1] == "/tmp" and argv[-4:] == plain
    assert "--setenv" not in argv and KEY not in " ".join(argv)  # env stays off the command line
    assert KEY not in boxed.env.values() and boxed.env["HTTPS_PROXY"] == "http://proxy:3128"
    offline = sandbox_command(plain, workdir=tmp_path, home=tmp_path, environ=environ,
                              isolation="bwrap")
    assert "--share-net" not in offline.argv and "HTTPS_PROXY" not in offline.env


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
    request = {"settings": {}, "workdir": str(tmp_path), "prompt": "p", "log_dir": str(tmp_path)}
    with pytest.raises(ConfigError, match="importing the OpenHands SDK failed"):
        asyncio.run(run_worker(worker_argv(), request, environ={"PATH": os.defpath},
                               isolation="fallback", scratch=tmp_path, workdir=tmp_path,
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
    env = worker_env(environ, config, values=[KEY], home=tmp_path)
    request = {"settings": {"api_key": KEY}}
    run = asyncio.run(run_worker([sys.executable, "-c", PROBE], request, environ=env,
                                 isolation=isolation, scratch=tmp_path, workdir=tmp_path,
                                 timeout_s=60, model="m", redact=Redactor([KEY])))
    return run.errors


KEY = "sk-or-v1-probe-0123456789"


def test_openhands_worker_process_gets_the_key_on_stdin_not_in_its_environ(
    tmp_path: Path,
) -> None:
    errors = _probe("fallback", tmp_path, {"OPENROUTER_API_KEY": KEY, "ALIAS": KEY,
                                           "PATH": os.environ["PATH"]})
    assert errors[0].startswith("pids ")
    assert str(os.getpid()) not in errors[1:]  # this process did not start with the key


@pytest.mark.slow
@needs_bwrap
def test_openhands_worker_sees_no_process_holding_the_key(tmp_path: Path) -> None:
    # A parent that started with the key in its environment, as a CI job's tta-ci does.
    script = (
        "import json, sys; sys.path[:0] = [sys.argv[1], sys.argv[3]]; import test_process as t;"
        "from pathlib import Path; print(json.dumps(t._probe('bwrap', Path(sys.argv[2]), {})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent), str(tmp_path), str(TESTS)],
        env={"PATH": os.environ["PATH"], "OPENROUTER_API_KEY": KEY}, capture_output=True,
        text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    errors = json.loads(done.stdout)
    pids = int(errors[0].split()[1])
    assert errors[1:] == [] and pids <= 3  # bwrap's init and the worker: nothing else visible
    unboxed = subprocess.run(
        [sys.executable, "-c", script.replace("'bwrap'", "'fallback'"),
         str(Path(__file__).parent), str(tmp_path), str(TESTS)],
        env={"PATH": os.environ["PATH"], "OPENROUTER_API_KEY": KEY}, capture_output=True,
        text=True, timeout=120, check=False,
    )
    assert unboxed.returncode == 0, unboxed.stderr
    # the fallback: the parent is non-dumpable and the worker has no capability to read it
    assert json.loads(unboxed.stdout)[1:] == []


