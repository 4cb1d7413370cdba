"""tta-ci: turn code changes into validated unit tests inside CI.

The public names are imported on first use (PEP 562), so that ``import tta_ci`` stays cheap
for the command line and the pre-commit hook.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

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
    "Config": "tta_ci.config",
    "ExecutionEngine": "tta_ci.engine.engine",
    "QueuedTask": "tta_ci.engine.queue",
    "MetricsCollector": "tta_ci.engine.metrics",
    "ModelSelector": "tta_ci.generators.models",
    "ResultValidator": "tta_ci.validate",
    "TaskPriority": "tta_ci.models",
    "TaskStatus": "tta_ci.models",
    "TestGenerator": "tta_ci.api",
}

TYPE_CHECKING = False  # not typing's: ``import tta_ci`` stays cheap for the hook
if TYPE_CHECKING:
    from typing import Any

    from tta_ci.api import TestGenerator
    from tta_ci.config import Config
    from tta_ci.engine.engine import ExecutionEngine
    from tta_ci.engine.metrics import MetricsCollector
    from tta_ci.engine.queue import QueuedTask
    from tta_ci.generators.models import ModelSelector
    from tta_ci.models import TaskPriority, TaskStatus
    from tta_ci.validate import ResultValidator


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tta_ci' has no attribute {name!r}")
