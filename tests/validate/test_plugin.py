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


CLOCKED = '''\
import time


def test_sleeps():
    time.sleep(1.5)


def test_spins():
    end = time.process_time() + 30
    while time.process_time() < end:
        pass
'''


def run_clocked(tmp_path: Path, **env: str) -> dict[str, dict[str, Any]]:
    (tmp_path / "test_clock.py").write_text(CLOCKED)
    report = tmp_path / "events.jsonl"
    environ = {"PATH": os.environ["PATH"], "TTA_SANDBOX_REPORT": str(report),
               "TTA_SANDBOX_TEST_TIMEOUT": "1", **env}
    argv = pytest_argv(["test_clock.py"], plugin=PLUGIN, python=sys.executable)
    subprocess.run(argv, cwd=tmp_path, env=environ, capture_output=True, timeout=120)
    events = [json.loads(line) for line in report.read_text().splitlines()]
    return {e["nodeid"].split("::")[1]: e for e in events if e["event"] == "result"}


def test_a_cpu_budget_lets_a_sleeping_test_pass_and_stops_a_spinning_one(tmp_path: Path) -> None:
    results = run_clocked(tmp_path, TTA_SANDBOX_TEST_CLOCK="cpu", TTA_SANDBOX_TEST_WALL="20")
    assert results["test_sleeps"]["outcome"] == "passed"  # 1.5 s asleep, no CPU
    spun = results["test_spins"]
    assert spun["outcome"] == "timeout" and "more than 1 s of CPU" in spun["message"]


def test_the_wall_clock_budget_and_the_wall_backstop_of_the_cpu_one(tmp_path: Path) -> None:
    walled = run_clocked(tmp_path)  # default: wall time
    assert walled["test_sleeps"]["outcome"] == "timeout"
    assert walled["test_spins"]["outcome"] == "timeout"
    backstop = run_clocked(tmp_path, TTA_SANDBOX_TEST_CLOCK="cpu", TTA_SANDBOX_TEST_WALL="0.5")
    assert backstop["test_sleeps"]["outcome"] == "timeout"
    assert backstop["test_sleeps"]["message"].endswith("SandboxTimeout: test timed out")


def test_import_time_coverage_is_merged_into_the_empty_context(tmp_path: Path) -> None:
    base = {"lines": [1, 99], "arcs": [[-1, 1], [99, -1]]}
    events = run(tmp_path, TTA_SANDBOX_COVER_BASE=json.dumps(base),
                 TTA_SANDBOX_TEST_TIMEOUT="0.5")
    contexts = next(e for e in events if e["event"] == "coverage")["contexts"]
    assert {1, 99} <= set(contexts[""]["lines"])
    assert [99, -1] in contexts[""]["arcs"] and [-1, 1] in contexts[""]["arcs"]
    assert 99 not in contexts["test_new.py::test_passes"]["lines"]


def test_only_the_selected_tests_run(tmp_path: Path) -> None:
    events = run(tmp_path, TTA_SANDBOX_SELECT="test_old.py::test_zero\ntest_new.py::test_passes")
    started = sorted(e["nodeid"] for e in events if e["event"] == "start")
    assert started == ["test_new.py::test_passes", "test_old.py::test_zero"]
    assert events[-1]["event"] == "finished"
