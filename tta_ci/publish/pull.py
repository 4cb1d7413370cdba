"""``pr`` mode: the accepted tests on a follow-up branch, with a pull request into the PR's branch.

The branch is new (``tta-ci/pr-<number>-<sha>``) and the push refuses to overwrite one that
exists, so nothing anyone wrote is lost. Forks fall back to the sticky comment.
"""

from __future__ import annotations

from tta_ci.core.report import MetricsDocument, TaskRecord
from tta_ci.github.api import open_pull, repository
from tta_ci.github.event import PullTarget
from tta_ci.publish.base import PublishContext, PublishResult
from tta_ci.publish.commit import commit_tests
from tta_ci.publish.markdown import code
from tta_ci.publish.sticky import BranchPublisher, CommentPublisher

__all__ = ["PullPublisher", "follow_up_branch", "pull_body"]


def follow_up_branch(target: PullTarget, tested: str) -> str:
    return f"tta-ci/pr-{target.number}-{tested[:10]}"


def pull_body(target: PullTarget, tasks: list[TaskRecord], tested: str) -> str:
    lines = [
        f"Tests generated and validated by tta-ci for #{target.number} at {tested[:12]}.",
        "",
        *(f"- {code(t.test_file)}: {code(t.id)} ({len(t.tests)} tests)" for t in tasks),
        "",
        "Merge this pull request into the branch to take the tests.",
    ]
    return "\n".join(lines)


class PullPublisher(BranchPublisher):
    name = "pr"
    nothing = "no accepted test: no pull request"

    def push(self, doc: MetricsDocument, ctx: PublishContext, target: PullTarget,
             tasks: list[TaskRecord]) -> PublishResult:
        if target.is_fork:
            note = (
                "this pull request comes from a fork: tta-ci opens follow-up pull requests "
                "only for branches of this repository, so the tests are in this comment instead"
            )
            return CommentPublisher().publish(doc, ctx, [note])
        tested = doc.head or target.head_sha
        branch = follow_up_branch(target, tested)
        sha, files = commit_tests(ctx.repo, tasks, base_sha=tested, branch=branch, lease=None,
                                  environ=ctx.environ)
        gh = ctx.github_factory(ctx.environ)
        pull = open_pull(
            repository(gh, target.repo_full_name),
            base=target.head_ref,
            head=branch,
            title=f"tta-ci: tests for #{target.number}",
            body=pull_body(target, tasks, tested),
        )
        note = f"opened {pull.html_url} with {len(files)} test file(s) from `{branch}`"
        result = CommentPublisher().publish(doc, ctx, [note])
        return result.model_copy(
            update={"mode": "pr", "commit_sha": sha, "branch": branch, "files": files,
                    "pull_url": pull.html_url}
        )
