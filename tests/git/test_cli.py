"""tta_ci.git.cli on real repositories: the paths holding uncommitted work, the staged names, the
index snapshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.core.errors import GitError
from tta_ci.git import cli as gitcli
from tta_ci.git.cli import index_snapshot, protected_paths, staged_names


def test_protected_paths_and_the_staged_snapshot(git_repo: Path, commit: CommitFn) -> None:
    commit({"pkg/calc.py": "A = 1\n", "pkg/clean.py": "C = 1\n", "pkg/edited.py": "E = 1\n"})
    write(git_repo, {"pkg/calc.py": "A = 2\n", "pkg/new.py": "N = 1\n"})
    git(git_repo, "add", "pkg/calc.py")
    write(git_repo, {"pkg/calc.py": "A = 3\n", "pkg/edited.py": "E = 2\n"})
    assert protected_paths(git_repo) == {"pkg/calc.py", "pkg/edited.py", "pkg/new.py"}
    assert staged_names(git_repo) == ["pkg/calc.py"]
    head = git(git_repo, "rev-parse", "HEAD")
    sha = index_snapshot(git_repo, {})
    assert git(git_repo, "show", f"{sha}:pkg/calc.py") == "A = 2"
    assert git(git_repo, "rev-parse", f"{sha}^") == head
    assert git(git_repo, "rev-parse", "HEAD") == head  # no ref moved
    assert (git_repo / "pkg/calc.py").read_text() == "A = 3\n"


def test_a_failing_command_is_one_line_naming_git_and_its_complaint(git_repo: Path) -> None:
    with pytest.raises(GitError) as info:
        gitcli.run(git_repo, "rev-parse", "--verify", "no-such-ref")
    message = str(info.value)
    assert message.startswith(f"git rev-parse failed in {git_repo}: fatal: ")
    assert "\n" not in message
    with pytest.raises(GitError, match="cannot run git in"):
        gitcli.run(git_repo / "missing", "status")


def test_root_and_toplevel(git_repo: Path) -> None:
    (git_repo / "sub").mkdir()
    assert gitcli.repo_root(git_repo / "sub") == git_repo
    assert gitcli.is_toplevel(git_repo) and not gitcli.is_toplevel(git_repo / "sub")
    assert not gitcli.is_toplevel(git_repo.parent)  # not a repository at all


def test_show_listed_and_changed_files(git_repo: Path, commit: CommitFn) -> None:
    sha = commit({"a.py": "A = 1\n", "gone.py": "G = 1\n", ".gitignore": "*.log\n"})
    write(git_repo, {"a.py": "A = 2\n", "new.py": "N = 1\n", "debug.log": "x\n"})
    (git_repo / "gone.py").unlink()
    assert gitcli.show(git_repo, sha, "a.py") == "A = 1\n"
    assert gitcli.show(git_repo, sha, "new.py") is None
    assert sorted(gitcli.listed_files(git_repo)) == [".gitignore", "a.py", "gone.py", "new.py"]
    assert gitcli.changed_paths(git_repo) == ["a.py", "gone.py", "new.py"]
    assert gitcli.changed_paths(git_repo.parent) == []  # no repository: nothing changed


def test_commits_remotes_and_worktrees(git_repo: Path, commit: CommitFn, tmp_path: Path) -> None:
    first = commit({"m.py": "V = 1\n"})
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(git_repo, "remote", "add", "origin", str(bare))
    git(git_repo, "push", "-q", "origin", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    second = commit({"m.py": "V = 2\n"})
    git(git_repo, "push", "-q", "origin", "main")
    assert gitcli.ls_remote(clone, "main") == second
    assert gitcli.ls_remote(clone, "nope") is None
    assert gitcli.has_commit(clone, first) and not gitcli.has_commit(clone, second)
    gitcli.ensure_commit(clone, second, "main")
    assert gitcli.has_commit(clone, second)
    with gitcli.worktree(clone, first) as path:
        assert (path / "m.py").read_text() == "V = 1\n"
        assert str(path) in git(clone, "worktree", "list")
    assert not path.exists() and str(path) not in git(clone, "worktree", "list")


def test_identity_only_when_the_checkout_names_nobody(git_repo: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert gitcli.identity_args(git_repo) == []
    monkeypatch.setenv("HOME", str(tmp_path))  # no global identity either
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    anonymous = tmp_path / "anon"
    anonymous.mkdir()
    git(anonymous, "init", "-q")
    assert gitcli.identity_args(anonymous) == [
        "-c", "user.name=github-actions[bot]",
        "-c", "user.email=41898282+github-actions[bot]@users.noreply.github.com"]


def test_index_snapshot_of_a_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, {"a.py": "A = 1\n"})
    git(tmp_path, "add", "a.py")
    sha = gitcli.index_snapshot(tmp_path, {})
    assert git(tmp_path, "show", f"{sha}:a.py") == "A = 1"
    assert git(tmp_path, "log", "--format=%an|%P", "-1", sha) == "github-actions[bot]|"


def test_remote_env_hands_the_token_to_one_git_process(git_repo: Path) -> None:
    git(git_repo, "remote", "add", "origin", "https://github.com/octo/calc")
    assert gitcli.remote_env(git_repo, {"PATH": "/usr/bin:/bin"}) is None
    env = gitcli.remote_env(git_repo, {"GITHUB_TOKEN": "ghs_abc", "GIT_CONFIG_COUNT": "1",
                                       "GIT_CONFIG_KEY_0": "core.pager",
                                       "GIT_CONFIG_VALUE_0": "cat"})
    assert env is not None and env["GIT_CONFIG_COUNT"] == "2"
    assert env["GIT_CONFIG_KEY_1"] == "http.https://github.com/.extraheader"
    assert env["GIT_CONFIG_VALUE_1"] == "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX2FiYw=="
    out = gitcli.run(git_repo, "config", "--get", "http.https://github.com/.extraheader", env={
        **env, "PATH": "/usr/bin:/bin"})
    assert out == env["GIT_CONFIG_VALUE_1"]  # git sees it; no file holds it
    assert "extraheader" not in (git_repo / ".git" / "config").read_text()
    git(git_repo, "config", "http.https://github.com/.extraheader", "AUTHORIZATION: persisted")
    assert gitcli.remote_env(git_repo, {"GITHUB_TOKEN": "ghs_abc"}) is None  # not twice


def test_prune_worktrees_forgets_the_folders_a_killed_run_left(git_repo: Path,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "wt"
    git(git_repo, "worktree", "add", "--detach", "--quiet", str(path), "HEAD")
    shutil.rmtree(path)
    assert str(path) in git(git_repo, "worktree", "list")
    gitcli.prune_worktrees(git_repo)
    assert str(path) not in git(git_repo, "worktree", "list")


def test_commits_between_lists_the_commits_only_the_tip_has(git_repo: Path,
                                                            commit: CommitFn) -> None:
    base = commit({"a.py": "A = 1\n"}, "base")
    one = commit({"a.py": "A = 2\n"}, "one\n\nbody line\nTrailer: x")
    two = commit({"a.py": "A = 3\n"}, "two")
    assert gitcli.commits_between(git_repo, two, base) == [
        (two, "two"), (one, "one\n\nbody line\nTrailer: x")]
    assert gitcli.commits_between(git_repo, base, two) == []


def test_remote_env_gives_the_token_to_git_for_a_github_remote_only(git_repo: Path) -> None:
    environ = {"GITHUB_TOKEN": "ghs_remote_token", "GIT_CONFIG_COUNT": "1", "PATH": "/bin"}
    assert gitcli.remote_env(git_repo, environ) is None  # no origin at all
    git(git_repo, "remote", "add", "origin", "/srv/git/calc.git")
    assert gitcli.remote_env(git_repo, environ) is None  # not GitHub
    git(git_repo, "remote", "set-url", "origin", "https://github.com/octo/calc")
    env = gitcli.remote_env(git_repo, environ)
    assert env is not None and env["PATH"] == "/bin" and env["GIT_CONFIG_COUNT"] == "2"
    assert env["GIT_CONFIG_KEY_1"] == "http.https://github.com/.extraheader"
    basic = "eC1hY2Nlc3MtdG9rZW46Z2hzX3JlbW90ZV90b2tlbg=="  # x-access-token:ghs_remote_token
    assert env["GIT_CONFIG_VALUE_1"] == f"AUTHORIZATION: basic {basic}"
    assert gitcli.remote_env(git_repo, {"PATH": "/bin"}) is None  # no token
    git(git_repo, "config", "http.https://github.com/.extraheader", "AUTHORIZATION: basic x")
    assert gitcli.remote_env(git_repo, environ) is None  # the checkout kept its credentials
    ghe = {"GITHUB_TOKEN": "t0ken_value", "GITHUB_SERVER_URL": "https://ghe.example.com/"}
    git(git_repo, "remote", "set-url", "origin", "https://ghe.example.com/octo/calc.git")
    assert gitcli.remote_env(git_repo, ghe)["GIT_CONFIG_KEY_0"] == (  # type: ignore[index]
        "http.https://ghe.example.com/.extraheader")
