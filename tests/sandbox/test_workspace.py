"""tta_ci.sandbox.workspace: the tree under test in a plain folder (the working tree, or a ref's
files), with the ignored files the package needs and nothing of git, removed after."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.sandbox.workspace import changed_files, digest, workspace


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


def test_the_ignored_files_the_package_needs_come_along_and_nothing_else(
        git_repo: Path, commit: CommitFn) -> None:
    commit({"src/shop/__init__.py": "", "src/shop/data/__init__.py": "", ".gitignore":
            "_version.py\n*.so\n.env\n*.json\n.venv/\nbuild/\n__pycache__/\n*.log\n"})
    write(git_repo, {
        "src/shop/_version.py": "version = '1.0'\n",  # setuptools-scm / hatch-vcs
        "src/shop/_speedups.cpython-311-x86_64-linux-gnu.so": "ELF",
        "src/shop/data/table.json": "{}",  # package data
        ".env": "OPENROUTER_API_KEY=sk-or-v1-in-a-dotfile\n",
        "secrets.json": '{"token": "x"}',  # not in a package
        "debug.log": "x\n",
        ".venv/lib/site.py": "x = 1\n", ".venv/pyvenv.cfg": "home = /usr\n",
        "build/lib/shop/__init__.py": "", "src/shop/__pycache__/x.pyc": "x",
    })
    with workspace(git_repo) as ws:
        for kept in ("src/shop/_version.py", "src/shop/_speedups.cpython-311-x86_64-linux-gnu.so",
                     "src/shop/data/table.json"):
            assert (ws / kept).is_file(), kept
        for left in (".env", "secrets.json", "debug.log", ".venv", "build", ".git",
                     "src/shop/__pycache__"):
            assert not (ws / left).exists(), left
    first = git(git_repo, "rev-parse", "HEAD")
    with workspace(git_repo, ref=first) as ws:  # a ref gets them too, where its tree has room
        assert (ws / "src/shop/_version.py").read_text() == "version = '1.0'\n"
        assert not (ws / ".env").exists()


def test_a_link_out_of_the_checkout_is_left_out(git_repo: Path, commit: CommitFn,
                                                tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("token")
    (git_repo / "out.txt").symlink_to(secret)
    (git_repo / "in.py").write_text("X = 1\n")
    (git_repo / "alias.py").symlink_to("in.py")
    git(git_repo, "add", "out.txt", "in.py", "alias.py")
    git(git_repo, "commit", "-q", "-m", "links")
    for ref in (None, "HEAD"):
        with workspace(git_repo, ref=ref) as ws:
            assert not (ws / "out.txt").exists() and not (ws / "out.txt").is_symlink()
            assert (ws / "alias.py").read_text() == "X = 1\n"


def test_digest_and_changed_files(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("1")
    (tmp_path / "gone.py").write_text("2")
    (tmp_path / "__pycache__").mkdir()
    before = digest(tmp_path)
    (tmp_path / "a.py").write_text("changed")
    (tmp_path / "gone.py").unlink()
    (tmp_path / "new.py").write_text("3")
    (tmp_path / "__pycache__" / "x.pyc").write_text("byproduct")
    assert changed_files(before, digest(tmp_path)) == ["a.py", "gone.py", "new.py"]
