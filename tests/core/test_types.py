"""tta_ci.core.types: the values passed between stages, frozen, with their derived fields."""

from __future__ import annotations

import pydantic
import pytest

from tta_ci.core.types import (
    Candidate,
    CheckResult,
    LLMCall,
    PlanResult,
    Skip,
    Task,
    TaskPriority,
    TaskStatus,
    Verdict,
)

TASK = Task(id="pkg/m.py::f", file="pkg/m.py", symbol="f", kind="function",
            changed_lines=(2, 3, 4, 9), test_file="tests/test_m.py", source="def f(): ...\n",
            base_source="def f(): pass\n", imports="import os", description="why")


def test_priorities_rank_high_first() -> None:
    ranked = sorted(TaskPriority, key=lambda p: p.rank)
    assert ranked == [TaskPriority.HIGH, TaskPriority.NORMAL, TaskPriority.LOW]
    assert TaskPriority("high") is TaskPriority.HIGH


@pytest.mark.parametrize(
    ("status", "done"),
    [
        pytest.param(TaskStatus.QUEUED, False, id="queued"),
        pytest.param(TaskStatus.RUNNING, False, id="running"),
        pytest.param(TaskStatus.COMPLETED, True, id="completed"),
        pytest.param(TaskStatus.FAILED, True, id="failed"),
        pytest.param(TaskStatus.CANCELLED, True, id="cancelled"),
        pytest.param(TaskStatus.SKIPPED, True, id="skipped"),
    ],
)
def test_status_done(status: TaskStatus, done: bool) -> None:
    assert status.done is done


def test_task_ranges_and_plan_json() -> None:
    assert TASK.changed_ranges == [(2, 4), (9, 9)]
    shown = TASK.plan_json()
    assert shown["changed_lines"] == [2, 3, 4, 9] and shown["priority"] == "normal"
    assert not {"source", "base_source", "imports", "description"} & set(shown)


def test_values_are_frozen() -> None:
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        TASK.symbol = "g"  # type: ignore[misc]


def test_plan_result_json_leaves_out_empty_symbols() -> None:
    plan = PlanResult(tasks=(TASK,), skipped=(Skip(file="a.md", reason="not python"),
                                              Skip(file="m.py", reason="cap", symbol="g")))
    doc = plan.to_json()
    assert [t["id"] for t in doc["tasks"]] == ["pkg/m.py::f"]
    assert doc["skipped"] == [{"file": "a.md", "reason": "not python"},
                              {"file": "m.py", "reason": "cap", "symbol": "g"}]


def test_candidate_sums_its_calls() -> None:
    calls = (LLMCall(model="a", prompt_tokens=10, completion_tokens=2, cost_usd=0.25),
             LLMCall(model="b", prompt_tokens=5, completion_tokens=1, cost_usd=0.5, ok=False))
    candidate = Candidate(code="def test_x(): pass\n", generator="g", calls=calls)
    assert (candidate.prompt_tokens, candidate.completion_tokens, candidate.cost_usd) == (
        15, 3, 0.75)
    assert Candidate(code="", generator="offline").cost_usd == 0


def test_verdict_json_leaves_out_code_and_feedback() -> None:
    verdict = Verdict(accepted=True, reason="accepted", code="def test_x(): pass\n",
                      feedback="trimmed", checks={"coverage": CheckResult(ok=True)})
    doc = verdict.to_json()
    assert "code" not in doc and "feedback" not in doc
    assert doc["checks"] == {"coverage": {"ok": True, "detail": ""}}
    assert doc["accepted"] is True and doc["reason"] == "accepted"
