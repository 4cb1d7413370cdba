"""TaskResult → the task's record in metrics.json."""

from __future__ import annotations

from tta_ci.core.report import TaskRecord
from tta_ci.core.types import Task, TaskStatus
from tta_ci.engine.attempts import TaskResult
from tta_ci.engine.queue import QueuedTask

__all__ = ["skipped_record", "task_record"]


def skipped_record(task: Task, reason: str) -> TaskRecord:
    """The record of a planned task that was never queued (its backend would skip it)."""
    result = TaskResult(task_id=task.id, status=TaskStatus.SKIPPED, outcome="skipped",
                        reason=reason, task=task)
    return task_record(QueuedTask.from_task(task), result)


def task_record(item: QueuedTask, result: TaskResult) -> TaskRecord:
    task, candidate, verdict = result.task, result.candidate, result.verdict
    accepted = result.outcome == "accepted"
    calls = result.calls
    notes = list(candidate.notes) if candidate else []
    return TaskRecord.model_construct(  # built from typed values: no need to validate again
        id=item.id,
        file=task.file if task else item.target_file,
        symbol=task.symbol if task else (item.symbol or ""),
        status=result.outcome,
        reason=result.reason,
        generator=candidate.generator if candidate else None,
        model=candidate.model if candidate else None,
        model_reason=candidate.model_reason if candidate else "",
        attempts=result.attempts,
        retries=result.retries,
        requests=len(calls),
        prompt_tokens=sum(c.prompt_tokens for c in calls),
        completion_tokens=sum(c.completion_tokens for c in calls),
        cost_usd=round(sum(c.cost_usd for c in calls), 10),
        latency_s=round(result.finished_s - result.started_s, 4),
        cached=result.cached,
        test_file=task.test_file if task else "",
        tests=[n for n, v in verdict.tests.items() if v.status == "accepted"]
        if verdict and accepted
        else [],
        priority=str(item.priority.value),
        changed_lines=list(task.changed_lines) if task else [],
        covered_lines=list(verdict.covered_lines) if verdict and accepted else [],
        code=result.accepted_code,
        possible_bugs=list(result.possible_bugs),
        behaviour_changes=list(candidate.behaviour_changes) if candidate else [],
        mutation=verdict.mutation if verdict else None,
        rejected_tests={n: v.reason for n, v in verdict.tests.items() if v.status != "accepted"}
        if verdict
        else {},
        notes=notes,
        started_s=round(result.started_s, 4),
        finished_s=round(result.finished_s, 4),
    )
