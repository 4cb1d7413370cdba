"""The validator: sandboxed, strict, batched runs of generated tests.

``ResultValidator`` is imported on first use, so that the pytest plugin
(``tta_ci.validate.plugin``) loads inside the sandbox without pulling in the rest of tta-ci.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["ResultValidator"]

if TYPE_CHECKING:
    from tta_ci.validate.validator import ResultValidator


def __getattr__(name: str) -> Any:
    if name == "ResultValidator":
        return importlib.import_module("tta_ci.validate.validator").ResultValidator
    raise AttributeError(f"module 'tta_ci.validate' has no attribute {name!r}")
