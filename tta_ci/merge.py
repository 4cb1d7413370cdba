"""Merging the metrics documents of sharded runs into one (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tta_ci.engine.metrics import rates_of, summarise_models, totals_of
from tta_ci.report import MetricsDocument, ModelStats

__all__ = ["merge_documents"]


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
