"""Issue 7's acceptance run: ``tta-ci run --mode comment`` as the Action runs it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import EVENTS as FIXTURES
from support.github_server import fake_github
from support.gitrepo import CommitFn

from tta_ci.cli.main import main

REPO = "Codertocat/Hello-World"


@pytest.mark.slow
def test_run_in_actions_comments_once_then_edits(
    git_repo: Path, commit: CommitFn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = commit({"calc.py": "def add(a, b):\n    return 0\n"}, "base")
    head = commit({"calc.py": 'def add(a, b):\n    """Add.\n\n    >>> add(2, 3)\n    5\n    """\n'
                              "    return a + b\n"}, "head")
    payload = json.loads((FIXTURES / "pull_request.opened.json").read_text())
    payload["pull_request"]["head"].update(sha=head, ref="changes")
    payload["pull_request"]["base"].update(sha=base)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    summary, outputs = tmp_path / "step_summary.md", tmp_path / "outputs.txt"
    with fake_github() as gh:
        gh.add_pull(REPO, 2, head_ref="changes", head_sha=head, base_sha=base)
        environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path),
                   "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
                   "GITHUB_EVENT_PATH": str(event), "GITHUB_TOKEN": gh.token,
                   "GITHUB_API_URL": gh.url, "GITHUB_STEP_SUMMARY": str(summary),
                   "GITHUB_OUTPUT": str(outputs), "TTA_MUTATION": "false"}
        argv = ["run", "--repo", str(git_repo), "--mode", "comment", "--backend", "offline"]
        assert main(argv, environ=environ) == 0
        assert main(argv, environ=environ) == 0
        (comment,) = gh.comments(REPO, 2)
        assert len(gh.calls("POST", r"/issues/2/comments$")) == 1
        assert len(gh.calls("PATCH", r"/issues/comments/")) == 1
    assert "def test_" in comment["body"] and "calc.py::add" in comment["body"]
    assert summary.read_text().count("## ✅ **tta-ci**: 1 accepted") == 2
    assert "accepted=1\nrejected=0\npossible-bugs=0\n" in outputs.read_text()
    assert gh.token not in capsys.readouterr().err
