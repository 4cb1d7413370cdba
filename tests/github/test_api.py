"""tta_ci.github.api: the REST client behind one factory; its errors are one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from github.Repository import Repository
from support.github_server import FakeGitHub, fake_github
from support.publish_data import REPO, context, document, pr_event

from tta_ci.core.errors import GitHubError
from tta_ci.github import api
from tta_ci.publish.modes import publish


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        fake.add_pull(REPO, 2, head_ref="changes", head_sha="2" * 40)
        yield fake


def test_api_errors_are_one_line(tmp_path: Path, gh: FakeGitHub) -> None:
    gh.failures.append(("POST", r"/comments$", 500))
    with pytest.raises(GitHubError, match=r"^GitHub API: comment on #2: HTTP 500: Resource"):
        publish(document(), context(tmp_path, gh, "comment", pr_event()))


def client(fake: FakeGitHub) -> Repository:
    return api.repository(api.make_github({"GITHUB_TOKEN": fake.token,
                                           "GITHUB_API_URL": fake.url + "/"}), REPO)


def test_a_missing_token_is_an_error_naming_the_way_out() -> None:
    with pytest.raises(GitHubError, match=r"^GITHUB_TOKEN is not set; pass `github-token`"):
        api.make_github({"GITHUB_API_URL": "http://127.0.0.1:9"})


def test_pull_target_as_the_api_sees_it(gh: FakeGitHub) -> None:
    gh.add_pull(REPO, 5, head_ref="feature", head_sha="5" * 40, base_sha="4" * 40,
                head_repo="someone/Hello-World")
    own, fork = api.pull_target(client(gh), 2), api.pull_target(client(gh), 5)
    assert (own.number, own.head_ref, own.head_sha, own.base_ref, own.is_fork) == (
        2, "changes", "2" * 40, "main", False)
    assert (fork.base_sha, fork.head_repo_full_name, fork.is_fork) == (
        "4" * 40, "someone/Hello-World", True)
    with pytest.raises(api.GitHubAPIError, match="get pull request #9: HTTP 404") as info:
        api.pull_target(client(gh), 9)
    assert info.value.status == 404


def test_sticky_is_created_then_edited_and_a_bots_marker_is_preferred(gh: FakeGitHub) -> None:
    human = gh.add_comment(REPO, 2, f"{api.MARKER} quoted", {"login": "eve", "type": "User"})
    assert api.find_sticky(client(gh), 2).id == human  # type: ignore[union-attr]
    comment, created = api.upsert_sticky(client(gh), 2, "first")  # eve's cannot be edited
    assert created and comment.body == f"{api.MARKER}\nfirst"
    again, created = api.upsert_sticky(client(gh), 2, f"{api.MARKER}\nsecond")
    assert not created and again.id == comment.id
    assert [c["body"] for c in gh.comments(REPO, 2)] == [
        f"{api.MARKER} quoted", f"{api.MARKER}\nsecond"]
    assert api.find_sticky(client(gh), 2).id == comment.id  # type: ignore[union-attr]
    gh.add_issue(REPO, 3)
    assert api.find_sticky(client(gh), 3) is None


def test_replies_reactions_roles_and_pull_requests(gh: FakeGitHub) -> None:
    repo = client(gh)
    reply = api.post_comment(repo, 2, f"{api.REPLY_MARKER}\nhello")
    api.react(repo, 2, reply.id, "eyes")
    assert gh.repos[REPO]["comments"][reply.id]["reactions"] == ["eyes"]
    with pytest.raises(GitHubError, match="unknown reaction 'tada'"):
        api.react(repo, 2, reply.id, "tada")
    gh.set_role(REPO, "maintainer", "maintain")
    assert api.role_of(repo, "maintainer") == "maintain"
    assert api.role_of(repo, "stranger") == "read"
    pull = api.open_pull(repo, base="changes", head="tta-ci/tests", title="Tests", body="b")
    (create,) = gh.calls("POST", r"/pulls$")
    assert create.body == {"base": "changes", "head": "tta-ci/tests", "title": "Tests",
                           "body": "b"}
    assert pull.number == 3


@pytest.mark.parametrize(
    ("body", "own"),
    [
        pytest.param(f"{api.MARKER}\nresults", True, id="sticky"),
        pytest.param(f"{api.REPLY_MARKER}\nreply", True, id="reply"),
        pytest.param("/tta test", False, id="a-users-comment"),
    ],
)
def test_is_own_comment(body: str, own: bool) -> None:
    assert api.is_own_comment(body) is own


def test_a_transport_error_is_one_line_naming_its_kind() -> None:
    with fake_github() as dead:
        url, token = dead.url, dead.token
    gh = api.make_github({"GITHUB_TOKEN": token, "GITHUB_API_URL": url})
    with pytest.raises(GitHubError, match=r"^GitHub API: get pull request #1: ConnectionError$"):
        api.pull_target(api.repository(gh, REPO), 1)


def test_find_and_edit_the_open_pull_request_of_a_branch(gh: FakeGitHub) -> None:
    gh.add_pull(REPO, 5, head_ref="tta-ci/sweep", head_sha="5" * 40)
    gh.add_pull(REPO, 6, head_ref="tta-ci/sweep", head_sha="6" * 40, head_repo="fork/x")
    repo = api.repository(api.make_github({"GITHUB_TOKEN": gh.token, "GITHUB_API_URL": gh.url}),
                          REPO)
    assert api.default_branch(repo) == "main"
    found = api.find_open_pull(repo, head="tta-ci/sweep", base="main")
    assert found is not None and found.number == 5  # not the fork's branch of the same name
    (listed,) = gh.calls("GET", r"/pulls$")
    assert listed.query == {"state": "open", "head": "Codertocat:tta-ci/sweep", "base": "main"}
    api.edit_pull(found, title="new title", body="new body")
    assert (gh.pulls(REPO)[5]["title"], gh.pulls(REPO)[5]["body"]) == ("new title", "new body")
    gh.close_pull(REPO, 5)
    assert api.find_open_pull(repo, head="tta-ci/sweep", base="main") is None
    assert api.find_open_pull(repo, head="other", base="main") is None
