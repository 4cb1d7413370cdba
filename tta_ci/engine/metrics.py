"""Measurements of a run: one record per task, one entry per model request, and aggregates.

Nothing here is estimated: tokens and cost come from the providers' ``usage`` (carried by
``LLMCall``), times from clocks.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Callable, Iterable, Sequence

from tta_ci import __version__
from tta_ci.models import LLMCall
from tta_ci.report import MetricsDocument, ModelStats, Rates, TaskRecord, Totals

__all__ = ["MetricsCollector", "percentile", "rates_of", "summarise_models", "totals_of"]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _model_stats(
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


class MetricsCollector:
    """Collects task records and model calls; ``document()`` builds ``metrics.json``."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        self._clock = clock
        self._started = clock()
        self.started_at = now().isoformat(timespec="seconds")
        self.records: dict[str, TaskRecord] = {}
        self.calls: list[tuple[str, LLMCall]] = []
        self.cost_usd = 0.0  # running total, read by the budget check on every task

    def elapsed(self) -> float:
        return self._clock() - self._started

    def record_call(self, call: LLMCall) -> None:
        self.calls.append((call.model, call))
        self.cost_usd += call.cost_usd

    def record_task(self, record: TaskRecord) -> None:
        self.records[record.id] = record

    def document(self, **fields: object) -> MetricsDocument:
        """The metrics document; ``fields`` sets backend, isolation, mode, base, head, ..."""
        tasks = sorted(self.records.values(), key=lambda r: r.started_s)
        wall_s = round(self.elapsed(), 4)
        totals = totals_of(tasks)
        return MetricsDocument(
            tool_version=__version__,
            started_at=self.started_at,
            wall_s=wall_s,
            totals=totals,
            rates=rates_of(totals, wall_s),
            models=_model_stats(self.calls, tasks),
            tasks=tasks,
            **fields,  # type: ignore[arg-type]
        )
