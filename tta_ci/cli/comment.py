"""``tta-ci comment --event PATH``: run ``/tta`` commands from a pull-request comment."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from tta_ci.comment.flow import handle_comment
from tta_ci.core.errors import GitHubError
from tta_ci.github.event import load_event
from tta_ci.publish.console import writable_dir

__all__ = ["comment"]


def comment(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    path = args.event or environ.get("GITHUB_EVENT_PATH")
    if not path:
        raise GitHubError("no event file: pass --event PATH or set GITHUB_EVENT_PATH")
    event = load_event(Path(path), environ.get("GITHUB_EVENT_NAME") or None)
    from tta_ci.run.pipeline import run_pipeline

    out = Path(args.output_dir) if args.output_dir else None
    if out is not None:  # checked before any work
        writable_dir(out, "--output-dir")
    return handle_comment(event, Path(args.repo), environ, output_dir=out, pipeline=run_pipeline)
