"""The run's outputs as values: the ``metrics.json`` document (schema_version 1), its totals,
rates and per-model statistics, and the merge of sharded runs (all pure).

Everything a publisher needs is in this document (the accepted test code included), so that
``tta-ci merge`` can rebuild the summary and the PR comment from the output folders alone.
Fields may be added, never renamed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tta_ci.core.types import BehaviourChange, LLMCall, MutationScore, Outcome, PossibleBug

__all__ = [
    "SCHEMA_VERSION",
    "MetricsDocument",
    "ModelStats",
    "Rates",
    "TaskRecord",
    "Totals",
    "merge_documents",
    "model_stats",
    "percentile",
    "rates_of",
    "summarise_models",
    "totals_of",
]

SCHEMA_VERSION = 1


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")


class TaskRecord(_Doc):
    id: str
    file: str
    symbol: str
    status: Outcome
    reason: str = ""
    generator: str | None = None
    model: str | None = None
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    test_file: str = ""
    tests: list[str] = Field(default_factory=list)  # accepted test function names
    # additions to the contract's fields
    retries: int = 0
    requests: int = 0
    priority: str = "normal"
    changed_lines: list[int] = Field(default_factory=list)
    covered_lines: list[int] = Field(default_factory=list)
    code: str | None = None  # the accepted test code
    possible_bugs: list[PossibleBug] = Field(default_factory=list)
    behaviour_changes: list[BehaviourChange] = Field(default_factory=list)
    mutation: MutationScore | None = None
    rejected_tests: dict[str, str] = Field(default_factory=dict)  # name → reason
    model_reason: str = ""  # why the model was chosen
    notes: list[str] = Field(default_factory=list)
    started_s: float = 0.0  # seconds after the run started
    finished_s: float = 0.0


class Totals(_Doc):
    tasks: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    failed: int = 0
    cancelled: int = 0
    possible_bugs: int = 0
    cached: int = 0
    llm_requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class Rates(_Doc):
    """Derived from totals and wall time (kept out of ``totals``, which only holds sums)."""

    success_rate: float = 0.0  # accepted / tasks that ran (not skipped or cancelled)
    throughput_per_min: float = 0.0  # finished tasks per minute of wall time


class ModelStats(_Doc):
    requests: int = 0
    p50_latency_s: float = 0.0
    p95_latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    accepted: int = 0
    rejected: int = 0
    errors: int = 0
    latencies_s: list[float] = Field(default_factory=list)  # every request, for merging


class MetricsDocument(_Doc):
    schema_version: int = SCHEMA_VERSION
    tool_version: str
    started_at: str  # ISO 8601, UTC
    wall_s: float = 0.0
    backend: str = ""
    backend_reason: str = ""
    isolation: str = ""
    mode: str = "none"
    base: str | None = None
    head: str | None = None
    shard: str | None = None
    shards: int = 1  # how many shard documents were merged into this one
    totals: Totals = Field(default_factory=Totals)
    rates: Rates = Field(default_factory=Rates)
    models: dict[str, ModelStats] = Field(default_factory=dict)
    tasks: list[TaskRecord] = Field(default_factory=list)
    skipped: list[dict[str, Any]] = Field(default_factory=list)  # from the plan: file, reason
    notes: list[str] = Field(default_factory=list)  # run-level notes (fork, fallback, ...)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# -- aggregates ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def model_stats(
    calls: Iterable[tuple[str, LLMCall]], tasks: Sequence[TaskRecord]
) -> dict[str, ModelStats]:
    stats: dict[str, ModelStats] = {}
    for model, call in calls:
        s = stats.setdefault(model, ModelStats())
        s.requests += 1
        s.prompt_tokens += call.prompt_tokens
        s.completion_tokens += call.completion_tokens
        s.cost_usd += call.cost_usd
        s.errors += 0 if call.ok else 1
        s.latencies_s.append(round(call.latency_s, 4))
    return summarise_models(stats, tasks)


def summarise_models(
    stats: dict[str, ModelStats], tasks: Sequence[TaskRecord]
) -> dict[str, ModelStats]:
    """Fill in percentiles and per-model outcomes from the latencies and the task records."""
    for s in stats.values():
        s.accepted = s.rejected = 0
    for record in tasks:
        if record.model and record.model in stats:
            if record.status == "accepted":
                stats[record.model].accepted += 1
            elif record.status in ("rejected", "possible_bug"):
                stats[record.model].rejected += 1
    for s in stats.values():
        s.p50_latency_s = percentile(s.latencies_s, 50)
        s.p95_latency_s = percentile(s.latencies_s, 95)
        s.cost_usd = round(s.cost_usd, 10)
    return stats


def totals_of(tasks: Sequence[TaskRecord]) -> Totals:
    totals = Totals(tasks=len(tasks))
    for r in tasks:
        if r.status != "possible_bug":
            setattr(totals, r.status, getattr(totals, r.status) + 1)
        totals.possible_bugs += max(len(r.possible_bugs), r.status == "possible_bug")
        totals.cached += r.cached
        totals.llm_requests += r.requests
        totals.retries += r.retries
        totals.prompt_tokens += r.prompt_tokens
        totals.completion_tokens += r.completion_tokens
        totals.cost_usd += r.cost_usd
    totals.cost_usd = round(totals.cost_usd, 10)
    return totals


def rates_of(totals: Totals, wall_s: float) -> Rates:
    ran = totals.tasks - totals.skipped - totals.cancelled
    finished = totals.tasks - totals.cancelled
    return Rates(
        success_rate=round(totals.accepted / ran, 4) if ran else 0.0,
        throughput_per_min=round(finished / wall_s * 60, 2) if wall_s > 0 else 0.0,
    )


# -- merging sharded runs -------------------------------------------------------------------


def _unique(values: Sequence[str]) -> str:
    return ", ".join(dict.fromkeys(v for v in values if v))


def _merge_models(docs: Sequence[MetricsDocument]) -> dict[str, ModelStats]:
    merged: dict[str, ModelStats] = {}
    for doc in docs:
        for name, s in doc.models.items():
            m = merged.setdefault(name, ModelStats())
            m.requests += s.requests
            m.prompt_tokens += s.prompt_tokens
            m.completion_tokens += s.completion_tokens
            m.cost_usd += s.cost_usd
            m.errors += s.errors
            m.latencies_s.extend(s.latencies_s)
    return merged


def _merge_skips(docs: Sequence[MetricsDocument]) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for doc in docs:
        for skip in doc.skipped:
            seen.setdefault(tuple(sorted(skip.items())), skip)
    return list(seen.values())


def merge_documents(docs: Sequence[MetricsDocument]) -> MetricsDocument:
    """One document for the whole run: tasks, skips and model stats of every shard.

    Totals are recomputed from the tasks (so they equal an unsharded run of the same plan);
    the wall time is the longest shard's, since shards run side by side.
    """
    if not docs:
        raise ValueError("nothing to merge")
    tasks = sorted((t for d in docs for t in d.tasks), key=lambda t: t.id)
    wall_s = max(d.wall_s for d in docs)
    totals = totals_of(tasks)
    first = docs[0]
    return MetricsDocument(
        tool_version=first.tool_version,
        started_at=min(d.started_at for d in docs),
        wall_s=wall_s,
        backend=_unique([d.backend for d in docs]),
        backend_reason=_unique([d.backend_reason for d in docs]),
        isolation=_unique([d.isolation for d in docs]),
        mode=first.mode,
        base=first.base,
        head=first.head,
        shard=None,
        totals=totals,
        rates=rates_of(totals, wall_s),
        models=summarise_models(_merge_models(docs), tasks),
        tasks=tasks,
        skipped=_merge_skips(docs),
        notes=list(dict.fromkeys(n for d in docs for n in d.notes)),
        shards=len(docs),
    )
