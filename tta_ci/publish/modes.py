"""Publishing a run: one ``Publisher`` per output mode, and the GitHub Actions outputs.

    publish(doc, ctx)
      ├── get_publisher(config.mode).publish(doc, ctx)   none|summary|files|comment|commit|pr
      └── in Actions, for every mode: job summary, step outputs, ::warning annotations

A publisher that cannot do what was asked (a fork, a moved branch, no pull request) falls back
to a weaker mode and says why in ``PublishResult.notes``; the mode used is ``result.mode``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from tta_ci.core.config import Config
from tta_ci.core.errors import ConfigError, GitHubError
from tta_ci.core.report import MetricsDocument
from tta_ci.github.event import Event
from tta_ci.publish.actions import (
    annotation_lines,
    emit,
    group,
    run_outputs,
    write_outputs,
    write_step_summary,
)
from tta_ci.publish.base import PublishContext, Publisher, PublishResult
from tta_ci.publish.outputs import write_documents
from tta_ci.publish.summary import render_summary

__all__ = ["GITHUB_MODES", "PUBLISHERS", "get_publisher", "preflight", "publish"]

# mode → "module:class" of its publisher, imported when the mode is used: preflight and the
# modes that stay on this machine never load PyGithub
PUBLISHERS: dict[str, str] = {
    "none": "tta_ci.publish.local:NonePublisher",
    "summary": "tta_ci.publish.local:SummaryPublisher",
    "files": "tta_ci.publish.local:FilesPublisher",
    "comment": "tta_ci.publish.sticky:CommentPublisher",
    "commit": "tta_ci.publish.commit:CommitPublisher",
    "pr": "tta_ci.publish.pull:PullPublisher",
}


def _known(mode: str) -> str:
    try:
        return PUBLISHERS[mode]
    except KeyError:
        known = ", ".join(PUBLISHERS)
        raise ConfigError(f"mode {mode!r} is not a publishing mode; use one of: {known}") from None


def get_publisher(mode: str) -> Publisher:
    module, _, name = _known(mode).partition(":")
    publisher: Publisher = getattr(importlib.import_module(module), name)()
    return publisher


GITHUB_MODES = ("comment", "commit", "pr")


def preflight(config: Config, environ: Mapping[str, str], event: Event | None) -> None:
    """Fail before any work when the mode cannot publish: unknown mode, no token, no event."""
    _known(config.mode)
    if config.mode not in GITHUB_MODES:
        return
    if event is None:
        raise GitHubError(
            f"mode {config.mode!r} needs a GitHub event: GITHUB_EVENT_PATH is not set "
            "(run inside GitHub Actions, or use --mode files or --mode summary)"
        )
    if event.pr_number is not None and not environ.get("GITHUB_TOKEN"):
        raise GitHubError(
            f"mode {config.mode!r} needs GITHUB_TOKEN to write to pull request "
            f"#{event.pr_number}; pass `github-token` to the action or export GITHUB_TOKEN"
        )


def publish(doc: MetricsDocument, ctx: PublishContext,
            publisher: Publisher | None = None) -> PublishResult:
    """Publish with ``publisher`` (default: the one of ``ctx.config.mode``), then write the
    Actions summary and outputs."""
    publisher = publisher or get_publisher(ctx.config.mode)
    with group(f"tta-ci: publish ({publisher.name})", ctx.stream, ctx.environ):
        result = publisher.publish(doc, ctx)
        for note in result.notes:
            ctx.stream.write(f"tta-ci: {note}\n")
    final = doc.model_copy(update={"notes": [*doc.notes, *result.notes], "mode": result.mode})
    changed = final.notes != doc.notes or final.mode != doc.mode
    if changed and (ctx.output_dir / "metrics.json").is_file():
        write_documents(final, ctx.output_dir)  # the run's files say what publishing did
    markdown = render_summary(final)
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
