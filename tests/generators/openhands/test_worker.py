"""tta_ci.generators.openhands.worker, the process of one conversation: its answer channel,
its refusal of a bad request, and its answer without the SDK (with the SDK, the conversations
of tests/generators/openhands/test_generator.py go through it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tta_ci.generators.openhands.generator import sdk_available
from tta_ci.generators.openhands.worker import ERROR_KINDS, SDK_ENV, run_request

needs_no_sdk = pytest.mark.skipif(sdk_available(), reason="with the SDK the request would run")


def worker(stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tta_ci.generators.openhands.worker"],
                          input=stdin, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={"PATH": os.environ["PATH"]})


def test_openhands_worker_refuses_a_request_that_is_not_json(tmp_path: Path) -> None:
    done = worker("{not json", tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("tta-ci openhands worker: the request on stdin is not JSON")


def test_openhands_worker_makes_itself_non_dumpable(tmp_path: Path) -> None:
    probe = ("import ctypes, ctypes.util\n"
             "from tta_ci.generators.openhands.worker import make_non_dumpable\n"
             "libc = ctypes.CDLL(ctypes.util.find_library('c'))\n"
             "before = libc.prctl(3, 0, 0, 0, 0)\n"  # PR_GET_DUMPABLE
             "print(before, make_non_dumpable(), libc.prctl(3, 0, 0, 0, 0))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["1", "True", "0"]


@needs_no_sdk
def test_openhands_worker_without_the_sdk_answers_on_its_own_stdout(tmp_path: Path) -> None:
    request = {"settings": {}, "workdir": str(tmp_path), "prompt": "p", "log_dir": str(tmp_path)}
    done = worker(json.dumps(request), tmp_path)
    assert done.returncode == 0
    answer = json.loads(done.stdout)
    assert answer["error"]["kind"] == "ConfigError" in ERROR_KINDS
    assert answer["error"]["message"].startswith("importing the OpenHands SDK failed")


@needs_no_sdk
def test_openhands_run_request_sets_the_sdk_environment_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SDK_ENV:
        monkeypatch.delenv(name, raising=False)
    answer = run_request({"settings": {}, "workdir": str(tmp_path), "prompt": "p",
                          "log_dir": str(tmp_path)})
    assert answer["error"]["kind"] == "ConfigError"
    assert {name: os.environ[name] for name in SDK_ENV} == SDK_ENV
