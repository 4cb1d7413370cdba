"""The publishers that stay on this machine: ``none``/``summary`` (nothing) and ``files``."""

from __future__ import annotations

from pathlib import Path

from tta_ci.core.report import MetricsDocument, TaskRecord
from tta_ci.publish.base import PublishContext, PublishResult
from tta_ci.publish.files import AcceptedTest, accepted_records, write_accepted_tests

__all__ = ["FilesPublisher", "NonePublisher", "SummaryPublisher", "write_tests"]


def write_tests(repo: Path, tasks: list[TaskRecord]) -> list[str]:
    """Write (or merge) the accepted tests into ``repo``; the repo-relative files written."""
    tests = [AcceptedTest.from_record(t) for t in tasks]
    return sorted(set(write_accepted_tests(repo, tests)))


class NonePublisher:
    """Posts and writes nothing: the summary and the artifact are the result."""

    name = "none"

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            self.name = name

    def publish(self, doc: MetricsDocument, ctx: PublishContext) -> PublishResult:
        return PublishResult(mode=self.name, requested_mode=ctx.config.mode)


class SummaryPublisher(NonePublisher):
    """Mode summary: as none; the job summary (written in Actions for every mode) is the
    result."""

    name = "summary"


class FilesPublisher:
    """Writes the accepted tests into the checkout, next to the existing tests."""

    name = "files"

    def publish(self, doc: MetricsDocument, ctx: PublishContext) -> PublishResult:
        tasks = accepted_records(doc)
        files = write_tests(ctx.repo, tasks) if tasks else []
        notes = [f"wrote {len(files)} test file(s): {', '.join(files)}"] if files else []
        return PublishResult(mode="files", requested_mode=ctx.config.mode, files=files,
                             notes=notes)
