"""tta_ci.core.report: totals, rates and model statistics of a run, and the merge of shards."""

from __future__ import annotations

from typing import Any

import pytest

from tta_ci.core.report import (
    SCHEMA_VERSION,
    MetricsDocument,
    ModelStats,
    TaskRecord,
    merge_documents,
    model_stats,
    percentile,
    rates_of,
    totals_of,
)
from tta_ci.core.types import LLMCall, PossibleBug

BUG = PossibleBug(test="test_div", message="assert 0 == 4")


def record(name: str, status: str, **fields: Any) -> TaskRecord:
    return TaskRecord(id=f"m.py::{name}", file="m.py", symbol=name, status=status, **fields)


def doc(tasks: list[TaskRecord], **fields: Any) -> MetricsDocument:
    values: dict[str, Any] = {"tool_version": "0.1.0",
                              "started_at": "2026-01-01T00:00:00+00:00", **fields}
    return MetricsDocument(tasks=tasks, **values)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        pytest.param([], 50, 0.0, id="no-values"),
        pytest.param([3.0], 95, 3.0, id="one-value"),
        pytest.param([4.0, 1.0, 3.0, 2.0], 50, 2.0, id="median-nearest-rank"),
        pytest.param([float(i) for i in range(1, 21)], 95, 19.0, id="p95-of-20"),
        pytest.param([1.0, 2.0], 0, 1.0, id="q-zero-is-the-minimum"),
        pytest.param([1.0, 2.0], 100, 2.0, id="q-100-is-the-maximum"),
    ],
)
def test_percentile(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


def test_totals_count_each_outcome_and_sum_usage() -> None:
    tasks = [
        record("a", "accepted", requests=2, retries=1, prompt_tokens=10, completion_tokens=4,
               cost_usd=0.1, cached=True),
        record("b", "rejected", requests=3, cost_usd=0.2, possible_bugs=[BUG, BUG]),
        record("c", "possible_bug", requests=1),
        record("d", "skipped"),
        record("e", "failed"),
        record("f", "cancelled"),
    ]
    totals = totals_of(tasks)
    assert (totals.tasks, totals.accepted, totals.rejected, totals.skipped, totals.failed,
            totals.cancelled) == (6, 1, 1, 1, 1, 1)
    assert totals.possible_bugs == 3  # two found by a rejected task, one task that is a bug
    assert (totals.cached, totals.llm_requests, totals.retries) == (1, 6, 1)
    assert (totals.prompt_tokens, totals.completion_tokens) == (10, 4)
    assert totals.cost_usd == pytest.approx(0.3)


def test_rates_leave_out_skipped_and_cancelled_tasks() -> None:
    totals = totals_of([record("a", "accepted"), record("b", "rejected"), record("c", "skipped"),
                        record("d", "cancelled")])
    rates = rates_of(totals, wall_s=30)
    assert rates.success_rate == 0.5  # 1 accepted of the 2 that ran
    assert rates.throughput_per_min == 6.0  # 3 finished in half a minute
    assert rates_of(totals_of([]), wall_s=0).model_dump() == {"success_rate": 0.0,
                                                             "throughput_per_min": 0.0}


def test_model_stats_from_calls_and_outcomes() -> None:
    calls = [("a/m", LLMCall(model="a/m", prompt_tokens=10, completion_tokens=5, cost_usd=0.01,
                             latency_s=1.0)),
             ("a/m", LLMCall(model="a/m", latency_s=3.0, ok=False)),
             ("b/m", LLMCall(model="b/m", latency_s=2.0))]
    tasks = [record("x", "accepted", model="a/m"), record("y", "possible_bug", model="a/m"),
             record("z", "rejected", model="b/m"), record("w", "accepted", model="other")]
    stats = model_stats(calls, tasks)
    a = stats["a/m"]
    assert (a.requests, a.errors, a.prompt_tokens, a.completion_tokens) == (2, 1, 10, 5)
    assert (a.accepted, a.rejected, a.p50_latency_s, a.p95_latency_s) == (1, 1, 1.0, 3.0)
    assert a.latencies_s == [1.0, 3.0] and a.cost_usd == pytest.approx(0.01)
    assert (stats["b/m"].accepted, stats["b/m"].rejected) == (0, 1)
    assert set(stats) == {"a/m", "b/m"}


def test_merge_recomputes_totals_and_keeps_the_longest_wall_time() -> None:
    one = doc([record("b", "accepted", model="a/m", requests=1)], wall_s=10, shard="1/2",
              started_at="2026-01-01T00:00:05+00:00", backend="offline", isolation="bwrap",
              models={"a/m": ModelStats(requests=1, latencies_s=[1.0])},
              skipped=[{"file": "README.md", "reason": "not python"}], notes=["fork", "x"])
    two = doc([record("a", "rejected", model="a/m", requests=2)], wall_s=20, shard="2/2",
              backend="offline", isolation="fallback",
              models={"a/m": ModelStats(requests=2, latencies_s=[3.0, 5.0], errors=1)},
              skipped=[{"file": "README.md", "reason": "not python"}], notes=["x"])
    merged = merge_documents([one, two])
    assert [t.id for t in merged.tasks] == ["m.py::a", "m.py::b"]
    assert (merged.totals.tasks, merged.totals.accepted, merged.totals.rejected) == (2, 1, 1)
    assert merged.totals.llm_requests == 3
    assert (merged.wall_s, merged.shard, merged.shards) == (20, None, 2)
    assert merged.started_at == "2026-01-01T00:00:00+00:00"  # the earliest shard's start
    assert (merged.backend, merged.isolation) == ("offline", "bwrap, fallback")
    assert merged.skipped == [{"file": "README.md", "reason": "not python"}]
    assert merged.notes == ["fork", "x"]
    model = merged.models["a/m"]
    assert (model.requests, model.errors, model.p50_latency_s, model.p95_latency_s) == (
        3, 1, 3.0, 5.0)
    assert (model.accepted, model.rejected) == (1, 1)
    assert merged.rates.success_rate == 0.5


def test_merge_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="nothing to merge"):
        merge_documents([])


def test_document_json_keeps_the_schema_version_and_extra_fields() -> None:
    data = doc([record("a", "accepted", code="def test_a(): pass\n")], future_field=1).to_json()
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert data["future_field"] == 1
    assert data["tasks"][0]["code"] == "def test_a(): pass\n"
    assert MetricsDocument.model_validate(data).tasks[0].status == "accepted"
