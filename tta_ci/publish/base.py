"""The publisher seam: what a publisher gets (``PublishContext``) and returns."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from pydantic import BaseModel, Field

from tta_ci.core.config import Config
from tta_ci.core.report import MetricsDocument
from tta_ci.github.event import Event, PullTarget

if TYPE_CHECKING:
    from github import Github

    from tta_ci.github.api import GithubFactory

__all__ = ["PublishContext", "PublishResult", "Publisher", "default_github"]


def default_github(environ: Mapping[str, str]) -> Github:
    """The job's PyGithub client, imported on first use (files mode never pays for it)."""
    from tta_ci.github.api import make_github

    return make_github(environ)


@dataclass(frozen=True)
class PublishContext:
    """Everything a publisher may touch besides the document. Built by the command."""

    repo: Path
    config: Config
    environ: Mapping[str, str]
    event: Event | None
    output_dir: Path
    github_factory: GithubFactory = default_github
    pull: PullTarget | None = None  # default: the event's pull request
    stream: TextIO = field(default_factory=lambda: sys.stderr)  # annotations and log groups

    @property
    def target(self) -> PullTarget | None:
        return self.pull if self.pull is not None else PullTarget.from_event(self.event)


class PublishResult(BaseModel):
    """What a publisher did; ``mode`` is the mode actually used after any fallback."""

    mode: str
    requested_mode: str
    notes: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)  # test files written (repo-relative)
    comment_id: int | None = None
    comment_url: str | None = None
    commit_sha: str | None = None
    branch: str | None = None
    pull_url: str | None = None
    step_summary: str | None = None  # the GITHUB_STEP_SUMMARY file written
    outputs_file: str | None = None  # the GITHUB_OUTPUT file written


class Publisher(Protocol):
    """One output mode. ``publish`` may fall back to a weaker mode and say why in ``notes``."""

    name: str

    def publish(self, doc: MetricsDocument, ctx: PublishContext) -> PublishResult: ...
