"""``commit`` mode: the accepted tests committed to the pull request's own branch and pushed.

Only for a same-repository pull request, and only if the remote branch still points at the
commit that was tested (``git ls-remote`` right before the push, and ``--force-with-lease``
on the push itself). Otherwise nothing is pushed and the sticky comment says why.
The commit is made in a temporary worktree at the tested head, so the checkout (often the
merge commit of the pull request) is never touched.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import git

from tta_ci import __version__
from tta_ci.errors import GitError
from tta_ci.publish.base import PublishContext, PublishResult, PullTarget
from tta_ci.publish.comment import CommentPublisher, _no_pull_request, require_target
from tta_ci.publish.local import accepted_tasks, write_tests
from tta_ci.report import MetricsDocument, TaskRecord

__all__ = [
    "CommitPublisher",
    "commit_message",
    "commit_tests",
    "git_run",
    "ls_remote",
    "push_refusal",
    "temporary_worktree",
]

REMOTE = "origin"
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


def git_run(repo: Path, *args: str) -> str:
    """One git command in ``repo``; failures become a one-line ``GitError``."""
    try:
        out: str = git.Git(str(repo)).execute(["git", *args])
    except git.GitCommandError as exc:
        lines = [ln.strip() for ln in str(exc.stderr or "").splitlines() if ln.strip()]
        detail = lines[-1].removeprefix("stderr: ").strip("'") if lines else f"exit {exc.status}"
        raise GitError(f"git {args[0]} failed: {detail}") from exc
    return out


def ls_remote(repo: Path, branch: str, remote: str = REMOTE) -> str | None:
    """The SHA the remote branch points at now, or None when it does not exist."""
    out = git_run(repo, "ls-remote", "--heads", remote, f"refs/heads/{branch}")
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return None


def commit_message(tasks: list[TaskRecord], head_sha: str) -> str:
    targets = sorted({t.id for t in tasks})
    shown = ", ".join(targets[:5]) + (f" and {len(targets) - 5} more" if len(targets) > 5 else "")
    body = "\n".join(f"- {t.test_file}: {t.id}" for t in tasks)
    return (
        f"tta-ci: add tests for {shown}\n\n{body}\n\n"
        f"Generated and validated by tta-ci {__version__} on {head_sha}."
    )


@contextmanager
def temporary_worktree(repo: Path, sha: str) -> Iterator[Path]:
    """A detached worktree of ``repo`` at ``sha``, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="tta-ci-commit-"))
    path = parent / "wt"
    if not _has_commit(repo, sha):
        git_run(repo, "fetch", "--quiet", "--no-tags", REMOTE, sha)
    git_run(repo, "worktree", "add", "--quiet", "--detach", str(path), sha)
    try:
        yield path
    finally:
        try:
            git_run(repo, "worktree", "remove", "--force", str(path))
        finally:
            shutil.rmtree(parent, ignore_errors=True)


def _has_commit(repo: Path, sha: str) -> bool:
    try:
        git_run(repo, "cat-file", "-e", f"{sha}^{{commit}}")
    except GitError:
        return False
    return True


def _identity(worktree: Path) -> list[str]:
    try:
        git_run(worktree, "config", "user.email")
    except GitError:
        return ["-c", f"user.name={BOT_NAME}", "-c", f"user.email={BOT_EMAIL}"]
    return []


def commit_tests(
    repo: Path, tasks: list[TaskRecord], *, base_sha: str, branch: str, lease: str | None
) -> tuple[str, list[str]]:
    """Commit the tests on ``base_sha`` and push to ``branch``; (commit SHA, files).

    ``lease`` is the SHA the remote branch must still have (None: the branch must not exist).
    """
    with temporary_worktree(repo, base_sha) as worktree:
        files = write_tests(worktree, tasks)
        git_run(worktree, "add", "--", *files)
        message = commit_message(tasks, base_sha)
        git_run(worktree, *_identity(worktree), "commit", "--quiet", "--no-verify", "-m", message)
        sha = git_run(worktree, "rev-parse", "HEAD")
        expect = f"refs/heads/{branch}:{lease or ''}"
        git_run(worktree, "push", "--quiet", f"--force-with-lease={expect}", REMOTE,
                f"HEAD:refs/heads/{branch}")
    return sha, files


def push_refusal(target: PullTarget, tested: str, remote_sha: str | None) -> str | None:
    """Why the tests must not be pushed to the pull request's branch, or None."""
    if target.is_fork:
        return (
            "this pull request comes from a fork: tta-ci does not push to forks, "
            "so the tests are in this comment instead"
        )
    if remote_sha is None:
        return f"the branch `{target.head_ref}` no longer exists: nothing was pushed"
    if remote_sha != tested:
        return (
            f"the branch `{target.head_ref}` moved from {tested[:12]} (tested) to "
            f"{remote_sha[:12]} during the run: nothing was pushed; rerun on the new head"
        )
    return None


class CommitPublisher:
    name = "commit"

    def publish(self, doc: MetricsDocument, ctx: PublishContext) -> PublishResult:
        target = require_target(ctx)
        if target is None:
            return _no_pull_request(ctx)
        tasks = accepted_tasks(doc)
        tested = doc.head or target.head_sha
        if not tasks:
            return CommentPublisher().publish(doc, ctx, ["no accepted test: nothing to commit"])
        remote_sha = None if target.is_fork else ls_remote(ctx.repo, target.head_ref)
        refusal = push_refusal(target, tested, remote_sha)
        if refusal:
            return CommentPublisher().publish(doc, ctx, [refusal])
        try:
            sha, files = commit_tests(
                ctx.repo, tasks, base_sha=tested, branch=target.head_ref, lease=tested
            )
        except GitError:
            refusal = push_refusal(target, tested, ls_remote(ctx.repo, target.head_ref))
            if refusal is None:  # not a race with another push: a real failure
                raise
            return CommentPublisher().publish(doc, ctx, [refusal])
        note = f"committed {len(files)} test file(s) to `{target.head_ref}` as {sha[:12]}"
        result = CommentPublisher().publish(doc, ctx, [note])
        return result.model_copy(
            update={"mode": "commit", "commit_sha": sha, "branch": target.head_ref, "files": files}
        )
