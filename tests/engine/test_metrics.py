"""tta_ci.engine.metrics: the collector behind ``metrics.json``."""

from __future__ import annotations

import datetime

from tta_ci._version import __version__
from tta_ci.core.report import TaskRecord
from tta_ci.core.types import LLMCall
from tta_ci.engine.metrics import MetricsCollector


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_document_of_a_run() -> None:
    clock = Clock()
    start = datetime.datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC)
    metrics = MetricsCollector(clock=clock, now=lambda: start)
    metrics.record_call(LLMCall(model="a/m", prompt_tokens=10, cost_usd=0.25, latency_s=1.0))
    metrics.record_call(LLMCall(model="a/m", cost_usd=0.5, latency_s=2.0, ok=False))
    assert metrics.cost_usd == 0.75  # the running total the budget reads
    later = TaskRecord(id="m.py::g", file="m.py", symbol="g", status="rejected", started_s=2.0,
                       model="a/m")
    first = TaskRecord(id="m.py::f", file="m.py", symbol="f", status="accepted", started_s=1.0,
                       model="a/m", requests=2, cost_usd=0.75)
    metrics.record_task(later)
    metrics.record_task(first)
    clock.now = 130.0
    assert metrics.elapsed() == 30.0
    doc = metrics.document(backend="fake", mode="files")
    assert (doc.tool_version, doc.started_at, doc.wall_s) == (
        __version__, "2026-01-02T03:04:05+00:00", 30.0)
    assert (doc.backend, doc.mode) == ("fake", "files")
    assert [t.id for t in doc.tasks] == ["m.py::f", "m.py::g"]  # in the order they started
    assert (doc.totals.tasks, doc.totals.accepted, doc.totals.rejected) == (2, 1, 1)
    assert doc.rates.success_rate == 0.5 and doc.rates.throughput_per_min == 4.0
    model = doc.models["a/m"]
    assert (model.requests, model.errors, model.accepted, model.rejected) == (2, 1, 1, 1)


def test_a_task_recorded_again_replaces_its_record() -> None:
    metrics = MetricsCollector()
    metrics.record_task(TaskRecord(id="a", file="a.py", symbol="f", status="failed"))
    metrics.record_task(TaskRecord(id="a", file="a.py", symbol="f", status="accepted"))
    assert [t.status for t in metrics.document().tasks] == ["accepted"]
