from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CommitFn

from tta_ci import Config, TaskPriority, TaskStatus, TestGenerator
from tta_ci.cli.main import main
from tta_ci.engine.fake import FakeGenerator, FakeValidator

MODULE = '''\
def double(x: int) -> int:
    """Twice ``x``.

    >>> double(21)
    42
    """
    return 2 * x


def half(x: int) -> float:
    return x / 2
'''


def test_submit_status_results_and_blocking_call(git_repo: Path, commit: CommitFn) -> None:
    commit({"calc.py": MODULE})
    gen = FakeGenerator(latency_s=0.2,
                        code=lambda r: f"def test_{r.task.symbol}():\n    assert True\n")
    with TestGenerator(Config(), repo=git_repo, environ={}, generator=gen,
                       validator=FakeValidator()) as api:
        task_id = api.submit_test_generation_task("calc.py", priority=TaskPriority.HIGH)
        assert api.get_task_status(task_id) in (TaskStatus.QUEUED, TaskStatus.RUNNING)
        with pytest.raises(TimeoutError):
            api.get_test_generation_results(task_id, timeout=0.01, poll_interval=0.005)
        results = api.get_test_generation_results(task_id, timeout=10, poll_interval=0.02)
        assert results.status is TaskStatus.COMPLETED
        assert sorted(r.task.symbol for r in results.tasks if r.task) == ["double", "half"]
        assert [f for f, _ in results.accepted] == ["tests/test_calc.py"] * 2

        one = api.generate_tests("calc.py", "half", timeout=10, write=True)
        assert [r.task.symbol for r in one.tasks if r.task] == ["half"]
    written = (git_repo / "tests" / "test_calc.py").read_text()
    assert "def test_half():" in written
    with pytest.raises(KeyError):
        TestGenerator(Config(), repo=git_repo, environ={}).get_task_status("nope")


def test_unknown_symbol_is_a_clear_error(git_repo: Path, commit: CommitFn) -> None:
    commit({"calc.py": MODULE})
    with TestGenerator(Config(), repo=git_repo, environ={}, generator=FakeGenerator(),
                       validator=FakeValidator()) as api, pytest.raises(Exception, match="triple"):
        api.submit_test_generation_task("calc.py", "triple")


@pytest.mark.slow
def test_generate_command_runs_one_symbol_offline(
    git_repo: Path, commit: CommitFn, capsys: pytest.CaptureFixture[str]
) -> None:
    commit({"calc.py": MODULE})
    argv = ["generate", "--target-file", "calc.py", "--symbol", "double", "--repo",
            str(git_repo), "--backend", "offline", "--priority", "high", "--json"]
    assert main(argv, {"PATH": "/usr/bin:/bin"}) == 0
    doc = json.loads(capsys.readouterr().out)
    (task,) = doc["tasks"]
    assert task["id"] == "calc.py::double" and task["status"] == "accepted"
    assert task["priority"] == "high"
    assert "assert double(21) == 42" in (git_repo / "tests" / "test_calc.py").read_text()
    assert main(["submit-task", "--target-file", "calc.py", "--symbol", "nope", "--repo",
                 str(git_repo)], {}) == 2


async def test_engine_plans_a_queued_task_given_as_a_file(git_repo: Path, commit: CommitFn) -> None:
    from tta_ci import ExecutionEngine, QueuedTask

    commit({"calc.py": MODULE})
    engine = ExecutionEngine(Config(), max_concurrent_tasks=2, repo=git_repo,
                             generator=FakeGenerator(), validator=FakeValidator())
    async with engine:
        one = await engine.submit_task(QueuedTask(target_file="calc.py", symbol="double",
                                                  priority=TaskPriority.HIGH))
        both = await engine.submit_task(QueuedTask(target_file="calc.py"))
        results = await engine.wait_all(timeout=30)
    by_id = {r.task_id: r for r in results}
    assert by_id[one].outcome == "accepted"
    assert by_id[one].task is not None and by_id[one].task.changed_lines[0] == 1
    assert by_id[both].status is TaskStatus.FAILED
    assert "2 testable symbols (double, half); give one symbol per task" in by_id[both].reason
