"""tta_ci.git.cli on real repositories: the paths holding uncommitted work, the staged names, the
index snapshot."""

from __future__ import annotations

from pathlib import Path

from support.gitrepo import CommitFn, git, write

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

