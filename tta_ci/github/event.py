"""The GitHub event that started the job, as one frozen value.

GitHub Actions names the event in ``GITHUB_EVENT_NAME`` and writes its webhook payload to the
file ``GITHUB_EVENT_PATH``. ``read_event`` reads both; ``parse_event`` is the pure part.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tta_ci.core.errors import UsageError

__all__ = [
    "Event",
    "EventError",
    "PullTarget",
    "guess_event_name",
    "load_event",
    "parse_event",
    "read_event",
    "run_url",
]

ZERO_SHA = "0" * 40


class EventError(UsageError):
    """The event file named by ``GITHUB_EVENT_PATH`` (or ``--event``) cannot be used."""


class Event(BaseModel):
    """What tta-ci needs from a webhook payload; ``payload`` keeps the rest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str  # pull_request, pull_request_target, push, workflow_dispatch, issue_comment, ...
    action: str | None = None
    repo_full_name: str | None = None
    base_sha: str | None = None
    head_sha: str | None = None
    base_ref: str | None = None
    head_ref: str | None = None
    pr_number: int | None = None
    head_repo_full_name: str | None = None
    is_fork: bool = False
    comment_body: str | None = None
    comment_id: int | None = None
    commenter_login: str | None = None
    commenter_type: str | None = None  # "User", "Bot", "Organization"
    is_pull_request_comment: bool = False
    sender_login: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def is_pull_request(self) -> bool:
        return self.pr_number is not None


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _sha(value: Any) -> str | None:
    return value if isinstance(value, str) and value and value != ZERO_SHA else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def guess_event_name(payload: Mapping[str, Any]) -> str:
    """The event name for a payload read without ``GITHUB_EVENT_NAME``."""
    if "comment" in payload and "issue" in payload:
        return "issue_comment"
    if "comment" in payload and "pull_request" in payload:
        return "pull_request_review_comment"
    if "pull_request" in payload:
        return "pull_request"
    if "ref" in payload and "before" in payload and "after" in payload:
        return "push"
    if "inputs" in payload:
        return "workflow_dispatch"
    return "unknown"


def _pull_request_fields(pr: Mapping[str, Any], repo_full_name: str | None) -> dict[str, Any]:
    head_repo = _str(_get(pr, "head", "repo", "full_name"))
    base_repo = _str(_get(pr, "base", "repo", "full_name")) or repo_full_name
    return {
        "base_sha": _sha(_get(pr, "base", "sha")),
        "head_sha": _sha(_get(pr, "head", "sha")),
        "base_ref": _str(_get(pr, "base", "ref")),
        "head_ref": _str(_get(pr, "head", "ref")),
        "pr_number": _int(pr.get("number")),
        "head_repo_full_name": head_repo,
        # A deleted head repository can only have been a fork.
        "is_fork": head_repo is None or head_repo != base_repo,
    }


def _comment_fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    comment = payload.get("comment")
    if not isinstance(comment, Mapping):
        return {}
    issue = payload.get("issue")
    on_pr = isinstance(issue, Mapping) and isinstance(issue.get("pull_request"), Mapping)
    fields: dict[str, Any] = {
        "comment_body": _str(comment.get("body")),
        "comment_id": _int(comment.get("id")),
        "commenter_login": _str(_get(comment, "user", "login")),
        "commenter_type": _str(_get(comment, "user", "type")),
        "is_pull_request_comment": on_pr or isinstance(payload.get("pull_request"), Mapping),
    }
    if on_pr and isinstance(issue, Mapping):
        fields["pr_number"] = _int(issue.get("number"))
    return fields


def _push_fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    ref = _str(payload.get("ref"))
    return {
        "base_sha": _sha(payload.get("before")),
        "head_sha": _sha(payload.get("after")),
        "head_ref": ref.removeprefix("refs/heads/") if ref else None,
    }


def parse_event(name: str, payload: Mapping[str, Any]) -> Event:
    """The ``Event`` of a webhook payload (pure)."""
    repo_full_name = _str(_get(payload, "repository", "full_name"))
    fields: dict[str, Any] = {}
    pr = payload.get("pull_request")
    if isinstance(pr, Mapping):
        fields.update(_pull_request_fields(pr, repo_full_name))
    elif name == "push":
        fields.update(_push_fields(payload))
    elif name == "workflow_dispatch":
        ref = _str(payload.get("ref"))
        fields["head_ref"] = ref.removeprefix("refs/heads/") if ref else None
    fields.update(_comment_fields(payload))
    return Event(
        name=name,
        action=_str(payload.get("action")),
        repo_full_name=repo_full_name,
        sender_login=_str(_get(payload, "sender", "login")),
        payload=dict(payload),
        **fields,
    )


def load_event(path: Path, name: str | None = None) -> Event:
    """Read and parse an event file; ``name`` defaults to a guess from the payload."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EventError(f"{path}: cannot read the event file: {exc.__class__.__name__}") from exc
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventError(f"{path}: invalid JSON in the event file: line {exc.lineno}") from exc
    if not isinstance(payload, dict):
        raise EventError(f"{path}: the event file must hold a JSON object")
    return parse_event(name or guess_event_name(payload), payload)


def read_event(environ: Mapping[str, str]) -> Event | None:
    """The event of this GitHub Actions job, or None outside one (no ``GITHUB_EVENT_PATH``)."""
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not path:
        return None
    return load_event(Path(path), environ.get("GITHUB_EVENT_NAME") or None)


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


def run_url(environ: Mapping[str, str]) -> str | None:
    """The link to this workflow run, when GitHub told us where we are."""
    server, repo, run_id = (
        environ.get("GITHUB_SERVER_URL", "https://github.com"),
        environ.get("GITHUB_REPOSITORY"),
        environ.get("GITHUB_RUN_ID"),
    )
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}" if repo and run_id else None
