"""The async engine: queue, workers, retries, rate limits, budget, metrics."""

from __future__ import annotations

from tta_ci.engine.attempts import TaskResult, Validator
from tta_ci.engine.engine import Engine, Resolver
from tta_ci.engine.metrics import MetricsCollector
from tta_ci.engine.queue import QueuedTask, TaskQueue

__all__ = [
    "Engine",
    "MetricsCollector",
    "QueuedTask",
    "Resolver",
    "TaskQueue",
    "TaskResult",
    "Validator",
]
