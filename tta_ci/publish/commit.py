"""``commit`` mode: the accepted tests committed to the pull request's own branch and pushed.

Only for a same-repository pull request, and only if the remote branch still points at the
commit that was tested (``git ls-remote`` right before the push, and ``--force-with-lease``
on the push itself). Otherwise nothing is pushed and the sticky comment says why.
The commit is made in a temporary worktree at the tested head, so the checkout (often the
merge commit of the pull request) is never touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tta_ci._version import __version__
from tta_ci.core.errors import GitError
from tta_ci.core.report import MetricsDocument, TaskRecord
from tta_ci.git import cli as gitcli
from tta_ci.github.event import PullTarget
from tta_ci.publish.base import PublishContext, PublishResult
from tta_ci.publish.local import write_tests
from tta_ci.publish.sticky import BranchPublisher, CommentPublisher

__all__ = [
    "CommitPublisher",
    "commit_message",
    "commit_tests",
    "push_refusal",
]

def commit_message(tasks: list[TaskRecord], head_sha: str) -> str:
    targets = sorted({t.id for t in tasks})
    shown = ", ".join(targets[:5]) + (f" and {len(targets) - 5} more" if len(targets) > 5 else "")
    body = "\n".join(f"- {t.test_file}: {t.id}" for t in tasks)
    return (
        f"tta-ci: add tests for {shown}\n\n{body}\n\n"
        f"Generated and validated by tta-ci {__version__} on {head_sha}."
    )


def commit_tests(
    repo: Path, tasks: list[TaskRecord], *, base_sha: str, branch: str, lease: str | None,
    message: str | None = None, environ: Mapping[str, str] | None = None,
) -> tuple[str, list[str]]:
    """Commit the tests on ``base_sha`` and push to ``branch``; (commit SHA, files).

    ``lease`` is the SHA the remote branch must still have (None: the branch must not exist);
    ``message`` defaults to ``commit_message``; ``environ`` holds the token the fetch and the
    push may need (``gitcli.remote_env``).
    """
    with gitcli.worktree(repo, base_sha, prefix="tta-ci-commit-", fetch=True,
                         environ=environ) as worktree:
        files = write_tests(worktree, tasks)
        gitcli.run(worktree, "add", "--", *files)
        message = message or commit_message(tasks, base_sha)
        gitcli.run(worktree, *gitcli.identity_args(worktree), "commit", "--quiet", "--no-verify",
                   "-m", message)
        sha = gitcli.run(worktree, "rev-parse", "HEAD")
        expect = f"refs/heads/{branch}:{lease or ''}"
        gitcli.run(worktree, "push", "--quiet", f"--force-with-lease={expect}", gitcli.REMOTE,
                   f"HEAD:refs/heads/{branch}", env=gitcli.remote_env(worktree, environ))
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


class CommitPublisher(BranchPublisher):
    name = "commit"
    nothing = "no accepted test: nothing to commit"

    def push(self, doc: MetricsDocument, ctx: PublishContext, target: PullTarget,
             tasks: list[TaskRecord]) -> PublishResult:
        tested = doc.head or target.head_sha
        remote_sha = None if target.is_fork else gitcli.ls_remote(
            ctx.repo, target.head_ref, environ=ctx.environ)
        refusal = push_refusal(target, tested, remote_sha)
        if refusal:
            return CommentPublisher().publish(doc, ctx, [refusal])
        try:
            sha, files = commit_tests(
                ctx.repo, tasks, base_sha=tested, branch=target.head_ref, lease=tested,
                environ=ctx.environ,
            )
        except GitError:
            remote_sha = gitcli.ls_remote(ctx.repo, target.head_ref, environ=ctx.environ)
            refusal = push_refusal(target, tested, remote_sha)
            if refusal is None:  # not a race with another push: a real failure
                raise
            return CommentPublisher().publish(doc, ctx, [refusal])
        note = f"committed {len(files)} test file(s) to `{target.head_ref}` as {sha[:12]}"
        result = CommentPublisher().publish(doc, ctx, [note])
        return result.model_copy(
            update={"mode": "commit", "commit_sha": sha, "branch": target.head_ref, "files": files}
        )
