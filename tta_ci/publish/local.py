"""The publishers that stay on this machine: ``none``/``summary`` (nothing) and ``files``."""

from __future__ import annotations

from pathlib import Path

from tta_ci.publish.base import PublishContext, PublishResult
from tta_ci.report import MetricsDocument, TaskRecord

__all__ = ["FilesPublisher", "NonePublisher", "accepted_tasks", "write_tests"]


def accepted_tasks(doc: MetricsDocument) -> list[TaskRecord]:
    """The tasks whose validated code can be written."""
    return [t for t in doc.tasks if t.status == "accepted" and t.code and t.test_file]


def write_tests(repo: Path, tasks: list[TaskRecord]) -> list[str]:
    """Write (or merge) the accepted tests into ``repo``; the repo-relative files written."""
    from tta_ci.publish.files import AcceptedTest, write_accepted_tests

    accepted = [
        AcceptedTest(
            target=t.id,
            test_file=t.test_file,
            code=t.code or "",
            covered_lines=tuple(t.covered_lines),
            generator=t.generator,
            model=t.model,
            cost_usd=t.cost_usd,
        )
        for t in tasks
    ]
    return sorted(set(write_accepted_tests(repo, accepted)))


class NonePublisher:
    """Posts and writes nothing: the summary and the artifact are the result."""

    def __init__(self, name: str) -> None:
        self.name = name

    def publish(self, doc: MetricsDocument, ctx: PublishContext) -> PublishResult:
        return PublishResult(mode=self.name, requested_mode=ctx.config.mode)


class FilesPublisher:
    """Writes the accepted tests into the checkout, next to the existing tests."""

    name = "files"

    def publish(self, doc: MetricsDocument, ctx: PublishContext) -> PublishResult:
        tasks = accepted_tasks(doc)
        files = write_tests(ctx.repo, tasks) if tasks else []
        notes = [f"wrote {len(files)} test file(s): {', '.join(files)}"] if files else []
        return PublishResult(mode="files", requested_mode=ctx.config.mode, files=files,
                             notes=notes)
