"""tta_ci.sandbox.workspace: the copy of the working tree, or a worktree of a ref, removed after."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.sandbox.workspace import workspace


def test_workspace_copies_the_working_tree_as_it_is(git_repo: Path, commit: CommitFn) -> None:
    commit({"pkg/a.py": "A = 1\n", "pkg/gone.py": "G = 1\n", ".gitignore": "*.log\n"})
    write(git_repo, {"pkg/a.py": "A = 2\n", "new.py": "N = 1\n", "debug.log": "x\n"})
    (git_repo / "pkg" / "gone.py").unlink()
    before = sorted(p.relative_to(git_repo) for p in git_repo.rglob("*") if ".git" not in p.parts)
    with workspace(git_repo) as ws:
        assert ws != git_repo
        assert (ws / "pkg" / "a.py").read_text() == "A = 2\n"
        assert (ws / "new.py").read_text() == "N = 1\n"
        assert not (ws / "debug.log").exists()
        assert not (ws / "pkg" / "gone.py").exists()
        (ws / "pkg" / "a.py").write_text("changed in the copy\n")
    assert not ws.exists()
    assert (git_repo / "pkg" / "a.py").read_text() == "A = 2\n"
    after = sorted(p.relative_to(git_repo) for p in git_repo.rglob("*") if ".git" not in p.parts)
    assert after == before


def test_workspace_of_a_ref_holds_its_files_and_nothing_of_git(git_repo: Path,
                                                               commit: CommitFn) -> None:
    first = commit({"m.py": "V = 1\n", "pkg/__init__.py": ""})
    commit({"m.py": "V = 2\n"})
    worktrees = git(git_repo, "worktree", "list")
    with workspace(git_repo, ref=first) as ws:
        assert (ws / "m.py").read_text() == "V = 1\n"
        assert not (ws / ".git").exists() and not list(ws.rglob(".git"))
        assert git(git_repo, "worktree", "list") == worktrees  # nothing registered
    assert not ws.exists()
    assert (git_repo / "m.py").read_text() == "V = 2\n"


def test_workspace_bad_ref_is_git_error(git_repo: Path) -> None:
    from tta_ci.core.errors import GitError

    with pytest.raises(GitError, match="git archive failed"), workspace(git_repo, ref="no-such"):
        pass
