"""``tta-ci run``: the main job. Plan, generate, validate, write outputs, publish.

Its first line (``tta-ci: planning BASE..HEAD``) is printed before anything heavy is
imported, so that a run is never silent while Python loads the pipeline.
``publish_finished`` is the second half, shared with ``collect`` and ``sweep``: the run's
files, the publisher of its mode, the table (or the JSON document) and the exit code.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from tta_ci.core.progress import announce

TYPE_CHECKING = False  # not typing's: this module is on the path of the first line
if TYPE_CHECKING:
    from pathlib import Path

    from tta_ci.core.config import Config
    from tta_ci.core.report import MetricsDocument
    from tta_ci.github.event import Event
    from tta_ci.publish.base import Publisher

__all__ = ["exit_code", "findings", "planning_line", "publish_finished", "run", "show"]


def findings(doc: MetricsDocument) -> bool:
    return doc.totals.rejected > 0 or doc.totals.possible_bugs > 0


def exit_code(doc: MetricsDocument, config: Config) -> int:
    return 1 if config.fail_on_rejected and findings(doc) else 0


def planning_line(args: argparse.Namespace, environ: Mapping[str, str]) -> str:
    """What is about to be planned, from the flags alone (the refs are resolved later)."""
    head = args.head or "HEAD"
    if args.base:
        return f"planning {args.base}..{head}"
    if environ.get("GITHUB_EVENT_PATH"):
        return f"planning the change of the GitHub event ({environ['GITHUB_EVENT_PATH']})"
    return f"planning {head} against its upstream"


def publish_finished(
    doc: MetricsDocument,
    *,
    repo: Path,
    config: Config,
    environ: Mapping[str, str],
    event: Event | None,
    out: Path,
    as_json: bool,
    publisher: Publisher | None = None,
) -> MetricsDocument:
    """Write ``metrics.json`` and ``summary.md`` into ``out``, publish, print the result;
    returns the document as published (its mode and notes)."""
    from tta_ci.publish.base import PublishContext
    from tta_ci.publish.modes import publish
    from tta_ci.publish.outputs import write_documents

    write_documents(doc, out)
    ctx = PublishContext(repo=repo, config=config, environ=environ, event=event, output_dir=out)
    published = publish(doc, ctx, publisher)
    final = doc.model_copy(update={"mode": published.mode, "notes": doc.notes + published.notes})
    show(final, out, as_json)
    return final


def show(doc: MetricsDocument, out: Path, as_json: bool) -> None:
    import json
    import sys

    from tta_ci.publish.console import print_table

    if as_json:
        print(json.dumps(doc.to_json(), indent=2))
    else:
        print_table(doc, sys.stdout)
        print(f"metrics: {out / 'metrics.json'}\nsummary: {out / 'summary.md'}")


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    announce(planning_line(args, environ))
    from pathlib import Path

    from tta_ci.cli._common import config_from_args
    from tta_ci.core import aio
    from tta_ci.github.event import read_event
    from tta_ci.publish.console import Progress, checked_output_dir
    from tta_ci.publish.modes import preflight
    from tta_ci.run.pipeline import run_pipeline

    repo = Path(args.repo)
    config = config_from_args(args, environ)
    event = read_event(environ)
    preflight(config, environ, event)  # a missing token or event fails before any work
    out = checked_output_dir(config, repo)  # so does an output folder that cannot be written
    console = Progress()
    with console.live():
        outcome = aio.run(run_pipeline(repo, config, environ, base=args.base,
                                       head=args.head, shard=args.shard, on_progress=console))
    final = publish_finished(outcome.document, repo=repo, config=config, environ=environ,
                             event=event, out=out, as_json=args.json)
    return exit_code(final, config)
