"""tta_ci.publish.sweep: the sweep's one pull request from tta-ci's own branch."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.github_server import FakeGitHub, fake_github
from support.gitrepo import CommitFn, git
from support.publish_data import document, task

from tta_ci.core.config import Config
from tta_ci.core.errors import GitHubError, UsageError
from tta_ci.core.report import MetricsDocument
from tta_ci.publish.base import PublishContext, PublishResult
from tta_ci.publish.sweep import (
    SWEEP_BRANCH,
    SweepPublisher,
    foreign_commits,
    preflight,
    sweep_body,
)

REPO = "octo/calc"


@pytest.fixture
def origin(git_repo: Path, commit: CommitFn, tmp_path: Path) -> tuple[Path, str]:
    head = commit({"calc.py": "def add(a, b):\n    return a + b\n"}, "calc")
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(git_repo, "remote", "add", "origin", str(bare))
    git(git_repo, "push", "-q", "origin", "main")
    return bare, head


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        fake.add_repo(REPO)
        yield fake


def _doc(head: str, **fields: object) -> MetricsDocument:
    gaps = {"gaps": [{"id": "calc.py::add", "uncovered_lines": [2]}]}
    return document([task()], head=head, mode="pr", sweep=gaps, **fields)


def _publish(repo: Path, gh: FakeGitHub, doc: MetricsDocument) -> PublishResult:
    ctx = PublishContext(repo=repo, config=Config(mode="pr"),
                         environ={"GITHUB_TOKEN": gh.token, "GITHUB_API_URL": gh.url,
                                  "GITHUB_REPOSITORY": REPO},
                         event=None, output_dir=repo / "out", stream=io.StringIO())
    return SweepPublisher().publish(doc, ctx)


def test_one_pull_request_updated_while_open_and_replaced_when_closed(
    git_repo: Path, origin: tuple[Path, str], gh: FakeGitHub
) -> None:
    bare, head = origin
    first = _publish(git_repo, gh, _doc(head))
    assert first.mode == "pr" and first.branch == SWEEP_BRANCH
    assert first.notes == [f"opened {first.pull_url} with 1 test file(s) from `{SWEEP_BRANCH}`"]
    assert git(bare, "rev-parse", f"{SWEEP_BRANCH}^") == head
    assert "def test_add_small_numbers" in git(bare, "show", f"{SWEEP_BRANCH}:tests/test_calc.py")
    second = _publish(git_repo, gh, _doc(head))
    assert second.pull_url == first.pull_url and second.notes[0].startswith("updated ")
    assert git(bare, "rev-parse", SWEEP_BRANCH) == second.commit_sha
    assert git(bare, "rev-parse", f"{SWEEP_BRANCH}^") == head  # replaced, not stacked
    assert len(gh.calls("POST", r"/pulls$")) == 1 and len(gh.calls("PATCH", r"/pulls/")) == 1
    (number,) = gh.pulls(REPO)
    gh.close_pull(REPO, number)
    third = _publish(git_repo, gh, _doc(head))
    assert third.notes[0].startswith("opened ") and len(gh.pulls(REPO)) == 2


def test_commits_of_someone_else_on_the_branch_are_never_pushed_over(
    git_repo: Path, origin: tuple[Path, str], gh: FakeGitHub, commit: CommitFn
) -> None:
    bare, head = origin
    _publish(git_repo, gh, _doc(head))
    git(git_repo, "fetch", "-q", "origin", SWEEP_BRANCH)
    git(git_repo, "checkout", "-q", "-b", "mine", "FETCH_HEAD")
    theirs = commit({"notes.txt": "my work\n"}, "work of a person")
    git(git_repo, "push", "-q", "origin", f"mine:{SWEEP_BRANCH}")
    git(git_repo, "checkout", "-q", "main")
    result = _publish(git_repo, gh, _doc(head))
    assert result.mode == "summary" and result.commit_sha is None
    assert result.notes == [f"`{SWEEP_BRANCH}` holds commits tta-ci did not make "
                            f"({theirs[:12]}): nothing was pushed; merge or delete that branch"]
    assert git(bare, "rev-parse", SWEEP_BRANCH) == theirs
    assert len(gh.calls("POST", r"/pulls$")) == 1 and gh.calls("PATCH", r"/pulls/") == []


def test_nothing_accepted_opens_nothing(git_repo: Path, origin: tuple[Path, str],
                                        gh: FakeGitHub) -> None:
    bare, head = origin
    result = _publish(git_repo, gh, document([task("rejected")], head=head))
    assert (result.mode, result.notes) == ("summary", ["no accepted test: no pull request"])
    assert gh.requests == [] and git(bare, "branch", "--list", SWEEP_BRANCH) == ""


def test_foreign_commits() -> None:
    assert foreign_commits([("a" * 40, "tta-ci: add tests\n\nTta-ci: sweep"),
                            ("b" * 40, "fix\n\nmentions Tta-ci: sweep inline")]) == ["b" * 40]


def test_sweep_body() -> None:
    doc = _doc("f" * 40)
    lines = sweep_body(doc, [task(), task(id="calc.py::sub", tests=["t1", "t2"])],
                       "f" * 40).splitlines()
    assert lines[2:4] == [
        "- `calc.py::add` (lines 2 not run): 1 test(s) in `tests/test_calc.py`",
        "- `calc.py::sub` (untested): 2 test(s) in `tests/test_calc.py`"]
    assert "ffffffffffff" in lines[0] and SWEEP_BRANCH in lines[-1]


@pytest.mark.parametrize(
    ("mode", "environ", "error", "message"),
    [
        pytest.param("comment", {}, UsageError, "a sweep has no pull request to comment on",
                     id="comment"),
        pytest.param("pr", {"GITHUB_TOKEN": "t"}, GitHubError, "GITHUB_REPOSITORY is not set",
                     id="no-repository"),
        pytest.param("pr", {"GITHUB_REPOSITORY": REPO}, GitHubError, "needs GITHUB_TOKEN",
                     id="no-token"),
    ],
)
def test_preflight(mode: str, environ: dict[str, str], error: type[Exception],
                   message: str) -> None:
    with pytest.raises(error, match=message):
        preflight(mode, environ, None)
    preflight("files", {}, None)
