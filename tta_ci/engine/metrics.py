"""Measurements of a run: one record per task, one entry per model request, and aggregates.

Nothing here is estimated: tokens and cost come from the providers' ``usage`` (carried by
``LLMCall``), times from clocks.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from tta_ci._version import __version__
from tta_ci.core.report import MetricsDocument, TaskRecord, model_stats, rates_of, totals_of
from tta_ci.core.types import LLMCall

__all__ = ["MetricsCollector"]


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
            models=model_stats(self.calls, tasks),
            tasks=tasks,
            **fields,  # type: ignore[arg-type]
        )
