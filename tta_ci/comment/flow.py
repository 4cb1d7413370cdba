"""One pull-request comment with ``/tta`` commands, handled from gate to reply.

Gates, cheapest first, before any checkout of PR code or any LLM call:
``created`` comments only; never bots or tta-ci's own comments; a ``/tta`` line present;
pull requests only; the commenter's role (asked through the API, not ``author_association``)
in ``comment_permissions`` of the configuration read from the base branch.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TextIO

from github.Repository import Repository

from tta_ci.comment.parse import HELP, MAX_COMMANDS, Command, CommandError, parse_commands
from tta_ci.core import aio
from tta_ci.core.config import Config, load_config
from tta_ci.core.errors import GitHubError, TtaError
from tta_ci.core.scratch import scratch_dir
from tta_ci.core.secrets import Redactor
from tta_ci.git import cli as gitcli
from tta_ci.github.api import (
    REPLY_MARKER,
    GithubFactory,
    is_own_comment,
    make_github,
    post_comment,
    pull_target,
    react,
    repository,
    role_of,
    upsert_sticky,
)
from tta_ci.github.event import Event, PullTarget, run_url
from tta_ci.publish.base import PublishContext
from tta_ci.publish.modes import publish
from tta_ci.publish.outputs import write_documents
from tta_ci.publish.sticky import render_progress

__all__ = ["PROGRESS_INTERVAL_S", "base_config", "handle_comment", "ignore_reason"]

PROGRESS_INTERVAL_S = 5.0
CONFIG_FILES = (".tta-ci.toml", "pyproject.toml")
Pipeline = Callable[..., Coroutine[Any, Any, Any]]


def ignore_reason(event: Event) -> str | None:
    """Why this event must not be acted on, or None (pure)."""
    login = event.commenter_login or ""
    if event.name != "issue_comment":
        return f"a {event.name} event is not a comment"
    if event.action != "created":
        return f"the comment was {event.action}, not created"
    if event.commenter_type == "Bot" or login.endswith("[bot]"):
        return f"{login} is a bot"
    if is_own_comment(event.comment_body or ""):
        return "the comment is tta-ci's own"
    return None


def handle_comment(
    event: Event,
    repo: Path,
    environ: Mapping[str, str],
    *,
    pipeline: Pipeline,
    output_dir: Path | None = None,
    github_factory: GithubFactory = make_github,
    stream: TextIO = sys.stderr,
) -> int:
    reason = ignore_reason(event)
    commands = [] if reason else parse_commands(event.comment_body or "")
    if reason or not commands:
        stream.write(f"tta-ci: nothing to do: {reason or 'no /tta command in the comment'}\n")
        return 0
    if not event.repo_full_name:
        raise GitHubError("the event has no repository.full_name")
    gh_repo = repository(github_factory(environ), event.repo_full_name)
    if not event.is_pull_request_comment or event.pr_number is None:
        number = int(event.payload.get("issue", {}).get("number", 0))
        _reply(gh_repo, number, "tta-ci commands work on pull requests only.", environ)
        return 0
    target = pull_target(gh_repo, event.pr_number)
    config = base_config(repo, target.base_sha, environ)
    role = role_of(gh_repo, event.commenter_login or "")
    if role not in config.comment_permissions:
        allowed = ", ".join(config.comment_permissions)
        text = f"@{event.commenter_login} tta-ci runs only for {allowed} (your role: {role})."
        _reply(gh_repo, target.number, text, environ)
        return 0
    run = _Run(event, repo, environ, gh_repo, target, config, pipeline, output_dir,
               github_factory, stream)
    return run.all(commands)


def base_config(
    repo: Path, base_sha: str, environ: Mapping[str, str], flags: Mapping[str, Any] | None = None
) -> Config:
    """The configuration as the base branch has it: a PR cannot change its own limits."""
    gitcli.ensure_commit(repo, base_sha, environ=environ)
    with scratch_dir("config-") as tmp:
        path = tmp / ".tta-ci.toml"
        path.write_text("", encoding="utf-8")
        for name in CONFIG_FILES:
            text = gitcli.show(repo, base_sha, name)
            if text is not None:
                path = tmp / name
                path.write_text(text, encoding="utf-8")
                break
        return load_config(repo, environ, flags, config_file=path)


def _reply(gh_repo: Repository, number: int, text: str, environ: Mapping[str, str]) -> None:
    link = run_url(environ)
    footer = f"\n\n<sub>[workflow run]({link})</sub>" if link else ""
    post_comment(gh_repo, number, f"{REPLY_MARKER}\n{text}{footer}")


class _Run:
    """The commands of one comment, after every gate passed."""

    def __init__(self, event: Event, repo: Path, environ: Mapping[str, str],
                 gh_repo: Repository, target: PullTarget, config: Config, pipeline: Pipeline,
                 output_dir: Path | None, github_factory: GithubFactory, stream: TextIO) -> None:
        self.event, self.repo, self.environ = event, repo, environ
        self.gh_repo, self.target, self.config = gh_repo, target, config
        self.pipeline, self.output_dir = pipeline, output_dir
        self.github_factory, self.stream = github_factory, stream
        self.comment_id = event.comment_id or 0

    def all(self, commands: list[Command | CommandError]) -> int:
        react(self.gh_repo, self.target.number, self.comment_id, "eyes")
        ok = True
        try:
            for command in commands[:MAX_COMMANDS]:
                ok = self.one(command) and ok
            if len(commands) > MAX_COMMANDS:
                ok = False
                self.reply(f"Only the first {MAX_COMMANDS} `/tta` commands of a comment run: "
                           f"the other {len(commands) - MAX_COMMANDS} were not run.")
        except TtaError as exc:
            message = Redactor.from_env(self.environ, self.config)(str(exc))
            self.reply(f"tta-ci failed: {message}")
            react(self.gh_repo, self.target.number, self.comment_id, "confused")
            raise
        react(self.gh_repo, self.target.number, self.comment_id, "rocket" if ok else "confused")
        return 0

    def reply(self, text: str) -> None:
        _reply(self.gh_repo, self.target.number, text, self.environ)

    def one(self, command: Command | CommandError) -> bool:
        if isinstance(command, CommandError):
            self.reply(f"Not run: {command.message}.\n\n{HELP}")
            return False
        if command.name == "help":
            self.reply(HELP)
        elif command.name == "config":
            self.reply(self._config_text())
        else:
            self.test(command)
        return True

    def _config_text(self) -> str:
        redact = Redactor.from_env(self.environ, self.config)
        rows = [f"{k} = {v!r}  # {s}" for k, v, s in self.config.public_items()]
        return "Configuration (base branch):\n\n```toml\n" + redact("\n".join(rows)) + "\n```"

    def test(self, command: Command) -> None:
        flags: dict[str, Any] = {"mode": command.mode or _comment_mode(self.config)}
        if command.model:
            flags["model"] = command.model
        if command.max_tasks:
            flags["max_tasks"] = command.max_tasks
        config = base_config(self.repo, self.target.base_sha, self.environ, flags)
        gitcli.ensure_commit(self.repo, self.target.head_sha,
                             f"refs/pull/{self.target.number}/head", self.environ)
        outcome: Any = aio.run(self.pipeline(
            self.repo, config, self.environ, base=self.target.base_sha,
            head=self.target.head_sha, targets=list(command.targets) or None,
            on_progress=_Checklist(self),
        ))
        out = self.output_dir or (self.repo / config.output_dir)
        write_documents(outcome.document, out)
        ctx = PublishContext(repo=self.repo, config=config, environ=self.environ,
                             event=self.event, output_dir=out, pull=self.target,
                             github_factory=self.github_factory, stream=self.stream)
        publish(outcome.document, ctx)


def _comment_mode(config: Config) -> str:
    return config.mode if config.mode in ("comment", "commit", "pr") else "comment"


class _Checklist:
    """The pipeline's progress callback: the sticky comment as a checklist, throttled."""

    def __init__(self, run: _Run, interval_s: float = PROGRESS_INTERVAL_S) -> None:
        self.run, self.interval_s = run, interval_s
        self.done: list[tuple[str, str]] = []
        self.last = float("-inf")

    def __call__(self, result: Any, done: int, total: int) -> None:
        self.done.append((str(result.task_id), str(result.outcome)))
        now = time.monotonic()
        if now - self.last < self.interval_s and done < total:
            return
        self.last = now
        rows = self.done + [("…", "")] * max(total - len(self.done), 0)
        title = f"{done} of {total} task(s) done"
        body = render_progress(rows[:300], title=title, link=run_url(self.run.environ))
        upsert_sticky(self.run.gh_repo, self.run.target.number, body)
