"""``tta-ci merge DIR... --output-dir OUT``: one summary, one metrics.json, one PR comment."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

import pydantic

from tta_ci.cli._common import config_from_args
from tta_ci.core.errors import UsageError
from tta_ci.core.report import MetricsDocument

__all__ = ["merge", "read_document"]

MERGE_MODES = ("none", "summary", "comment")


def read_document(folder: Path) -> MetricsDocument:
    path = folder / "metrics.json"
    try:
        return MetricsDocument.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise UsageError(f"{path}: no metrics.json; pass the --output-dir of each shard") from None
    except (ValueError, pydantic.ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise UsageError(f"{path}: not a tta-ci metrics document ({first})") from exc


def merge(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from tta_ci.core.report import merge_documents
    from tta_ci.github.event import read_event
    from tta_ci.publish.base import PublishContext
    from tta_ci.publish.console import print_table
    from tta_ci.publish.modes import preflight, publish
    from tta_ci.publish.outputs import write_documents

    docs = [read_document(Path(d)) for d in args.dirs]
    config = config_from_args(args, environ, keys=("mode",))
    if config.mode not in MERGE_MODES:  # files, commit and pr belong to the shards' checkouts
        config = config.model_copy(update={"mode": "summary"})
    event = read_event(environ)
    preflight(config, environ, event)
    out = Path(args.output_dir or "merged")
    doc = merge_documents(docs).model_copy(update={"mode": config.mode})
    write_documents(doc, out)
    ctx = PublishContext(
        repo=Path(args.repo),
        config=config,
        environ=environ,
        event=event,
        output_dir=out,
    )
    publish(doc, ctx)
    print_table(doc, sys.stdout)
    print(f"merged {len(docs)} shard(s) into {out}")
    return 0
