"""``tta-ci comment``: the errors before any work, one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import EVENTS as FIXTURES

from tta_ci.cli.comment import comment
from tta_ci.cli.main import build_parser, main
from tta_ci.core.errors import GitHubError, TtaError


def test_missing_token_is_one_line_exit_2(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    event = tmp_path / "event.json"
    payload = json.loads((FIXTURES / "issue_comment.pull_request.json").read_text())
    payload["comment"]["body"] = "/tta test"
    event.write_text(json.dumps(payload))
    assert main(["comment", "--event", str(event)], environ={}) == 2
    err = capsys.readouterr().err
    assert err.startswith("tta-ci: error: GITHUB_TOKEN is not set") and err.count("\n") == 1


def test_missing_event_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["comment"], environ={"GITHUB_TOKEN": "x" * 20}) == 2
    assert capsys.readouterr().err == (
        "tta-ci: error: no event file: pass --event PATH or set GITHUB_EVENT_PATH\n")


def test_the_command_needs_an_event_file(git_repo: Path) -> None:
    args = build_parser().parse_args(["comment", "--repo", str(git_repo)])
    with pytest.raises(GitHubError, match="no event file: pass --event PATH"):
        comment(args, {})
    args = build_parser().parse_args(["comment", "--event", str(git_repo / "missing.json")])
    with pytest.raises(TtaError, match="cannot read the event file"):
        comment(args, {})
