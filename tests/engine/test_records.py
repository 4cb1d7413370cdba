"""tta_ci.engine.records: a task's result as its record in metrics.json."""

from __future__ import annotations

from tta_ci.core.types import (
    Candidate,
    LLMCall,
    PossibleBug,
    Task,
    TaskPriority,
    TaskStatus,
    TestVerdict,
    Verdict,
)
from tta_ci.engine.attempts import TaskResult
from tta_ci.engine.queue import QueuedTask
from tta_ci.engine.records import task_record

TASK = Task(id="pkg/m.py::f", file="pkg/m.py", symbol="f", kind="function",
            changed_lines=(3, 4, 5), test_file="tests/test_m.py", priority=TaskPriority.HIGH)
CALLS = (LLMCall(model="a/m", prompt_tokens=10, completion_tokens=4, cost_usd=0.125),
         LLMCall(model="a/m", prompt_tokens=20, completion_tokens=6, cost_usd=0.25))
CANDIDATE = Candidate(code="def test_ok(): ...\n", generator="openrouter", model="a/m",
                      model_reason="configured model", calls=CALLS, notes=("a note",))
VERDICT = Verdict(accepted=True, reason="accepted", code="def test_ok(): ...\n",
                  covered_lines=(3, 4),
                  tests={"test_ok": TestVerdict(status="accepted", reason="accepted"),
                         "test_flaky": TestVerdict(status="rejected", reason="flaky")})


def test_an_accepted_task() -> None:
    result = TaskResult(task_id=TASK.id, status=TaskStatus.COMPLETED, outcome="accepted",
                        reason="accepted", task=TASK, candidate=CANDIDATE, verdict=VERDICT,
                        attempts=2, retries=1, calls=CALLS, started_s=1.5, finished_s=4.25)
    record = task_record(QueuedTask.from_task(TASK), result)
    assert (record.id, record.file, record.symbol, record.status) == (
        "pkg/m.py::f", "pkg/m.py", "f", "accepted")
    assert (record.generator, record.model, record.model_reason) == (
        "openrouter", "a/m", "configured model")
    assert (record.attempts, record.retries, record.requests) == (2, 1, 2)
    assert (record.prompt_tokens, record.completion_tokens, record.cost_usd) == (30, 10, 0.375)
    assert (record.latency_s, record.started_s, record.finished_s) == (2.75, 1.5, 4.25)
    assert (record.test_file, record.priority) == ("tests/test_m.py", "high")
    assert record.tests == ["test_ok"] and record.rejected_tests == {"test_flaky": "flaky"}
    assert (record.changed_lines, record.covered_lines) == ([3, 4, 5], [3, 4])
    assert record.code == "def test_ok(): ...\n" and record.notes == ["a note"]


def test_a_rejected_task_keeps_no_tests_and_no_code() -> None:
    bug = PossibleBug(test="test_ok", message="boom")
    result = TaskResult(task_id=TASK.id, status=TaskStatus.COMPLETED, outcome="possible_bug",
                        task=TASK, candidate=CANDIDATE, verdict=VERDICT, possible_bugs=(bug,))
    record = task_record(QueuedTask.from_task(TASK), result)
    assert (record.tests, record.covered_lines, record.code) == ([], [], None)
    assert record.possible_bugs == [bug]


def test_a_task_that_never_got_planned() -> None:
    item = QueuedTask(id="q1", target_file="calc.py", symbol="add")
    result = TaskResult(task_id="q1", status=TaskStatus.FAILED, outcome="failed",
                        reason="no such symbol")
    record = task_record(item, result)
    assert (record.id, record.file, record.symbol, record.reason) == (
        "q1", "calc.py", "add", "no such symbol")
    assert (record.generator, record.model, record.test_file, record.requests) == (
        None, None, "", 0)
    assert (record.changed_lines, record.rejected_tests, record.notes) == ([], {}, [])
