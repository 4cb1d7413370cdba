from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from github_server import FakeGitHub, fake_github
from publish_data import bug_task, document, task

from tta_ci.core.config import Config
from tta_ci.core.errors import ConfigError, GitHubError
from tta_ci.github.api import MARKER
from tta_ci.github.event import Event, parse_event
from tta_ci.publish import PublishContext, get_publisher, preflight, publish
from tta_ci.publish.actions import annotation_lines, format_outputs
from tta_ci.publish.sticky import COMMENT_LIMIT, fence, render_comment

FIXTURES = Path(__file__).parent / "fixtures" / "events"
REPO = "Codertocat/Hello-World"


def pr_event(**pr_fields: Any) -> Event:
    payload = json.loads((FIXTURES / "pull_request.opened.json").read_text())
    payload["pull_request"]["head"].update(pr_fields)
    return parse_event("pull_request", payload)


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        fake.add_pull(REPO, 2, head_ref="changes", head_sha="2" * 40)
        yield fake


def context(tmp_path: Path, fake: FakeGitHub | None, mode: str, event: Event | None,
            **environ: str) -> PublishContext:
    env = dict(environ)
    if fake is not None:
        env.update(GITHUB_TOKEN=fake.token, GITHUB_API_URL=fake.url)
    return PublishContext(repo=tmp_path, config=Config(mode=mode), environ=env, event=event,
                          output_dir=tmp_path / "out", stream=io.StringIO())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({"accepted": "3"}, "accepted=3\n", id="single-line"),
        pytest.param({"a": "1", "b": "x y"}, "a=1\nb=x y\n", id="several"),
        pytest.param({"notes": "one\ntwo"}, "notes<<EOF_X\none\ntwo\nEOF_X\n", id="multi-line"),
    ],
)
def test_format_outputs(values: dict[str, str], expected: str) -> None:
    assert format_outputs(values, delimiter="EOF_X") == expected


def test_multiline_output_refuses_its_delimiter() -> None:
    with pytest.raises(GitHubError, match="delimiter"):
        format_outputs({"x": "a\nEOF_X\nb"}, delimiter="EOF_X")


def test_annotations_are_escaped() -> None:
    doc = document([bug_task().model_copy(update={"symbol": "div,x"})])
    doc.tasks[0].possible_bugs[0] = doc.tasks[0].possible_bugs[0].model_copy(
        update={"message": "100% wrong\n::error::injected"})
    (line,) = annotation_lines(doc)
    prefix = "::warning file=calc.py,line=7,title=tta-ci%3A possible bug in div%2Cx::"
    assert line.startswith(prefix)
    assert line.endswith("test_div_by_one: 100%25 wrong%0A::error::injected")
    assert "\n" not in line


def test_unknown_mode_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'review' is not a publishing mode; use one of: none"):
        get_publisher("review")


def test_actions_files_written_for_every_mode(tmp_path: Path) -> None:
    summary, outputs = tmp_path / "step_summary.md", tmp_path / "output.txt"
    ctx = context(tmp_path, None, "summary", None, GITHUB_STEP_SUMMARY=str(summary),
                  GITHUB_OUTPUT=str(outputs), GITHUB_ACTIONS="true")
    result = publish(document([task(), bug_task()]), ctx)
    assert result.mode == "summary" and result.step_summary == str(summary)
    assert "1 accepted, 0 rejected, 1 possible bug of 2 tasks" in summary.read_text()
    lines = outputs.read_text().splitlines()
    assert lines == ["accepted=1", "rejected=0", "possible-bugs=1", "cost-usd=0.000200",
                     f"summary-path={tmp_path / 'out' / 'summary.md'}",
                     f"metrics-path={tmp_path / 'out' / 'metrics.json'}"]
    log = ctx.stream.getvalue()  # type: ignore[attr-defined]
    assert log.startswith("::group::tta-ci: publish (summary)\n::endgroup::\n")
    assert "::warning file=calc.py,line=7," in log


def test_nothing_written_outside_actions(tmp_path: Path) -> None:
    ctx = context(tmp_path, None, "none", None)
    result = publish(document(), ctx)
    assert result.step_summary is None and result.outputs_file is None
    assert ctx.stream.getvalue() == ""  # type: ignore[attr-defined]


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


def test_comment_without_token_is_an_error(tmp_path: Path) -> None:
    event = pr_event()
    with pytest.raises(GitHubError, match=r"^GITHUB_TOKEN is not set"):
        publish(document(), context(tmp_path, None, "comment", event))
    with pytest.raises(GitHubError, match="needs GITHUB_TOKEN to write to pull request #2"):
        preflight(Config(mode="comment"), {}, event)


def test_comment_without_event_is_an_error(tmp_path: Path, gh: FakeGitHub) -> None:
    with pytest.raises(GitHubError, match="GITHUB_EVENT_PATH is not set"):
        publish(document(), context(tmp_path, gh, "comment", None))
    with pytest.raises(GitHubError, match="GITHUB_EVENT_PATH is not set"):
        preflight(Config(mode="commit"), {"GITHUB_TOKEN": "x"}, None)
    preflight(Config(mode="files"), {}, None)


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


def test_api_errors_are_one_line(tmp_path: Path, gh: FakeGitHub) -> None:
    gh.failures.append(("POST", r"/comments$", 500))
    with pytest.raises(GitHubError, match=r"^GitHub API: comment on #2: HTTP 500: Resource"):
        publish(document(), context(tmp_path, gh, "comment", pr_event()))


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


def test_a_fallback_is_recorded_in_the_run_files(tmp_path: Path, gh: FakeGitHub) -> None:
    from tta_ci.publish import write_documents

    payload = json.loads((FIXTURES / "push.json").read_text())
    metrics_path, summary_path = write_documents(document(), tmp_path / "out")
    publish(document(), context(tmp_path, gh, "comment", parse_event("push", payload)))
    metrics = json.loads(metrics_path.read_text())
    assert metrics["mode"] == "summary"
    assert any("has no pull request" in note for note in metrics["notes"])
    assert "has no pull request" in summary_path.read_text()


def test_publish_creates_no_run_files_of_its_own(tmp_path: Path, gh: FakeGitHub) -> None:
    payload = json.loads((FIXTURES / "push.json").read_text())
    publish(document(), context(tmp_path, gh, "comment", parse_event("push", payload)))
    assert not (tmp_path / "out").exists()
