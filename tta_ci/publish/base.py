"""The publisher seam: what a publisher gets (``PublishContext``) and returns."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from pydantic import BaseModel, ConfigDict, Field

from tta_ci.config import Config
from tta_ci.event import Event
from tta_ci.report import MetricsDocument

if TYPE_CHECKING:
    from github import Github

__all__ = [
    "GithubFactory",
    "PublishContext",
    "PublishResult",
    "Publisher",
    "PullTarget",
    "run_url",
]

GithubFactory = Callable[[Mapping[str, str]], "Github"]


class PullTarget(BaseModel):
    """The pull request a run publishes to."""

    model_config = ConfigDict(frozen=True)

    repo_full_name: str
    number: int
    head_ref: str = ""
    head_sha: str = ""
    base_ref: str = ""
    base_sha: str = ""
    head_repo_full_name: str | None = None
    is_fork: bool = False

    @classmethod
    def from_event(cls, event: Event | None) -> PullTarget | None:
        if event is None or event.pr_number is None or not event.repo_full_name:
            return None
        return cls(
            repo_full_name=event.repo_full_name,
            number=event.pr_number,
            head_ref=event.head_ref or "",
            head_sha=event.head_sha or "",
            base_ref=event.base_ref or "",
            base_sha=event.base_sha or "",
            head_repo_full_name=event.head_repo_full_name,
            is_fork=event.is_fork,
        )


def _default_factory(environ: Mapping[str, str]) -> Github:
    from tta_ci.publish.github import make_github

    return make_github(environ)


@dataclass(frozen=True)
class PublishContext:
    """Everything a publisher may touch besides the document. Built by the command."""

    repo: Path
    config: Config
    environ: Mapping[str, str]
    event: Event | None
    output_dir: Path
    github_factory: GithubFactory = _default_factory
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


def run_url(environ: Mapping[str, str]) -> str | None:
    """The link to this workflow run, when GitHub told us where we are."""
    server, repo, run_id = (
        environ.get("GITHUB_SERVER_URL", "https://github.com"),
        environ.get("GITHUB_REPOSITORY"),
        environ.get("GITHUB_RUN_ID"),
    )
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}" if repo and run_id else None
