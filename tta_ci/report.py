"""The run's outputs as values: the ``metrics.json`` document (schema_version 1).

Everything a publisher needs is in this document (the accepted test code included), so that
``tta-ci merge`` can rebuild the summary and the PR comment from the output folders alone.
Fields may be added, never renamed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tta_ci.models import Outcome, PossibleBug

__all__ = ["SCHEMA_VERSION", "MetricsDocument", "ModelStats", "Rates", "TaskRecord", "Totals"]

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
