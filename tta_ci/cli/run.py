"""``tta-ci run``: the main job. Plan, generate, validate, write outputs, publish.

Its first line (``tta-ci: planning BASE..HEAD``) is printed before anything heavy is
imported, so that a run is never silent while Python loads the pipeline.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from tta_ci.core.progress import announce

TYPE_CHECKING = False  # not typing's: this module is on the path of the first line
if TYPE_CHECKING:
    from tta_ci.core.report import MetricsDocument

__all__ = ["findings", "planning_line", "run"]


def findings(doc: MetricsDocument) -> bool:
    return doc.totals.rejected > 0 or doc.totals.possible_bugs > 0


def planning_line(args: argparse.Namespace, environ: Mapping[str, str]) -> str:
    """What is about to be planned, from the flags alone (the refs are resolved later)."""
    head = args.head or "HEAD"
    if args.base:
        return f"planning {args.base}..{head}"
    if environ.get("GITHUB_EVENT_PATH"):
        return f"planning the change of the GitHub event ({environ['GITHUB_EVENT_PATH']})"
    return f"planning {head} against its upstream"


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    announce(planning_line(args, environ))
    import asyncio
    import json
    import sys
    from pathlib import Path

    from tta_ci.cli._common import config_from_args
    from tta_ci.github.event import read_event
    from tta_ci.publish import PublishContext, preflight, publish, write_documents
    from tta_ci.publish.console import Progress, output_dir, print_table
    from tta_ci.run.pipeline import run_pipeline

    repo = Path(args.repo)
    config = config_from_args(args, environ)
    event = read_event(environ)
    preflight(config, environ, event)  # a missing token or event fails before any work
    console = Progress()
    with console.live():
        outcome = asyncio.run(run_pipeline(repo, config, environ, base=args.base,
                                           head=args.head, shard=args.shard,
                                           on_progress=console))
    out = output_dir(config, repo)
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
