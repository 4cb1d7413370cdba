"""tta_ci.validate.plugin inside a real pytest process: the events it writes, the order it
imposes, the guarded tests' violations, the per-test timeout and the coverage contexts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tta_ci.sandbox.commands import PLUGIN, pytest_argv

pytestmark = pytest.mark.slow

CANDIDATE = '''\
import socket
import time

from calc import f


def test_passes():
    assert f(1) == 1


def test_writes_outside(tmp_path):
    (tmp_path / "ok.txt").write_text("fine")
    open(OUTSIDE, "w").write("no")


def test_connects():
    socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_hangs():
    time.sleep(30)
'''
EXISTING = "from calc import f\n\n\ndef test_zero():\n    assert f(0) == 0\n"


def run(tmp_path: Path, **env: str) -> list[dict[str, Any]]:
    (tmp_path / "calc.py").write_text("def f(x):\n    if x:\n        return 1\n    return 0\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    (tmp_path / "test_new.py").write_text(CANDIDATE.replace("OUTSIDE", repr(str(outside))))
    (tmp_path / "test_old.py").write_text(EXISTING)
    ctrl = tmp_path / "ctrl"
    (ctrl / "tmp").mkdir(parents=True)  # the sandbox's own /tmp: writable, unlike the rest
    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path),
               "TTA_SANDBOX_REPORT": str(ctrl / "events.jsonl"),
               "TTA_SANDBOX_GUARDED": str(tmp_path / "test_new.py"),
               "TTA_SANDBOX_WRITABLE": str(ctrl), "TMPDIR": str(ctrl / "tmp"),
               "TTA_SANDBOX_TEST_TIMEOUT": "2", "PYTHONDONTWRITEBYTECODE": "1",
               "TTA_SANDBOX_COVER": str(tmp_path / "calc.py"),
               "TTA_SANDBOX_COVDATA": str(ctrl / ".coverage"), **env}
    argv = pytest_argv(["test_old.py", "test_new.py"], plugin=PLUGIN, python=sys.executable)
    subprocess.run(argv, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120)
    assert not outside.exists()
    lines = (ctrl / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_events_violations_timeout_and_coverage(tmp_path: Path) -> None:
    events = run(tmp_path)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "collect_start" and kinds[-2:] == ["coverage", "finished"]
    results = {e["nodeid"]: e for e in events if e["event"] == "result"}
    started = [e["nodeid"] for e in events if e["event"] == "start"]
    assert all(n.startswith("test_new.py::") for n in started[:4])  # guarded tests first
    assert started[4] == "test_old.py::test_zero"
    assert results["test_new.py::test_passes"]["outcome"] == "passed"
    writes = results["test_new.py::test_writes_outside"]
    assert writes["outcome"] == "failed" and writes["exc_type"] == "PermissionError"
    assert writes["violation"].startswith("writes outside tmp_path: ")
    assert results["test_new.py::test_connects"]["violation"] == "forbidden call: socket"
    assert results["test_new.py::test_hangs"]["outcome"] == "timeout"
    assert results["test_old.py::test_zero"]["violation"] is None  # not guarded
    contexts = next(e for e in events if e["event"] == "coverage")["contexts"]
    assert {2, 3} <= set(contexts["test_new.py::test_passes"]["lines"])
    assert 4 in contexts["test_old.py::test_zero"]["lines"]


def test_the_order_of_the_guarded_tests_follows_the_seed(tmp_path: Path) -> None:
    def order(seed: str, reverse: str, where: Path) -> list[str]:
        where.mkdir()
        events = run(where, TTA_SANDBOX_SEED=seed, TTA_SANDBOX_REVERSE=reverse,
                     TTA_SANDBOX_TEST_TIMEOUT="1.5")  # a loaded machine formats slowly
        return [e["nodeid"] for e in events if e["event"] == "start"][:4]

    forward = order("1", "0", tmp_path / "a")
    assert order("1", "1", tmp_path / "b") == forward[::-1]
    assert order("1", "0", tmp_path / "c") == forward


def test_only_the_selected_tests_run(tmp_path: Path) -> None:
    events = run(tmp_path, TTA_SANDBOX_SELECT="test_old.py::test_zero\ntest_new.py::test_passes")
    started = sorted(e["nodeid"] for e in events if e["event"] == "start")
    assert started == ["test_new.py::test_passes", "test_old.py::test_zero"]
    assert events[-1]["event"] == "finished"
