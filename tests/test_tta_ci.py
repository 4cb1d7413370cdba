"""tta_ci/__init__.py and __main__.py: the public names, imported on first use; ``python -m
tta_ci``."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tta_ci


def test_public_api_names() -> None:
    from tta_ci import (  # noqa: F401
        Config,
        ExecutionEngine,
        MetricsCollector,
        ModelSelector,
        QueuedTask,
        ResultValidator,
        TaskPriority,
        TaskStatus,
        TestGenerator,
    )

    assert TaskPriority.HIGH.rank < TaskPriority.NORMAL.rank < TaskPriority.LOW.rank
    assert {s.name for s in TaskStatus} == {
        "QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "SKIPPED"}
    with pytest.raises(AttributeError):
        tta_ci.Nothing  # noqa: B018


def test_python_dash_m_and_lazy_import() -> None:
    proc = subprocess.run(
        [sys.executable, "-c",
         "import sys, tta_ci; print('pydantic' in sys.modules, 'tta_ci.engine' in sys.modules)"],
        capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "False"]
    proc = subprocess.run([sys.executable, "-m", "tta_ci", "--version"], capture_output=True,
                          text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("tta-ci ")
