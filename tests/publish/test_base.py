"""tta_ci.publish.base: what a publisher is given, and the pull request it targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import EVENTS

from tta_ci.core.config import Config
from tta_ci.core.errors import GitHubError
from tta_ci.github.event import PullTarget, parse_event
from tta_ci.publish.base import PublishContext, PublishResult, default_github


def test_the_target_is_the_events_pull_request_unless_one_is_given(tmp_path: Path) -> None:
    payload = json.loads((EVENTS / "pull_request.opened.json").read_text())
    event = parse_event("pull_request", payload)
    ctx = PublishContext(repo=tmp_path, config=Config(), environ={}, event=event,
                         output_dir=tmp_path)
    assert ctx.target == PullTarget(
        repo_full_name="Codertocat/Hello-World", number=2, head_ref="changes",
        head_sha="ec26c3e57ca3a959ca5aad62de7213c562f8c821", base_ref="master",
        base_sha="f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        head_repo_full_name="Codertocat/Hello-World", is_fork=False)
    other = PullTarget(repo_full_name="a/b", number=7)
    assert PublishContext(repo=tmp_path, config=Config(), environ={}, event=event,
                          output_dir=tmp_path, pull=other).target is other
    push = parse_event("push", json.loads((EVENTS / "push.json").read_text()))
    assert PublishContext(repo=tmp_path, config=Config(), environ={}, event=push,
                          output_dir=tmp_path).target is None


def test_the_default_client_needs_a_token() -> None:
    with pytest.raises(GitHubError, match="GITHUB_TOKEN is not set"):
        default_github({})
    assert default_github({"GITHUB_TOKEN": "ghs_x", "GITHUB_API_URL": "http://127.0.0.1:9"})


def test_a_result_starts_with_nothing_done() -> None:
    result = PublishResult(mode="summary", requested_mode="comment")
    assert (result.notes, result.files, result.comment_id, result.commit_sha) == ([], [], None,
                                                                                  None)
