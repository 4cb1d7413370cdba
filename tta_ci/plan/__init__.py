"""The planner: a change → test-generation tasks.

``plan_change`` plans a diff (refs, the event's pull request, or the staged files);
``plan_file``, ``changed_lines_for`` and ``task_for_lines`` plan one file of the working tree;
``shard``/``parse_shard``/``matrix`` split a plan across jobs. Everything under this package is
pure except the git reads at the top of those functions.

The names are imported on first use (PEP 562): ``tta-ci validate`` plans one file with
``tta_ci.plan.single`` and does not load the diff planner and the GitHub event reader.
"""

from __future__ import annotations

import importlib

# eager: cheap, and the function ``shard`` must win over the submodule of the same name
from tta_ci.plan.shard import matrix, parse_shard, shard

__all__ = [
    "changed_lines_for",
    "matrix",
    "parse_shard",
    "plan_change",
    "plan_file",
    "resolve_range",
    "shard",
    "split_prechecked",
    "task_for_lines",
]

_HOME = {
    "plan_change": "change", "resolve_range": "change",
    "changed_lines_for": "single", "plan_file": "single", "task_for_lines": "single",
    "split_prechecked": "tasks",
}

TYPE_CHECKING = False  # not typing's: this package is on the path of ``validate``'s first lines
if TYPE_CHECKING:
    from typing import Any

    from tta_ci.plan.change import plan_change, resolve_range
    from tta_ci.plan.single import changed_lines_for, plan_file, task_for_lines
    from tta_ci.plan.tasks import split_prechecked


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"tta_ci.plan.{_HOME[name]}"), name)
    raise AttributeError(f"module 'tta_ci.plan' has no attribute {name!r}")
