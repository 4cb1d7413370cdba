"""``tta-ci run``: the main job. Plan, generate, validate, write outputs, publish."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from tta_ci.cli._common import config_from_args
from tta_ci.core.report import MetricsDocument
from tta_ci.publish.console import Progress, checked_output_dir, print_table

__all__ = ["findings", "run"]

def findings(doc: MetricsDocument) -> bool:
    return doc.totals.rejected > 0 or doc.totals.possible_bugs > 0


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from tta_ci.github.event import read_event
    from tta_ci.publish import PublishContext, preflight, publish, write_documents
    from tta_ci.run.pipeline import run_pipeline

    repo = Path(args.repo)
    config = config_from_args(args, environ)
    event = read_event(environ)
    preflight(config, environ, event)  # a missing token or event fails before any work
    out = checked_output_dir(config, repo)  # so does an output folder that cannot be written
    outcome = asyncio.run(
        run_pipeline(
            repo,
            config,
            environ,
            base=args.base,
            head=args.head,
            shard=args.shard,
            on_progress=Progress(),
        )
    )
    metrics_path, summary_path = write_documents(outcome.document, out)
    ctx = PublishContext(repo=repo, config=config, environ=environ, event=event, output_dir=out)
    published = publish(outcome.document, ctx)
    doc = outcome.document.model_copy(
        update={"mode": published.mode, "notes": outcome.document.notes + published.notes}
    )
    if args.json:
        print(json.dumps(doc.to_json(), indent=2))
    else:
        print_table(doc, sys.stdout)
        print(f"metrics: {metrics_path}\nsummary: {summary_path}")
    return 1 if config.fail_on_rejected and findings(doc) else 0
