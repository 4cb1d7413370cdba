"""tta_ci.publish.pull (mode pr): a follow-up pull request onto the tested head."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import EVENTS as FIXTURES
from support.github_server import FakeGitHub, fake_github
from support.gitrepo import CommitFn, git
from support.publish_data import document, task

from tta_ci.core.config import Config
from tta_ci.github.event import Event, PullTarget, parse_event
from tta_ci.publish.base import PublishContext
from tta_ci.publish.modes import publish
from tta_ci.publish.pull import PullPublisher, follow_up_branch, pull_body

REPO = "Codertocat/Hello-World"


CALC = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def pr(git_repo: Path, commit: CommitFn, tmp_path: Path) -> tuple[Path, str]:
    """A checkout whose ``origin`` is a local bare repository with the PR branch ``changes``."""
    commit({"calc.py": "def add(a, b):\n    return 0\n"}, "base")
    git(git_repo, "checkout", "-q", "-b", "changes")
    head = commit({"calc.py": CALC}, "fix add")
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(git_repo, "remote", "add", "origin", str(bare))
    git(git_repo, "push", "-q", "origin", "main", "changes")
    git(git_repo, "checkout", "-q", "main")
    return bare, head


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        fake.add_pull(REPO, 2, head_ref="changes", head_sha="0" * 40)
        yield fake


def event(head: str, fork: bool = False) -> Event:
    payload = json.loads((FIXTURES / "pull_request.opened.json").read_text())
    payload["pull_request"]["head"].update(sha=head, ref="changes")
    if fork:
        payload["pull_request"]["head"]["repo"] = {"full_name": "someone/fork"}
    return parse_event("pull_request", payload)


def run_publish(repo: Path, gh: FakeGitHub, mode: str, head: str, fork: bool = False):  # type: ignore[no-untyped-def]
    ctx = PublishContext(repo=repo, config=Config(mode=mode),
                         environ={"GITHUB_TOKEN": gh.token, "GITHUB_API_URL": gh.url},
                         event=event(head, fork), output_dir=repo / "out", stream=io.StringIO())
    return publish(document([task()], head=head), ctx)


def test_pr_mode_opens_a_follow_up_pull_request(git_repo: Path, pr: tuple[Path, str],
                                                gh: FakeGitHub) -> None:
    bare, head = pr
    result = run_publish(git_repo, gh, "pr", head)
    branch = f"tta-ci/pr-2-{head[:10]}"
    assert result.mode == "pr" and result.branch == branch
    assert git(bare, "rev-parse", f"{branch}^") == head
    assert git(bare, "rev-parse", "changes") == head  # the PR branch itself is untouched
    (create,) = gh.calls("POST", r"/pulls$")
    assert create.body["base"] == "changes" and create.body["head"] == branch
    assert result.pull_url is not None and result.pull_url in gh.comments(REPO, 2)[0]["body"]


def test_branch_and_body_of_the_follow_up_pull_request() -> None:
    target = PullTarget(repo_full_name=REPO, number=7, head_ref="changes")
    assert follow_up_branch(target, "abcdef0123456789") == "tta-ci/pr-7-abcdef0123"
    body = pull_body(target, [task(), task(id="calc.py::sub", tests=["t1", "t2"])], "f" * 40)
    assert body.splitlines() == [
        "Tests generated and validated by tta-ci for #7 at ffffffffffff.", "",
        "- `tests/test_calc.py`: `calc.py::add` (1 tests)",
        "- `tests/test_calc.py`: `calc.py::sub` (2 tests)", "",
        "Merge this pull request into the branch to take the tests."]


def test_a_fork_gets_the_comment_instead(git_repo: Path, pr: tuple[Path, str],
                                         gh: FakeGitHub) -> None:
    _, head = pr
    ctx = PublishContext(repo=git_repo, config=Config(mode="pr"),
                         environ={"GITHUB_TOKEN": gh.token, "GITHUB_API_URL": gh.url},
                         event=event(head, fork=True), output_dir=git_repo / "out",
                         stream=io.StringIO())
    result = PullPublisher().publish(document([task()], head=head), ctx)
    assert result.mode == "comment" and gh.calls("POST", r"/pulls$") == []
    assert "opens follow-up pull requests only for branches of this repository" in \
        gh.comments(REPO, 2)[0]["body"]


def test_the_body_shows_names_as_they_are() -> None:
    target = PullTarget(repo_full_name=REPO, number=7, head_ref="changes")
    body = pull_body(target, [task(id="m.py::<module>", test_file="tests/t`x`.py")], "f" * 40)
    assert "- ``tests/t`x`.py``: `m.py::<module>` (1 tests)" in body.splitlines()
