"""The sticky pull-request comment: rendered from the metrics document, edited in place.

One comment per pull request, found again by ``MARKER`` on every run. GitHub refuses a
comment over 65,536 characters: test code that does not fit is left out whole (never cut
inside a code block) with a pointer to the artifact.
"""

from __future__ import annotations

from collections.abc import Sequence

from tta_ci._version import __version__
from tta_ci.core.errors import GitHubError
from tta_ci.core.report import MetricsDocument, TaskRecord
from tta_ci.github.api import MARKER, GitHubAPIError, repository, upsert_sticky
from tta_ci.github.event import PullTarget, run_url
from tta_ci.publish.base import PublishContext, PublishResult
from tta_ci.publish.files import accepted_records
from tta_ci.publish.markdown import block, cell, code, code_cell, fence, html, note, text
from tta_ci.publish.pinning import behaviour_section, mutation_section
from tta_ci.publish.summary import FALLBACK_WARNING, OUTCOME_LABELS, outcome_line

__all__ = [
    "COMMENT_LIMIT",
    "BranchPublisher",
    "CommentPublisher",
    "fence",
    "post_sticky",
    "render_comment",
    "render_progress",
    "require_target",
]

COMMENT_LIMIT = 65_000  # GitHub's limit is 65,536 characters
OMITTED = "_The code is too long for a comment: it is in the run's `tta-ci` artifact._"


def _code_block(task: TaskRecord) -> str:
    tests = f"{len(task.tests)} test{'s' if len(task.tests) != 1 else ''}"
    return (
        f"<details><summary><code>{html(task.test_file)}</code> for "
        f"<code>{html(task.id)}</code> ({tests})</summary>\n\n"
        f"{block(task.code or '', 'python')}\n\n</details>"
    )


def _omitted_block(task: TaskRecord) -> str:
    return f"- {code(task.test_file)} for {code(task.id)}: {OMITTED}"


def _results_table(doc: MetricsDocument) -> list[str]:
    if not doc.tasks:
        return ["No task: nothing in this change needed a new test."]
    lines = ["| target | result | reason |", "| --- | --- | --- |"]
    for task in doc.tasks:
        label = OUTCOME_LABELS.get(task.status, task.status)
        lines.append(f"| {code_cell(task.id)} | {label} | {cell(task.reason) or '-'} |")
    return lines


def _rejections(doc: MetricsDocument) -> list[str]:
    lines: list[str] = []
    for task in doc.tasks:
        for name, reason in task.rejected_tests.items():
            lines.append(f"- {code(task.id)} {code(name)}: {text(reason, 300)}")
        for bug in task.possible_bugs:
            where = f" ({code(f'{bug.file}:{bug.line}')})" if bug.file and bug.line else ""
            said = f" {text(bug.reason, 300)}:" if bug.reason else ""
            lines.append(
                f"- 🐞 {code(task.id)} {code(bug.test)}{where}: the test fails the same way "
                f"every time on the new code, against what the project states, which may be a "
                f"bug:{said} {text(bug.message, 300)}"
            )
    return ["#### Rejected tests and possible bugs", "", *lines, ""] if lines else []


HOW_TO_APPLY = [
    "#### How to apply",
    "",
    "- Copy a block above into the file named in its title, or download the `tta-ci` artifact.",
    "- Or comment `/tta test --mode commit` to have the tests committed to this branch "
    "(same-repository pull requests only), or `/tta test --mode pr` for a follow-up pull request.",
    "",
]


def _footer(ctx_run_url: str | None) -> str:
    run = f"[workflow run]({ctx_run_url}) · " if ctx_run_url else ""
    return f"<sub>{run}tta-ci {__version__}</sub>"


def render_comment(
    doc: MetricsDocument,
    *,
    notes: Sequence[str] = (),
    link: str | None = None,
    limit: int = COMMENT_LIMIT,
) -> str:
    """The sticky comment's body (starts with the marker), under ``limit`` characters."""
    head = [MARKER, f"### {outcome_line(doc)}", ""]
    if doc.isolation == "fallback":
        head.extend([f"> ⚠️ **{FALLBACK_WARNING[0].upper()}{FALLBACK_WARNING[1:]}.**", ""])
    head.extend(f"> {note(item, 500)}" for item in [*doc.notes, *notes])
    head.extend(["", *_results_table(doc), ""])
    accepted = [t for t in doc.tasks if t.status == "accepted" and t.code]
    tail = [*mutation_section(doc, heading="####", limit=10),
            *behaviour_section(doc, heading="####", limit=10), *_rejections(doc)]
    if accepted:
        tail.extend(HOW_TO_APPLY)
    tail.append(_footer(link))
    blocks, budget = [], limit - len("\n".join([*head, *tail])) - 200
    for task in accepted:
        block = _code_block(task)
        if len(block) + 1 > budget:
            block = _omitted_block(task)
        budget -= len(block) + 2
        blocks.append(block)
    section = ["#### Accepted tests", "", "\n\n".join(blocks), ""] if blocks else []
    body = "\n".join([*head, *section, *tail])
    if len(body) > limit:  # absurd tables: keep the marker, the outcome and the footer
        body = "\n".join([MARKER, f"### {outcome_line(doc)}", "", OMITTED, "", _footer(link)])
    return body


def render_progress(
    tasks: Sequence[tuple[str, str]], *, title: str, link: str | None = None
) -> str:
    """The sticky comment while a run is going: a checklist of (task id, outcome or '')."""
    lines = [MARKER, f"### ⏳ tta-ci: {text(title)}", ""]
    for task_id, outcome in tasks[:300]:
        done = "x" if outcome else " "
        label = f": {OUTCOME_LABELS.get(outcome, outcome)}" if outcome else ""
        lines.append(f"- [{done}] {code(task_id)}{label}")
    if len(tasks) > 300:
        lines.append(f"- … {len(tasks) - 300} more")
    return "\n".join([*lines, "", _footer(link)])


def post_sticky(ctx: PublishContext, target: PullTarget, body: str) -> PublishResult:
    """Create or edit the sticky comment on ``target``."""
    gh = ctx.github_factory(ctx.environ)
    comment, created = upsert_sticky(repository(gh, target.repo_full_name), target.number, body)
    verb = "created" if created else "updated"
    return PublishResult(
        mode="comment",
        requested_mode=ctx.config.mode,
        comment_id=comment.id,
        comment_url=comment.html_url,
        notes=[f"{verb} the tta-ci comment on #{target.number}"],
    )


def require_target(ctx: PublishContext) -> PullTarget | None:
    """The pull request to publish to; None (summary fallback) for an event without one."""
    if ctx.event is None and ctx.pull is None:
        raise GitHubError(
            f"mode {ctx.config.mode!r} needs a GitHub event: GITHUB_EVENT_PATH is not set "
            "(run inside GitHub Actions, or use --mode files or --mode summary)"
        )
    return ctx.target


class CommentPublisher:
    name = "comment"

    def publish(
        self, doc: MetricsDocument, ctx: PublishContext, notes: Sequence[str] = ()
    ) -> PublishResult:
        target = require_target(ctx)
        if target is None:
            return _no_pull_request(ctx)
        body = render_comment(doc, notes=notes, link=run_url(ctx.environ))
        try:
            result = post_sticky(ctx, target, body)
        except GitHubAPIError as exc:
            if not (target.is_fork and exc.status in (401, 403)):
                raise
            note = (
                "this pull request comes from a fork, whose token cannot comment: "
                "results are in the job summary and the artifact"
            )
            return PublishResult(mode="summary", requested_mode=ctx.config.mode, notes=[note])
        return result.model_copy(update={"notes": [*notes, *result.notes]})


def _no_pull_request(ctx: PublishContext) -> PublishResult:
    name = ctx.event.name if ctx.event else "this"
    return PublishResult(
        mode="summary",
        requested_mode=ctx.config.mode,
        notes=[f"the {name} event has no pull request: results are in the job summary only"],
    )


class BranchPublisher:
    """What ``commit`` and ``pr`` share: a pull request to publish to and accepted tests, or
    the sticky comment (the summary without a pull request) saying why not."""

    name = "branch"
    nothing = "no accepted test"  # the note when no test was accepted

    def publish(self, doc: MetricsDocument, ctx: PublishContext) -> PublishResult:
        target = require_target(ctx)
        if target is None:
            return _no_pull_request(ctx)
        tasks = accepted_records(doc)
        if not tasks:
            return CommentPublisher().publish(doc, ctx, [self.nothing])
        return self.push(doc, ctx, target, tasks)

    def push(self, doc: MetricsDocument, ctx: PublishContext, target: PullTarget,
             tasks: list[TaskRecord]) -> PublishResult:
        raise NotImplementedError
