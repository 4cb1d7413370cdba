"""Publishing a run: one ``Publisher`` per output mode, and the GitHub Actions outputs.

    publish(doc, ctx)
      ├── PUBLISHERS[config.mode].publish(doc, ctx)   none | summary | files | comment | commit | pr
      └── in Actions, for every mode: job summary, step outputs, ::warning annotations

A publisher that cannot do what was asked (a fork, a moved branch, no pull request) falls back
to a weaker mode and says why in ``PublishResult.notes``; the mode used is ``result.mode``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tta_ci.errors import ConfigError
from tta_ci.publish.actions import (
    annotation_lines,
    emit,
    group,
    run_outputs,
    write_outputs,
    write_step_summary,
)
from tta_ci.publish.base import PublishContext, Publisher, PublishResult, PullTarget, run_url
from tta_ci.publish.comment import CommentPublisher
from tta_ci.publish.commit import CommitPublisher
from tta_ci.publish.local import FilesPublisher, NonePublisher
from tta_ci.publish.pull import PullPublisher
from tta_ci.publish.summary import render_summary
from tta_ci.report import MetricsDocument

__all__ = [
    "PUBLISHERS",
    "PublishContext",
    "PublishResult",
    "Publisher",
    "PullTarget",
    "get_publisher",
    "publish",
    "run_url",
]

PUBLISHERS: dict[str, Publisher] = {
    "none": NonePublisher("none"),
    "summary": NonePublisher("summary"),
    "files": FilesPublisher(),
    "comment": CommentPublisher(),
    "commit": CommitPublisher(),
    "pr": PullPublisher(),
}


def get_publisher(mode: str) -> Publisher:
    try:
        return PUBLISHERS[mode]
    except KeyError:
        known = ", ".join(PUBLISHERS)
        raise ConfigError(f"mode {mode!r} is not a publishing mode; use one of: {known}") from None


def publish(doc: MetricsDocument, ctx: PublishContext) -> PublishResult:
    """Publish with ``ctx.config.mode``, then write the Actions summary and outputs."""
    publisher = get_publisher(ctx.config.mode)
    with group(f"tta-ci: publish ({publisher.name})", ctx.stream, ctx.environ):
        result = publisher.publish(doc, ctx)
        for note in result.notes:
            ctx.stream.write(f"tta-ci: {note}\n")
    final = doc.model_copy(update={"notes": [*doc.notes, *result.notes], "mode": result.mode})
    markdown = render_summary(final)
    if result.notes:
        _write_atomic(ctx.output_dir / "summary.md", markdown + "\n")
    summary_file = write_step_summary(ctx.environ, markdown)
    outputs_file = write_outputs(ctx.environ, run_outputs(doc, ctx.output_dir))
    if summary_file is not None or outputs_file is not None:
        emit(annotation_lines(doc), ctx.stream)
    return result.model_copy(
        update={
            "step_summary": str(summary_file) if summary_file else None,
            "outputs_file": str(outputs_file) if outputs_file else None,
        }
    )


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
