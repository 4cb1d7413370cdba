"""tta_ci.publish.sticky: the one sticky pull-request comment, its fallbacks and its size limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import EVENTS as FIXTURES
from support.github_server import FakeGitHub, fake_github
from support.publish_data import REPO, context, document, pr_event, task

from tta_ci.github.api import MARKER
from tta_ci.github.event import parse_event
from tta_ci.publish.modes import publish
from tta_ci.publish.sticky import COMMENT_LIMIT, fence, render_comment


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        fake.add_pull(REPO, 2, head_ref="changes", head_sha="2" * 40)
        yield fake


def test_sticky_comment_created_once_then_edited(tmp_path: Path, gh: FakeGitHub) -> None:
    event = pr_event(sha="2" * 40, ref="changes")
    first = publish(document(), context(tmp_path, gh, "comment", event))
    assert first.mode == "comment" and first.comment_id is not None
    (comment,) = gh.comments(REPO, 2)
    assert comment["body"].startswith(MARKER) and "def test_add_small_numbers" in comment["body"]
    doc = document([task("rejected", reason="flaky: passed 2 of 3 runs")])
    second = publish(doc, context(tmp_path, gh, "comment", event))
    (comment,) = gh.comments(REPO, 2)
    assert second.comment_id == first.comment_id
    assert "flaky: passed 2 of 3 runs" in comment["body"]
    assert len(gh.calls("POST", r"/issues/2/comments$")) == 1
    assert len(gh.calls("PATCH", r"/issues/comments/")) == 1


def test_someone_elses_marker_is_not_edited(tmp_path: Path, gh: FakeGitHub) -> None:
    gh.add_comment(REPO, 2, f"{MARKER} quoted by a human", {"login": "eve", "type": "User"})
    publish(document(), context(tmp_path, gh, "comment", pr_event(sha="2" * 40)))
    bodies = [c["body"] for c in gh.comments(REPO, 2)]
    assert bodies[0] == f"{MARKER} quoted by a human" and len(bodies) == 2


def test_push_event_falls_back_to_summary(tmp_path: Path, gh: FakeGitHub) -> None:
    payload = json.loads((FIXTURES / "push.json").read_text())
    result = publish(document(), context(tmp_path, gh, "comment", parse_event("push", payload)))
    assert result.mode == "summary"
    assert result.notes == ["the push event has no pull request: "
                            "results are in the job summary only"]
    assert gh.requests == []


def test_fork_without_write_token_falls_back_to_summary(tmp_path: Path, gh: FakeGitHub) -> None:
    gh.failures.append(("POST", r"/comments$", 403))
    event = pr_event(repo={"full_name": "someone/fork"})
    assert event.is_fork
    result = publish(document(), context(tmp_path, gh, "comment", event))
    assert result.mode == "summary" and "comes from a fork" in result.notes[0]


def test_comment_fits_the_limit_without_cutting_code() -> None:
    big = "def test_x():\n    assert 1 + 1 == 2\n" + "# filler\n" * 3000
    tasks = [task(id=f"m.py::f{i}", code=big, test_file=f"tests/test_{i}.py") for i in range(6)]
    body = render_comment(document(tasks))
    assert len(body) <= COMMENT_LIMIT
    assert body.count("too long for a comment") >= 1 and body.count("```python") >= 1
    assert body.count("```") % 2 == 0


def test_fence_is_longer_than_backticks_in_code() -> None:
    assert fence("x = '```'") == "````"
    assert fence("plain") == "```"


def test_a_run_in_the_weak_sandbox_says_so_in_the_comment() -> None:
    body = render_comment(document(isolation="fallback"))
    assert '⚠️ **Weak sandbox: the configuration chose sandbox = "fallback"' in body
    assert "Weak sandbox" not in render_comment(document(isolation="bwrap"))


def test_hostile_names_cannot_break_the_comment() -> None:
    hostile = "pkg/m.py::<module>|x`y"
    doc = document([
        task(id=hostile, test_file="tests/<t>.py",
             code="def test_x():\n    assert '```' != '````'\n"),
        task("rejected", id="pkg/m.py::f", rejected_tests={"test_y": "assert <b> | `c`"}),
    ])
    body = render_comment(doc)
    assert "<summary><code>tests/&lt;t&gt;.py</code> for <code>pkg/m.py::&lt;module&gt;|x`y"\
           "</code> (1 test)</summary>" in body
    assert "`````python\ndef test_x():\n    assert '```' != '````'\n`````" in body
    assert "| ``pkg/m.py::<module>\\|x`y`` | ✅ accepted |" in body  # one row, code shown as is
    assert "- `pkg/m.py::f` `test_y`: assert &lt;b> | \\`c\\`" in body
