"""tta_ci.plan.tasks: the priority of a task."""

from __future__ import annotations

import pytest

from tta_ci.core.types import TaskPriority
from tta_ci.plan.tasks import priority_of


@pytest.mark.parametrize(
    ("module", "symbol", "expected"),
    [
        ("pkg.mod", "f", TaskPriority.HIGH),
        ("pkg.mod", "C.__init__", TaskPriority.HIGH),
        ("pkg.mod", "C._m", TaskPriority.LOW),
        ("pkg._impl", "f", TaskPriority.LOW),
        ("pkg.mod", "<module>", TaskPriority.NORMAL),
    ],
)
def test_priority(module: str, symbol: str, expected: TaskPriority) -> None:
    assert priority_of(module, symbol) is expected
