"""tta_ci.github.event: each recorded webhook payload, and the errors of a bad event file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import EVENTS

from tta_ci.core.errors import TtaError
from tta_ci.github.event import Event, guess_event_name, load_event, parse_event, read_event

BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def read(name: str, event_name: str) -> Event:
    event = read_event({"GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": str(EVENTS / name)})
    assert event is not None
    return event


def fields(event: Event, *names: str) -> dict[str, object]:
    return {name: getattr(event, name) for name in names}


PR_FIELDS = ("action", "repo_full_name", "base_sha", "head_sha", "base_ref", "head_ref",
             "pr_number", "head_repo_full_name", "is_fork", "sender_login")


@pytest.mark.parametrize(
    ("name", "action"),
    [("pull_request.opened.json", "opened"), ("pull_request.synchronize.json", "synchronize")],
)
def test_pull_request(name: str, action: str) -> None:
    event = read(name, "pull_request")
    assert fields(event, *PR_FIELDS) == {
        "action": action, "repo_full_name": "Codertocat/Hello-World", "base_sha": BASE,
        "head_sha": HEAD, "base_ref": "master", "head_ref": "changes", "pr_number": 2,
        "head_repo_full_name": "Codertocat/Hello-World", "is_fork": False,
        "sender_login": "Codertocat",
    }
    assert event.is_pull_request and event.comment_body is None
    assert event.payload["pull_request"]["number"] == 2


def test_pull_request_from_a_fork_and_a_deleted_head_repo() -> None:
    payload = json.loads((EVENTS / "pull_request.opened.json").read_text())
    payload["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World"
    assert parse_event("pull_request_target", payload).is_fork
    payload["pull_request"]["head"]["repo"] = None
    event = parse_event("pull_request", payload)
    assert (event.is_fork, event.head_repo_full_name) == (True, None)


def test_issue_comment_on_a_pull_request() -> None:
    event = read("issue_comment.pull_request.json", "issue_comment")
    assert fields(event, "action", "repo_full_name", "pr_number", "comment_body", "comment_id",
                  "commenter_login", "commenter_type", "is_pull_request_comment",
                  "sender_login", "base_sha", "head_sha") == {
        "action": "created", "repo_full_name": "runatlantis/atlantis-tests", "pr_number": 1,
        "comment_body": "###comment body###", "comment_id": 396926483,
        "commenter_login": "runatlantis", "commenter_type": "User",
        "is_pull_request_comment": True, "sender_login": "runatlantis",
        "base_sha": None, "head_sha": None,
    }


def test_issue_comment_on_a_plain_issue() -> None:
    event = read("issue_comment.created.json", "issue_comment")
    assert (event.is_pull_request_comment, event.pr_number, event.comment_id) == (
        False, None, 492700400
    )
    assert event.comment_body == "You are totally right! I'll get this fixed right away."


def test_review_comment() -> None:
    event = read("pull_request_review_comment.created.json", "pull_request_review_comment")
    assert (event.is_pull_request_comment, event.pr_number, event.head_sha) == (True, 2, HEAD)
    assert event.comment_body == "Maybe you should use more emoji on this line."


def test_push_of_a_deleted_tag() -> None:
    event = read("push.json", "push")
    assert fields(event, "base_sha", "head_sha", "head_ref", "pr_number", "is_fork") == {
        "base_sha": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "head_sha": None,
        "head_ref": "refs/tags/simple-tag", "pr_number": None, "is_fork": False,
    }


def test_push_and_workflow_dispatch_branches() -> None:
    push = parse_event("push", {"ref": "refs/heads/dev", "before": "0" * 40, "after": HEAD})
    assert (push.base_sha, push.head_sha, push.head_ref) == (None, HEAD, "dev")
    dispatch = parse_event("workflow_dispatch", {"ref": "refs/heads/main", "inputs": {}})
    assert (dispatch.head_ref, dispatch.base_sha) == ("main", None)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("issue_comment.created.json", "issue_comment"),
        ("pull_request.opened.json", "pull_request"),
        ("pull_request_review_comment.created.json", "pull_request_review_comment"),
        ("push.json", "push"),
    ],
)
def test_name_is_guessed_without_github_event_name(name: str, expected: str) -> None:
    assert load_event(EVENTS / name).name == expected
    assert guess_event_name({"inputs": {}}) == "workflow_dispatch"


def test_no_event_outside_actions() -> None:
    assert read_event({}) is None
    assert read_event({"GITHUB_EVENT_NAME": "push"}) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the event file"),
        ("{not json", "invalid JSON in the event file: line 1"),
        ("[1, 2]", "must hold a JSON object"),
    ],
)
def test_bad_event_file(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "event.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(TtaError, match=message) as info:
        read_event({"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(path)})
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)
    assert info.value.exit_code == 2
