"""``tta-ci plan``: the tasks that ``run`` would do, without doing them."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path

from tta_ci.cli._common import config_from_args
from tta_ci.core.lines import format_lines
from tta_ci.core.types import PlanResult
from tta_ci.generators import choose_backend, precheck_for
from tta_ci.plan import matrix, parse_shard, plan_change, shard

__all__ = ["plan", "render_plan"]


def render_plan(result: PlanResult) -> str:
    """A compact table of the tasks, then the skipped files with their reasons."""
    rows = [("PRIORITY", "TASK", "KIND", "LINES", "TEST FILE")]
    for t in result.tasks:
        test = t.test_file + ("" if t.test_file_exists else " (new)")
        span = format_lines(t.changed_lines, sep=",") or "-"
        rows.append((t.priority.value, t.id, t.kind, span, test))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[4]
             for row in rows] if result.tasks else []
    lines.extend(f"skipped  {s.describe()}" for s in result.skipped)
    lines.append(result.headline())
    return "\n".join(line.rstrip() for line in lines)


def plan(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    share = parse_shard(args.shard) if args.shard else None
    if args.matrix is not None:
        matrix(args.matrix)  # validate before planning
    config = config_from_args(args, environ, keys=("max_tasks", "backend"))
    backend, _ = choose_backend(config, environ)  # the skips of the backend `run` would use
    result = plan_change(Path(args.repo), config, environ, base=args.base, head=args.head,
                         staged=args.staged, precheck=precheck_for(backend))
    if args.matrix is not None:
        # No more shards than tasks: an empty job would only cost a runner.
        print(json.dumps(matrix(max(1, min(args.matrix, len(result.tasks))))))
        return 0
    if share is not None:
        result = result.model_copy(update={"tasks": shard(result.tasks, *share)})
    print(json.dumps(result.to_json(), indent=2) if args.json else render_plan(result))
    return 0
