"""The planner: a change → test-generation tasks.

``plan_change`` plans a diff (refs, the event's pull request, or the staged files);
``plan_file``, ``changed_lines_for`` and ``task_for_lines`` plan one file of the working tree;
``shard``/``parse_shard``/``matrix`` split a plan across jobs. Everything under this package is
pure except the git reads at the top of those functions.
"""

from __future__ import annotations

from tta_ci.plan.change import plan_change, resolve_range
from tta_ci.plan.shard import matrix, parse_shard, shard
from tta_ci.plan.single import changed_lines_for, plan_file, task_for_lines
from tta_ci.plan.tasks import split_prechecked

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
