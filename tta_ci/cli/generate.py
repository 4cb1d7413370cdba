"""``tta-ci generate`` (alias ``submit-task``): one file or symbol through the whole pipeline."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from tta_ci.core import aio
from tta_ci.core.progress import announce

__all__ = ["generate"]


def generate(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    where = f"{args.target_file}::{args.symbol}" if args.symbol else args.target_file
    announce(f"planning {where}")  # before the heavy imports
    import json
    import sys
    from pathlib import Path

    from tta_ci.cli._common import config_from_args
    from tta_ci.core.types import TaskPriority
    from tta_ci.plan import plan_file
    from tta_ci.publish.base import PublishContext
    from tta_ci.publish.console import Progress, checked_output_dir, print_table
    from tta_ci.publish.modes import publish
    from tta_ci.publish.outputs import write_documents
    from tta_ci.run.pipeline import run_pipeline

    repo = Path(args.repo)
    config = config_from_args(args, environ)
    plan = plan_file(
        repo, config, args.target_file, symbol=args.symbol, description=args.description
    )
    prio = TaskPriority(args.priority)
    plan = plan.model_copy(
        update={"tasks": tuple(t.model_copy(update={"priority": prio}) for t in plan.tasks)}
    )
    out = checked_output_dir(config, repo)
    console = Progress()
    with console.live():
        outcome = aio.run(run_pipeline(repo, config, environ, plan=plan,
                                       on_progress=console))
    write_documents(outcome.document, out)
    publish(
        outcome.document,
        PublishContext(repo=repo, config=config, environ=environ, event=None, output_dir=out),
    )
    if args.json:
        print(json.dumps(outcome.document.to_json(), indent=2))
    else:
        print_table(outcome.document, sys.stdout)
    bad = {"rejected", "possible_bug", "failed"}
    return 1 if any(t.status in bad for t in outcome.document.tasks) else 0
