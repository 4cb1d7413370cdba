"""tta-ci: turn code changes into validated unit tests inside CI.

The public names are imported on first use (PEP 562), so that ``import tta_ci`` stays cheap
for the command line and the pre-commit hook. Nothing inside the package imports from here.
"""

from __future__ import annotations

import importlib

from tta_ci._version import __version__

__all__ = [
    "Config",
    "ExecutionEngine",
    "MetricsCollector",
    "ModelSelector",
    "QueuedTask",
    "ResultValidator",
    "TaskPriority",
    "TaskStatus",
    "TestGenerator",
    "__version__",
]

_LAZY = {
    "Config": "tta_ci.core.config",
    "ExecutionEngine": "tta_ci.run.engine",
    "QueuedTask": "tta_ci.engine.queue",
    "MetricsCollector": "tta_ci.engine.metrics",
    "ModelSelector": "tta_ci.generators.llm.catalog",
    "ResultValidator": "tta_ci.validate.validator",
    "TaskPriority": "tta_ci.core.types",
    "TaskStatus": "tta_ci.core.types",
    "TestGenerator": "tta_ci.run.api",
}

TYPE_CHECKING = False  # not typing's: ``import tta_ci`` stays cheap for the hook
if TYPE_CHECKING:
    from typing import Any

    from tta_ci.core.config import Config
    from tta_ci.core.types import TaskPriority, TaskStatus
    from tta_ci.engine.metrics import MetricsCollector
    from tta_ci.engine.queue import QueuedTask
    from tta_ci.generators.llm.catalog import ModelSelector
    from tta_ci.run.api import TestGenerator
    from tta_ci.run.engine import ExecutionEngine
    from tta_ci.validate.validator import ResultValidator


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tta_ci' has no attribute {name!r}")
