"""``tta-ci sweep`` in ``pr`` mode: the accepted tests as one pull request into the default
branch, from tta-ci's own branch ``tta-ci/sweep``.

The branch is tta-ci's: each sweep commits the tests on the tested commit and force-pushes
it, but only over commits tta-ci made (each carries the ``Tta-ci: sweep`` trailer) and only
if the branch still points where it pointed when it was inspected (``--force-with-lease``).
Anything else on the branch stops the push, and the summary says why. When the sweep's pull
request is still open it is updated (its body; the branch moved under it); otherwise a new
one is opened.
"""

from __future__ import annotations

from collections.abc import Mapping

from tta_ci.core.errors import GitHubError, UsageError
from tta_ci.core.lines import format_lines
from tta_ci.core.report import MetricsDocument, TaskRecord
from tta_ci.git import cli as gitcli
from tta_ci.github.api import default_branch, edit_pull, find_open_pull, open_pull, repository
from tta_ci.github.event import Event
from tta_ci.publish.base import PublishContext, PublishResult
from tta_ci.publish.commit import commit_message, commit_tests
from tta_ci.publish.files import accepted_records

__all__ = ["SWEEP_BRANCH", "SWEEP_MODES", "TRAILER", "SweepPublisher", "foreign_commits",
           "preflight", "repository_name", "sweep_body"]

SWEEP_BRANCH = "tta-ci/sweep"
TRAILER = "Tta-ci: sweep"
TITLE = "tta-ci: tests for untested code"
SWEEP_MODES = ("pr", "files", "summary", "none")


def repository_name(event: Event | None, environ: Mapping[str, str]) -> str:
    """``owner/name`` of the repository: from the event, else ``GITHUB_REPOSITORY``."""
    name = (event.repo_full_name if event else None) or environ.get("GITHUB_REPOSITORY", "")
    if "/" not in name:
        raise GitHubError("sweep --mode pr needs the repository: GITHUB_REPOSITORY is not set "
                          "(run inside GitHub Actions, or use --mode files)")
    return name


def preflight(mode: str, environ: Mapping[str, str], event: Event | None) -> None:
    """Fail before any work when the sweep cannot publish in ``mode``."""
    if mode not in SWEEP_MODES:
        raise UsageError(f"--mode {mode}: a sweep has no pull request to {mode} on; use one of: "
                         f"{', '.join(SWEEP_MODES)}")
    if mode == "pr":
        repository_name(event, environ)
        if not environ.get("GITHUB_TOKEN"):
            raise GitHubError("sweep --mode pr needs GITHUB_TOKEN to open its pull request; "
                              "export it (in Actions: env: GITHUB_TOKEN: ${{ github.token }})")


def foreign_commits(commits: list[tuple[str, str]]) -> list[str]:
    """The SHAs among ``commits`` (SHA, message) that tta-ci's sweep did not make."""
    return [sha for sha, message in commits if TRAILER not in message.splitlines()]


def _gaps(doc: MetricsDocument) -> dict[str, dict[str, object]]:
    extra = doc.model_extra or {}
    return {g["id"]: g for g in extra.get("sweep", {}).get("gaps", [])}


def sweep_body(doc: MetricsDocument, tasks: list[TaskRecord], tested: str) -> str:
    """The pull request's text: what was untested, and the tests that now cover it."""
    gaps = _gaps(doc)
    lines = [f"Tests for public functions that the existing tests left untested, generated and "
             f"validated by tta-ci at {tested[:12]}.", ""]
    for t in tasks:
        gap = gaps.get(t.id, {})
        uncovered = list(gap.get("uncovered_lines", []))  # type: ignore[call-overload]
        what = f"lines {format_lines(uncovered)} not run" if uncovered else "untested"
        lines.append(f"- `{t.id}` ({what}): {len(t.tests)} test(s) in `{t.test_file}`")
    lines += ["", f"This branch (`{SWEEP_BRANCH}`) belongs to tta-ci: the next sweep replaces "
                  "it. Merge the pull request to keep the tests."]
    return "\n".join(lines)


class SweepPublisher:
    name = "pr"

    def publish(self, doc: MetricsDocument, ctx: PublishContext) -> PublishResult:
        tasks = accepted_records(doc)
        if not tasks:
            return _result(mode="summary", notes=["no accepted test: no pull request"])
        tested = doc.head or gitcli.run(ctx.repo, "rev-parse", "HEAD")
        remote = gitcli.ls_remote(ctx.repo, SWEEP_BRANCH, environ=ctx.environ)
        if remote is not None:
            gitcli.ensure_commit(ctx.repo, remote, f"refs/heads/{SWEEP_BRANCH}", ctx.environ)
            foreign = foreign_commits(gitcli.commits_between(ctx.repo, remote, tested))
            if foreign:
                note = (f"`{SWEEP_BRANCH}` holds commits tta-ci did not make ({foreign[0][:12]}"
                        f"{' and more' if len(foreign) > 1 else ''}): nothing was pushed; "
                        "merge or delete that branch")
                return _result(mode="summary", notes=[note])
        gh = ctx.github_factory(ctx.environ)
        repo = repository(gh, repository_name(ctx.event, ctx.environ))
        base = default_branch(repo)
        message = f"{commit_message(tasks, tested)}\n\n{TRAILER}"
        sha, files = commit_tests(ctx.repo, tasks, base_sha=tested, branch=SWEEP_BRANCH,
                                  lease=remote, message=message, environ=ctx.environ)
        body = sweep_body(doc, tasks, tested)
        pull = find_open_pull(repo, head=SWEEP_BRANCH, base=base)
        if pull is not None:
            edit_pull(pull, title=TITLE, body=body)
            note = f"updated {pull.html_url} with {len(files)} test file(s)"
        else:
            pull = open_pull(repo, base=base, head=SWEEP_BRANCH, title=TITLE, body=body)
            note = f"opened {pull.html_url} with {len(files)} test file(s) from `{SWEEP_BRANCH}`"
        return _result(mode="pr", notes=[note], files=files, commit_sha=sha,
                       branch=SWEEP_BRANCH, pull_url=pull.html_url)


def _result(**fields: object) -> PublishResult:
    return PublishResult(requested_mode="pr", **fields)  # type: ignore[arg-type]
