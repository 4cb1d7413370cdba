"""The few git facts the hook needs, read with ``git`` subprocesses (no GitPython).

``staged_names`` is on the hook's cheap path; ``protected_paths`` says which files the hook
must not write into; ``index_snapshot`` turns the staged content into a dangling commit so
that the validator checks exactly what is being committed, whatever the working tree holds.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from tta_ci.errors import GitError

__all__ = ["index_snapshot", "protected_paths", "repo_root", "staged_names"]

_SNAPSHOT_IDENTITY = {
    "GIT_AUTHOR_NAME": "tta-ci",
    "GIT_AUTHOR_EMAIL": "tta-ci@localhost",
    "GIT_COMMITTER_NAME": "tta-ci",
    "GIT_COMMITTER_EMAIL": "tta-ci@localhost",
}


def _git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, check=True,
            env=None if env is None else dict(env),
        )
    except subprocess.CalledProcessError as exc:
        lines = exc.stderr.decode(errors="replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit status {exc.returncode}"
        raise GitError(f"git {args[0]} in {repo}: {detail}") from exc
    except OSError as exc:
        raise GitError(f"cannot run git in {repo}: {exc}") from exc
    return done.stdout.decode("utf-8", errors="surrogateescape")


def _names(output: str) -> list[str]:
    return [name for name in output.split("\0") if name]


def repo_root(repo: Path) -> Path:
    """The top of the working tree that contains ``repo``."""
    return Path(_git(repo, "rev-parse", "--show-toplevel").strip())


def staged_names(repo: Path) -> list[str]:
    """Files added, copied, modified or renamed in the index (repository-relative)."""
    return _names(_git(repo, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR",
                       "--no-renames"))


def protected_paths(repo: Path) -> set[str]:
    """Files holding user work that git has not committed: staged, edited, or untracked.

    The hook never writes into one of these (it uses a sibling file instead).
    """
    staged = _names(_git(repo, "diff", "--cached", "--name-only", "-z", "--no-renames"))
    edited = _names(_git(repo, "diff", "--name-only", "-z", "--no-renames"))
    untracked = _names(_git(repo, "ls-files", "-z", "--others", "--exclude-standard"))
    return {*staged, *edited, *untracked}


def index_snapshot(repo: Path, environ: Mapping[str, str]) -> str:
    """A commit (on no branch) of the staged content; its SHA.

    Writes only git objects; refs, the index and the working tree are left as they were.
    """
    tree = _git(repo, "write-tree").strip()
    env = {**environ, **_SNAPSHOT_IDENTITY}
    args = ["commit-tree", tree, "-m", "tta-ci: staged snapshot"]
    head = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD^{commit}"], cwd=repo,
                          capture_output=True, text=True, check=False)
    if head.returncode == 0:
        args += ["-p", head.stdout.strip()]
    return _git(repo, *args, env=env).strip()
