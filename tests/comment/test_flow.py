"""tta_ci.comment.flow: one ``/tta`` comment handled, against the fake GitHub API and a fake
pipeline: permissions, replies, reactions, the sticky comment."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from support import EVENTS as FIXTURES
from support.github_server import BOT, FakeGitHub, fake_github
from support.gitrepo import CommitFn
from support.publish_data import document

from tta_ci.comment.flow import handle_comment
from tta_ci.comment.parse import MAX_COMMANDS
from tta_ci.github.api import MARKER
from tta_ci.github.event import Event, parse_event

REPO = "runatlantis/atlantis-tests"


class FakePipeline:
    """Stands for tta_ci.run.pipeline.run_pipeline: records the call, reports progress."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, repo: Path, config: Any, environ: Any, **kw: Any) -> Any:
        self.calls.append({"config": config, **kw})
        kw["on_progress"](SimpleNamespace(task_id="calc.py::add", outcome="accepted"), 1, 1)
        return SimpleNamespace(document=document(base=kw["base"], head=kw["head"]))


@pytest.fixture
def shas(commit: CommitFn) -> tuple[str, str]:
    base = commit({".tta-ci.toml": 'comment_permissions = ["write", "admin"]\n',
                   "calc.py": "def add(a, b):\n    return 0\n"}, "base")
    head = commit({".tta-ci.toml": 'comment_permissions = ["read", "write", "admin"]\n',
                   "calc.py": "def add(a, b):\n    return a + b\n"}, "head")
    return base, head


@pytest.fixture
def gh(shas: tuple[str, str]) -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        fake.add_pull(REPO, 1, head_ref="changes", head_sha=shas[1], base_sha=shas[0])
        fake.set_role(REPO, "maintainer", "write")
        fake.set_role(REPO, "reader", "read")
        yield fake


def comment_event(body: str, login: str = "maintainer", user_type: str = "User",
                  fixture: str = "issue_comment.pull_request.json") -> Event:
    payload = json.loads((FIXTURES / fixture).read_text())
    payload["comment"]["body"] = body
    payload["comment"]["user"].update(login=login, type=user_type)
    return parse_event("issue_comment", payload)


def handle(event: Event, repo: Path, gh: FakeGitHub, pipeline: FakePipeline,
           tmp_path: Path) -> int:
    environ = {"GITHUB_TOKEN": gh.token, "GITHUB_API_URL": gh.url,
               "GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": "77"}
    if event.comment_id:
        gh.add_repo(event.repo_full_name or "")["comments"][event.comment_id] = {
            "number": event.pr_number or 1, "body": event.comment_body,
            "user": {"login": event.commenter_login}, "reactions": []}
    return handle_comment(event, repo, environ, pipeline=pipeline,
                          output_dir=tmp_path / "out", stream=io.StringIO())


def reactions(gh: FakeGitHub, event: Event) -> list[str]:
    return list(gh.repos[REPO]["comments"][event.comment_id]["reactions"])


def test_read_permission_is_refused_without_running(git_repo: Path, gh: FakeGitHub,
                                                    tmp_path: Path) -> None:
    pipeline, event = FakePipeline(), comment_event("/tta test", login="reader")
    assert handle(event, git_repo, gh, pipeline, tmp_path) == 0
    assert pipeline.calls == []
    (reply,) = [c for c in gh.comments(REPO, 1) if c["id"] != event.comment_id]
    assert "tta-ci runs only for write, admin (your role: read)" in reply["body"]
    assert reactions(gh, event) == []


def test_write_permission_runs_and_updates_the_sticky_comment(
        git_repo: Path, gh: FakeGitHub, shas: tuple[str, str], tmp_path: Path) -> None:
    pipeline, event = FakePipeline(), comment_event("LGTM\n/tta test calc.py --max-tasks 2")
    assert handle(event, git_repo, gh, pipeline, tmp_path) == 0
    (call,) = pipeline.calls
    assert (call["base"], call["head"], call["targets"]) == (shas[0], shas[1], ["calc.py"])
    assert call["config"].max_tasks == 2 and call["config"].mode == "comment"
    assert call["config"].comment_permissions == ("write", "admin")  # from the base branch
    sticky = [c for c in gh.comments(REPO, 1) if c["body"].startswith(MARKER)]
    assert len(sticky) == 1 and "def test_add_small_numbers" in sticky[0]["body"]
    assert "[workflow run](https://github.com/runatlantis/atlantis-tests/actions/runs/77)" \
        in sticky[0]["body"]
    assert len(gh.calls("PATCH", r"/issues/comments/")) == 1  # progress, then the result
    assert reactions(gh, event) == ["eyes", "rocket"]
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["head"] == shas[1]


def test_config_comes_from_the_base_branch(git_repo: Path, gh: FakeGitHub,
                                           tmp_path: Path) -> None:
    # The head commit widens comment_permissions to "read"; the base branch's file decides.
    pipeline, event = FakePipeline(), comment_event("/tta test", login="reader")
    handle(event, git_repo, gh, pipeline, tmp_path)
    assert pipeline.calls == []


@pytest.mark.parametrize(
    ("login", "user_type", "body"),
    [
        pytest.param("github-actions[bot]", "Bot", "/tta test", id="bot"),
        pytest.param("renovate[bot]", "User", "/tta test", id="bot-login"),
        pytest.param("maintainer", "User", f"{MARKER}\n/tta test", id="own-comment"),
        pytest.param("maintainer", "User", "no command here", id="no-command"),
    ],
)
def test_ignored_comments_make_no_request(git_repo: Path, gh: FakeGitHub, tmp_path: Path,
                                          login: str, user_type: str, body: str) -> None:
    pipeline = FakePipeline()
    event = comment_event(body, login=login, user_type=user_type)
    assert handle(event, git_repo, gh, pipeline, tmp_path) == 0
    assert pipeline.calls == [] and gh.requests == []


def test_plain_issue_gets_a_short_reply(git_repo: Path, gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_issue("Codertocat/Hello-World", 1)
    pipeline = FakePipeline()
    event = comment_event("/tta test", fixture="issue_comment.created.json")
    assert not event.is_pull_request_comment
    assert handle(event, git_repo, gh, pipeline, tmp_path) == 0
    assert pipeline.calls == []
    (reply,) = [c for c in gh.comments("Codertocat/Hello-World", 1) if c["user"] == BOT]
    assert "work on pull requests only" in reply["body"]


def test_help_and_refused_arguments_get_replies(git_repo: Path, gh: FakeGitHub,
                                                tmp_path: Path) -> None:
    pipeline = FakePipeline()
    event = comment_event("/tta help\n/tta test --api-base http://evil.example")
    handle(event, git_repo, gh, pipeline, tmp_path)
    replies = [c["body"] for c in gh.comments(REPO, 1) if c["user"] == BOT]
    assert "`/tta config`" in replies[0]
    assert "Not run: unknown option `--api-base`" in replies[1]
    assert pipeline.calls == [] and reactions(gh, event) == ["eyes", "confused"]


def test_config_reply_is_redacted(git_repo: Path, gh: FakeGitHub, tmp_path: Path) -> None:
    handle(comment_event("/tta config"), git_repo, gh, FakePipeline(), tmp_path)
    (reply,) = [c["body"] for c in gh.comments(REPO, 1) if c["user"] == BOT]
    assert "comment_permissions = ['write', 'admin']" in reply and gh.token not in reply




def test_a_comment_runs_at_most_a_few_commands(git_repo: Path, gh: FakeGitHub,
                                               tmp_path: Path) -> None:
    pipeline = FakePipeline()
    event = comment_event("\n".join(["/tta help"] * 200))
    handle(event, git_repo, gh, pipeline, tmp_path)
    replies = [c["body"] for c in gh.comments(REPO, 1) if c["user"] == BOT]
    assert len(replies) == MAX_COMMANDS + 1
    assert f"Only the first {MAX_COMMANDS} `/tta` commands of a comment run: the other " \
           f"{200 - MAX_COMMANDS} were not run." in replies[-1]
