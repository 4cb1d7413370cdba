"""``tta-ci sweep [--max-tasks N] [--budget-usd X] [run options]``: tests for the repository's
untested public functions, published as one pull request (``--mode pr``, the default) that
later sweeps update.

The survey (``tta_ci.sweep.survey``) ranks the functions and plans the top ones; the usual
pipeline runs them (budgets and the rate limit as in ``run``); ``publish_finished`` publishes,
with the sweep's own publisher in ``pr`` mode.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from tta_ci.cli._common import config_from_args
from tta_ci.cli.run import exit_code, publish_finished
from tta_ci.core import aio
from tta_ci.core.config import Config
from tta_ci.core.report import MetricsDocument
from tta_ci.publish.console import Progress, checked_output_dir

__all__ = ["sweep"]


async def _sweep(repo: Path, config: Config, environ: Mapping[str, str]) -> MetricsDocument:
    from tta_ci.run.pipeline import run_pipeline
    from tta_ci.sweep.survey import survey

    found = await survey(repo, config, environ)
    print(f"tta-ci: {found.line}", file=sys.stderr)
    outcome = await run_pipeline(repo, config, environ, plan=found.plan, on_progress=Progress())
    doc = outcome.document
    notes = [found.line, *([found.note] if found.note else []), *doc.notes]
    return doc.model_copy(update={"sweep": found.to_json(), "notes": notes})


def sweep(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from tta_ci.github.event import read_event
    from tta_ci.publish.sweep import SweepPublisher, preflight

    repo = Path(args.repo)
    mode = args.mode or "pr"
    event = read_event(environ)
    preflight(mode, environ, event)
    config = config_from_args(args, environ, extra={"mode": mode})
    out = checked_output_dir(config, repo)  # before any work, as run checks it
    doc = aio.run(_sweep(repo, config, environ))
    final = publish_finished(doc, repo=repo, config=config, environ=environ, event=event,
                             out=out, as_json=args.json,
                             publisher=SweepPublisher() if mode == "pr" else None)
    return exit_code(final, config)
