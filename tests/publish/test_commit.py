"""tta_ci.publish.commit (mode commit): the tests pushed onto the tested head, or a comment when
that is not safe."""

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
from tta_ci.publish.commit import CommitPublisher, commit_message, push_refusal
from tta_ci.publish.modes import publish

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


def test_commit_pushes_tests_onto_the_tested_head(git_repo: Path, pr: tuple[Path, str],
                                                  gh: FakeGitHub) -> None:
    bare, head = pr
    result = run_publish(git_repo, gh, "commit", head)
    pushed = git(bare, "rev-parse", "changes")
    assert result.mode == "commit" and result.commit_sha == pushed
    assert git(bare, "rev-parse", "changes^") == head
    assert "def test_add_small_numbers" in git(bare, "show", "changes:tests/test_calc.py")
    assert git(bare, "log", "-1", "--format=%s", "changes") == "tta-ci: add tests for calc.py::add"
    assert git(git_repo, "status", "--porcelain") == ""  # the checkout is untouched
    assert not (git_repo / "tests").exists()
    (comment,) = gh.comments(REPO, 2)
    assert f"committed 1 test file(s) to `changes` as {pushed[:12]}" in comment["body"]


def test_commit_refuses_when_the_branch_moved(git_repo: Path, pr: tuple[Path, str],
                                              gh: FakeGitHub, tmp_path: Path) -> None:
    bare, head = pr
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", "changes", str(bare), str(other))
    (other / "README").write_text("moved\n")
    git(other, "add", "README")
    git(other, "commit", "-q", "-m", "another push")
    git(other, "push", "-q", "origin", "changes")
    moved = git(bare, "rev-parse", "changes")
    result = run_publish(git_repo, gh, "commit", head)
    assert result.mode == "comment" and result.commit_sha is None
    assert git(bare, "rev-parse", "changes") == moved  # nothing pushed
    (comment,) = gh.comments(REPO, 2)
    assert f"moved from {head[:12]} (tested) to {moved[:12]}" in comment["body"]
    assert "def test_add_small_numbers" in comment["body"]


def test_commit_never_pushes_to_a_fork(git_repo: Path, pr: tuple[Path, str],
                                       gh: FakeGitHub) -> None:
    bare, head = pr
    result = run_publish(git_repo, gh, "commit", head, fork=True)
    assert result.mode == "comment" and git(bare, "rev-parse", "changes") == head
    assert "comes from a fork" in gh.comments(REPO, 2)[0]["body"]




TARGET = PullTarget(repo_full_name=REPO, number=2, head_ref="changes", head_sha="1" * 40)


@pytest.mark.parametrize(
    ("target", "remote", "expected"),
    [
        pytest.param(TARGET, "1" * 40, None, id="still-the-tested-head"),
        pytest.param(TARGET.model_copy(update={"is_fork": True}), "1" * 40,
                     "this pull request comes from a fork: tta-ci does not push to forks, so "
                     "the tests are in this comment instead", id="fork"),
        pytest.param(TARGET, None, "the branch `changes` no longer exists: nothing was pushed",
                     id="deleted"),
        pytest.param(TARGET, "2" * 40, "the branch `changes` moved from 111111111111 (tested) to "
                     "222222222222 during the run: nothing was pushed; rerun on the new head",
                     id="moved"),
    ],
)
def test_push_refusal(target: PullTarget, remote: str | None, expected: str | None) -> None:
    assert push_refusal(target, "1" * 40, remote) == expected


def test_commit_message_names_at_most_five_targets() -> None:
    tasks = [task(id=f"m.py::f{i}", test_file=f"tests/test_{i}.py") for i in range(7)]
    message = commit_message(tasks, "a" * 40)
    subject, _, rest = message.partition("\n\n")
    assert subject == "tta-ci: add tests for m.py::f0, m.py::f1, m.py::f2, m.py::f3, m.py::f4 " \
                      "and 2 more"
    assert rest.splitlines()[0] == "- tests/test_0.py: m.py::f0"
    assert message.endswith(f"on {'a' * 40}.") and CommitPublisher.name == "commit"
