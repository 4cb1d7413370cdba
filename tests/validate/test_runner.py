"""tta_ci.validate.runner: the plugin's events read back into a report, and real batched runs
in the sandbox that go on past a test that kills its process."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from tta_ci.sandbox.isolation import SandboxResult
from tta_ci.validate.runner import (
    RunReport,
    RunSpec,
    TestRecord,
    _apply,
    _culprit,
    _environ,
    _events,
    hash_seed,
    run_pytest,
)


def test_events_stop_at_a_line_cut_by_a_dying_process(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    assert _events(path) == []
    path.write_text('{"event": "start", "nodeid": "a"}\n{"event": "res')
    assert _events(path) == [{"event": "start", "nodeid": "a"}]


def test_apply_folds_results_collection_and_coverage(tmp_path: Path) -> None:
    report = RunReport()
    events = [
        {"event": "collect_start", "path": str(tmp_path / "t.py")},
        {"event": "collect_end", "path": str(tmp_path / "t.py")},
        {"event": "collect_error", "path": str(tmp_path / "bad.py"), "message": "E boom"},
        {"event": "start", "nodeid": "t.py::test_a"},
        {"event": "result", "nodeid": "t.py::test_a", "outcome": "passed"},
        {"event": "start", "nodeid": "t.py::test_b"},
        {"event": "coverage", "contexts": {"t.py::test_a": {"lines": [1], "arcs": []}}},
    ]
    finished, running, collecting = _apply(events, report, tmp_path)
    assert (finished, running, collecting) == (False, "t.py::test_b", None)
    assert report.results == {"t.py::test_a": TestRecord(nodeid="t.py::test_a",
                                                         outcome="passed")}
    assert report.collect_errors == {"bad.py": "E boom"}
    assert report.coverage == {"t.py::test_a": {"lines": [1], "arcs": []}}
    assert _apply([{"event": "collect_start", "path": "/elsewhere/x.py"},
                   {"event": "finished", "exitstatus": 1}], report, tmp_path) == (
        True, None, "/elsewhere/x.py")


def test_culprit_is_the_running_test_or_the_collecting_file() -> None:
    crashed = SandboxResult(returncode=-11, stdout="", stderr="Segmentation fault",
                            timed_out=False, duration_s=1.0, isolation="fallback")
    report = RunReport()
    assert _culprit("t.py::test_a", None, crashed, report) == "t.py"
    assert report.results["t.py::test_a"].outcome == "crashed"
    assert report.results["t.py::test_a"].longrepr == "Segmentation fault"
    timed_out = SandboxResult(returncode=-9, stdout="", stderr="", timed_out=True,
                              duration_s=60.0, isolation="fallback")
    assert _culprit(None, "u.py", timed_out, report) == "u.py"
    assert report.dead_files == {"t.py": "crashed", "u.py": "timeout"}
    assert _culprit(None, None, timed_out, report) is None


def test_environment_of_a_run(tmp_path: Path) -> None:
    spec = RunSpec(files=("t.py",), guarded=("t.py", "u.py"), seed=7, reverse=True, run=2,
                   hash_seed=2, cover="pkg/m.py", python_path=(".", "src"))
    env = _environ({"PATH": "/bin"}, spec, tmp_path, tmp_path / "ctrl", 5.0, "cpu")
    assert env["PATH"] == "/bin"
    assert env["PYTHONPATH"] == f"{tmp_path / '.'}{os.pathsep}{tmp_path / 'src'}"
    assert (env["PYTHONHASHSEED"], env["TTA_SANDBOX_SEED"], env["TTA_SANDBOX_REVERSE"],
            env["TTA_SANDBOX_RUN"]) == ("2", "7", "1", "2")
    assert env["TTA_SANDBOX_COVER"] == str(tmp_path / "pkg/m.py")
    assert env["TTA_SANDBOX_GUARDED"] == f"{tmp_path / 't.py'}{os.pathsep}{tmp_path / 'u.py'}"
    assert env["TTA_SANDBOX_TEST_TIMEOUT"] == "5.0"
    assert env["TTA_SANDBOX_TEST_CLOCK"] == "cpu"
    assert env["TTA_SANDBOX_REPORT"] == str(tmp_path / "ctrl" / "events.jsonl")


def test_the_runs_alone_alternate_two_hash_seeds() -> None:
    assert [hash_seed(run, 7) for run in range(7)] == [1, 1, 2, 1, 1, 1, 2]
    assert [hash_seed(run, 2) for run in range(2)] == [1, 2]  # the second run takes the other
    assert hash_seed(0, 1) == 1


def _run(ws: Path, files: tuple[str, ...], **spec: object) -> RunReport:
    return asyncio.run(run_pytest(ws, RunSpec(files=files, **spec),  # type: ignore[arg-type]
                                  environ={"PATH": os.environ["PATH"]}, isolation="fallback",
                                  timeout_s=60, test_timeout_s=10))


@pytest.mark.slow
def test_a_test_that_kills_its_process_costs_only_its_own_result(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text("def test_ok():\n    assert 1 + 1 == 2\n\n\n"
                                        "def test_bad():\n    assert 1 == 2\n")
    (tmp_path / "test_b.py").write_text("import os\n\n\ndef test_exit():\n    os._exit(3)\n")
    (tmp_path / "test_c.py").write_text("import no_such_module\n")
    report = _run(tmp_path, ("test_b.py", "test_a.py", "test_c.py"))
    outcomes = {n: r.outcome for n, r in report.results.items()}
    assert outcomes == {"test_b.py::test_exit": "crashed", "test_a.py::test_ok": "passed",
                        "test_a.py::test_bad": "failed"}
    assert report.results["test_b.py::test_exit"].message == "exit status 3"
    assert report.dead_files == {"test_b.py": "crashed"}
    assert "no_such_module" in report.collect_errors["test_c.py"]
    assert report.processes == 2


@pytest.mark.slow
def test_coverage_of_the_target_per_test(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text("def f(x):\n    if x:\n        return 1\n    return 0\n")
    (tmp_path / "test_calc.py").write_text("from calc import f\n\n\ndef test_one():\n"
                                           "    assert f(1) == 1\n")
    report = _run(tmp_path, ("test_calc.py",), cover="calc.py", python_path=(".",))
    assert report.results["test_calc.py::test_one"].outcome == "passed"
    lines = report.coverage["test_calc.py::test_one"]["lines"]
    assert {2, 3} <= set(lines) and 4 not in lines
    assert json.dumps(report.model_dump())  # the report is plain data
