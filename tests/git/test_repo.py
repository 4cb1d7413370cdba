"""tta_ci.git.repo on real repositories: refs, merge-base, diffs, file contents, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.core.errors import GitError
from tta_ci.git import repo as gitops


def test_open_repo_from_a_subdirectory_and_errors(git_repo: Path, tmp_path: Path) -> None:
    (git_repo / "sub").mkdir()
    repo = gitops.open_repo(git_repo / "sub")
    assert Path(str(repo.working_tree_dir)) == git_repo
    with pytest.raises(GitError, match="not a git repository; check --repo"):
        gitops.open_repo(tmp_path)
    with pytest.raises(GitError, match="no such directory"):
        gitops.open_repo(tmp_path / "missing")


def test_resolve_head_and_unknown_refs(git_repo: Path, commit: CommitFn) -> None:
    sha = commit({"a.py": "x = 1\n"})
    repo = gitops.open_repo(git_repo)
    assert gitops.head_sha(repo) == sha == gitops.resolve(repo, "main")
    with pytest.raises(GitError, match=r"^'nope': unknown revision"):
        gitops.resolve(repo, "nope")
    with pytest.raises(GitError, match="unknown revision"):
        gitops.resolve(repo, "--output=/tmp/x")


def test_merge_base_and_default_base(git_repo: Path, commit: CommitFn) -> None:
    fork = commit({"a.py": "x = 1\n"})
    git(git_repo, "checkout", "-q", "-b", "feature")
    first = commit({"a.py": "x = 2\n"})
    commit({"a.py": "x = 3\n"})
    git(git_repo, "checkout", "-q", "main")
    commit({"b.py": "y = 1\n"})
    git(git_repo, "checkout", "-q", "feature")
    repo = gitops.open_repo(git_repo)
    assert gitops.merge_base(repo, "main", "feature") == fork
    assert gitops.upstream(repo) == "main"
    assert gitops.default_base(repo) == fork
    git(git_repo, "checkout", "-q", "main")
    assert gitops.default_base(repo) == gitops.resolve(repo, "main~1")
    git(git_repo, "branch", "-q", "--set-upstream-to", "feature")
    assert gitops.upstream(repo) == "feature"
    assert gitops.default_base(repo, "feature") == first


def test_default_base_of_a_root_commit_is_the_empty_tree(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")
    write(tmp_path, {"a.py": "x = 1\n"})
    git(tmp_path, "add", "a.py")
    git(tmp_path, "commit", "-q", "-m", "root")
    repo = gitops.open_repo(tmp_path)
    assert gitops.upstream(repo) is None
    assert gitops.default_base(repo) == gitops.EMPTY_TREE
    assert "+x = 1" in gitops.diff_text(repo, gitops.EMPTY_TREE, "HEAD")


def test_diffs_of_commits_index_and_working_tree(git_repo: Path, commit: CommitFn) -> None:
    base = commit({"a.py": "x = 1\n", "b.py": "y = 1\n"})
    head = commit({"a.py": "x = 2\n"})
    write(git_repo, {"b.py": "y = 2\n"})
    git(git_repo, "add", "b.py")
    write(git_repo, {"a.py": "x = 3\n"})
    repo = gitops.open_repo(git_repo)
    assert "-x = 1\n+x = 2" in gitops.diff_text(repo, base, head)
    staged = gitops.diff_text(repo, "HEAD", gitops.INDEX)
    assert "+y = 2" in staged and "a.py" not in staged
    worktree = gitops.diff_text(repo, "HEAD", gitops.WORKTREE, paths=["a.py"])
    assert "+x = 3" in worktree and "b.py" not in worktree
    with pytest.raises(GitError, match="cannot diff 'nope'"):
        gitops.diff_text(repo, "nope", head)


def test_diff_ignores_user_diff_configuration(git_repo: Path, commit: CommitFn) -> None:
    base = commit({"a.py": "x = 1\n"})
    head = commit({"a.py": "x = 2\n"})
    git(git_repo, "config", "diff.noprefix", "true")
    git(git_repo, "config", "color.diff", "always")
    text = gitops.diff_text(gitops.open_repo(git_repo), base, head)
    assert text.startswith("diff --git a/a.py b/a.py") and "\x1b[" not in text


def test_show_and_list_files(git_repo: Path, commit: CommitFn) -> None:
    sha = commit({"a.py": "x = 1\n", "dir/ü.py": "y = 'ü'\n"})
    (git_repo / "bin.dat").write_bytes(b"\xff\x00")
    git(git_repo, "add", "bin.dat")
    write(git_repo, {"new.py": ""})
    repo = gitops.open_repo(git_repo)
    assert gitops.show(repo, sha, "dir/ü.py") == "y = 'ü'\n"
    assert gitops.show(repo, sha, "missing.py") is None
    assert gitops.show(repo, sha, "dir") is None
    assert gitops.show_bytes(repo, gitops.INDEX, "bin.dat") == b"\xff\x00"
    with pytest.raises(GitError, match=r"bin\.dat at index: not UTF-8"):
        gitops.show(repo, gitops.INDEX, "bin.dat")
    assert gitops.list_files(repo, sha) == ["a.py", "dir/ü.py"]
    assert gitops.list_files(repo) == ["a.py", "bin.dat", "dir/ü.py"]
    assert gitops.untracked_files(repo) == ["new.py"]
