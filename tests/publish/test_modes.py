"""tta_ci.publish.modes: the mode's publisher, preflight, and the Actions files written
for every mode."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import EVENTS as FIXTURES
from support.github_server import FakeGitHub, fake_github
from support.publish_data import REPO, bug_task, context, document, pr_event, task

from tta_ci.core.config import Config
from tta_ci.core.errors import ConfigError, GitHubError
from tta_ci.github.event import parse_event
from tta_ci.publish.modes import get_publisher, preflight, publish


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        fake.add_pull(REPO, 2, head_ref="changes", head_sha="2" * 40)
        yield fake


@pytest.mark.parametrize("mode", ["none", "summary", "files", "comment", "commit", "pr"])
def test_each_mode_has_a_publisher_of_its_name(mode: str) -> None:
    assert get_publisher(mode).name == mode


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


def test_a_fallback_is_recorded_in_the_run_files(tmp_path: Path, gh: FakeGitHub) -> None:
    from tta_ci.publish.outputs import write_documents

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
