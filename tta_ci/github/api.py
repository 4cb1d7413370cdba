"""The GitHub seam: one PyGithub ``Github`` built from ``GITHUB_API_URL`` and ``GITHUB_TOKEN``.

Every PyGithub or transport error is mapped to ``GitHubError`` here (``github_errors``), so the
rest of tta-ci never sees a vendor exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import requests
from github import Auth, Github, GithubException
from github.IssueComment import IssueComment
from github.PullRequest import PullRequest
from github.Repository import Repository

from tta_ci.core.errors import GitHubError
from tta_ci.github.event import PullTarget

__all__ = [
    "DEFAULT_API_URL",
    "MARKER",
    "REPLY_MARKER",
    "GitHubAPIError",
    "GithubFactory",
    "default_branch",
    "edit_pull",
    "find_open_pull",
    "find_sticky",
    "github_errors",
    "is_own_comment",
    "make_github",
    "open_pull",
    "post_comment",
    "pull_target",
    "react",
    "repository",
    "role_of",
    "upsert_sticky",
]

DEFAULT_API_URL = "https://api.github.com"
MARKER = "<!-- tta-ci -->"  # the sticky comment starts with it
REPLY_MARKER = "<!-- tta-ci:reply -->"  # tta-ci's other comments carry this one
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


GithubFactory = Callable[[Mapping[str, str]], Github]


def make_github(environ: Mapping[str, str]) -> Github:
    """The client for this job; a missing token is an error, never a silent skip."""
    token = environ.get("GITHUB_TOKEN", "")
    if not token:
        raise GitHubError(
            "GITHUB_TOKEN is not set; pass `github-token` to the action (default: "
            "${{ github.token }}) or export GITHUB_TOKEN"
        )
    base_url = environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    return Github(
        base_url=base_url.rstrip("/"), auth=Auth.Token(token), timeout=30, retry=2, lazy=True
    )


class GitHubAPIError(GitHubError):
    """The API answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@contextmanager
def github_errors(what: str) -> Iterator[None]:
    """Map PyGithub and transport errors to one-line ``GitHubError``s."""
    try:
        yield
    except GithubException as exc:
        data = exc.data if isinstance(exc.data, dict) else {}
        message = data.get("message") or exc.message or "no message"
        text = f"GitHub API: {what}: HTTP {exc.status}: {message}"
        raise GitHubAPIError(text, exc.status) from exc
    except requests.RequestException as exc:
        raise GitHubError(f"GitHub API: {what}: {type(exc).__name__}") from exc


def repository(gh: Github, full_name: str) -> Repository:
    return gh.get_repo(full_name)


def pull_target(repo: Repository, number: int) -> PullTarget:
    """The pull request as the API sees it now (head SHA, branches, fork or not)."""
    with github_errors(f"get pull request #{number}"):
        pr: PullRequest = repo.get_pull(number)
        head_repo = pr.head.repo.full_name if pr.head.repo is not None else None
        base_repo = pr.base.repo.full_name if pr.base.repo is not None else repo.full_name
        return PullTarget(
            repo_full_name=base_repo,
            number=number,
            head_ref=pr.head.ref,
            head_sha=pr.head.sha,
            base_ref=pr.base.ref,
            base_sha=pr.base.sha,
            head_repo_full_name=head_repo,
            is_fork=head_repo != base_repo,
        )


def is_own_comment(body: str) -> bool:
    return MARKER in body or REPLY_MARKER in body


def find_sticky(repo: Repository, number: int) -> IssueComment | None:
    """The last comment that starts with the marker, preferring one written by a bot."""
    with github_errors(f"list the comments of #{number}"):
        found = [c for c in repo.get_issue(number).get_comments() if c.body.startswith(MARKER)]
        bots = [c for c in found if c.user is not None and c.user.type == "Bot"]
    chosen = bots or found
    return chosen[-1] if chosen else None


def upsert_sticky(repo: Repository, number: int, body: str) -> tuple[IssueComment, bool]:
    """Edit the sticky comment in place, or create it; returns (comment, created)."""
    if not body.startswith(MARKER):
        body = f"{MARKER}\n{body}"
    existing = find_sticky(repo, number)
    if existing is not None:
        try:
            with github_errors(f"edit comment {existing.id}"):
                existing.edit(body)
            return existing, False
        except GitHubAPIError as exc:
            if exc.status not in (403, 404):  # someone else's comment, or deleted
                raise
    return post_comment(repo, number, body), True


def post_comment(repo: Repository, number: int, body: str) -> IssueComment:
    with github_errors(f"comment on #{number}"):
        return repo.get_issue(number).create_comment(body)


def react(repo: Repository, number: int, comment_id: int, content: str) -> None:
    if content not in REACTIONS:
        raise GitHubError(f"unknown reaction {content!r}")
    with github_errors(f"react to comment {comment_id}"):
        repo.get_issue(number).get_comment(comment_id).create_reaction(content)


def role_of(repo: Repository, login: str) -> str:
    """The commenter's role on the repository (admin, maintain, write, triage, read, none)."""
    with github_errors(f"read the permission of {login}"):
        return repo.get_collaborator_role_name(login)


def open_pull(repo: Repository, *, base: str, head: str, title: str, body: str) -> PullRequest:
    with github_errors(f"open a pull request from {head} into {base}"):
        return repo.create_pull(base=base, head=head, title=title, body=body)


def default_branch(repo: Repository) -> str:
    with github_errors(f"read the repository {repo.full_name}"):
        return repo.default_branch


def find_open_pull(repo: Repository, *, head: str, base: str) -> PullRequest | None:
    """The open pull request from this repository's branch ``head`` into ``base``, if any."""
    owner = repo.full_name.partition("/")[0]
    with github_errors(f"list the open pull requests from {head}"):
        return next(iter(repo.get_pulls(state="open", head=f"{owner}:{head}", base=base)), None)


def edit_pull(pull: PullRequest, *, title: str, body: str) -> None:
    with github_errors(f"edit pull request #{pull.number}"):
        pull.edit(title=title, body=body)
