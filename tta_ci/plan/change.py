"""``plan_change``: a change (refs, the event's PR, or the staged files) → a ``PlanResult``.

The only function here that touches git is ``plan_change``; ``plan_files`` is pure over the
parsed diff and two ``Side`` readers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tta_ci.core.config import Config
from tta_ci.core.errors import GitError
from tta_ci.core.types import PlanResult, Precheck, Skip, Task
from tta_ci.git import repo as gitops
from tta_ci.github.event import read_event
from tta_ci.plan.context import Side, decode, file_context, parse_or_none, tree_side
from tta_ci.plan.diff import FileChange, parse_diff
from tta_ci.plan.paths import skip_reason
from tta_ci.plan.symbols import parse_source
from tta_ci.plan.tasks import apply_cap, file_tasks

__all__ = ["plan_change", "plan_files", "resolve_range"]

_EVENT_RANGES = ("pull_request", "pull_request_target", "push")


def _name_skip(change: FileChange, config: Config, head: Side) -> str | None:
    if change.status == "deleted":
        return "deleted"
    if change.symlink:
        return "symlink"
    reason = skip_reason(change.path, config, head.pytest_rules())
    if reason is not None:
        return reason
    if change.binary:
        return "binary or not UTF-8"
    if not change.has_content_change:
        return "pure rename" if change.status == "renamed" else "no content change"
    return None


def _plan_file(
    change: FileChange, head: Side, base: Side, config: Config
) -> tuple[list[Task], list[Skip]]:
    reason = _name_skip(change, config, head)
    if reason is not None:
        return [], [Skip(file=change.path, reason=reason)]
    text = decode(head.read_bytes(change.path) or b"")
    if text is None:
        return [], [Skip(file=change.path, reason="binary or not UTF-8")]
    try:
        parsed = parse_source(text, change.path)
    except SyntaxError as exc:
        return [], [Skip(file=change.path, reason=f"syntax error on head: line {exc.lineno}")]
    except ValueError:  # source with NUL bytes and the like
        return [], [Skip(file=change.path, reason="binary or not UTF-8")]
    old = change.old_path
    base_parsed = parse_or_none(base.read_text(old), old) if old else None
    ctx = file_context(change.path, parsed, base_parsed, head, config)
    return file_tasks(ctx, change.added, change.removed, change.removal_anchors, config)


def plan_files(
    changes: Sequence[FileChange], head: Side, base: Side, config: Config,
    precheck: Precheck | None = None,
) -> tuple[tuple[Task, ...], tuple[Skip, ...]]:
    """Tasks (capped at ``config.max_tasks``, by priority, after ``precheck``) and skips of a
    parsed diff."""
    planned = [c for c in changes if _name_skip(c, config, head) is None]
    head.prefetch(c.path for c in planned)
    base.prefetch(c.old_path for c in planned if c.old_path)
    tasks: list[Task] = []
    skips: list[Skip] = []
    for change in changes:
        file_tasks_, file_skips = _plan_file(change, head, base, config)
        tasks.extend(file_tasks_)
        skips.extend(file_skips)
    kept, dropped = apply_cap(tasks, config.max_tasks, precheck)
    return tuple(kept), (*skips, *dropped)


def resolve_range(
    repo: gitops.Repo,
    environ: Mapping[str, str],
    base: str | None,
    head: str | None,
) -> tuple[str, str]:
    """(merge-base SHA, head SHA) of a change, as a pull request shows it.

    Without ``base``: the event's PR base/head or push before/after, else the merge-base with
    the upstream of ``head`` (falling back to ``head~1``).
    """
    if base is None:
        event = read_event(environ)
        if event is not None and event.name in _EVENT_RANGES and event.base_sha:
            for sha in (event.base_sha, head or event.head_sha):
                if sha and not gitops.has_commit(repo, sha):
                    raise GitError(f"commit {sha} of the {event.name} event is not in this clone; "
                                   "check out with fetch-depth: 0")
            base = event.base_sha
            head = head or event.head_sha
    head_sha = gitops.resolve(repo, head or "HEAD")
    if base is None:
        return gitops.default_base(repo, head_sha), head_sha
    return gitops.merge_base(repo, gitops.resolve(repo, base), head_sha), head_sha


def _literal(paths: Sequence[str] | None) -> list[str] | None:
    if paths is None:
        return None
    return [p if p.startswith(":(") else f":(literal){p}" for p in paths]


def plan_change(
    repo: Path,
    config: Config,
    environ: Mapping[str, str],
    *,
    base: str | None = None,
    head: str | None = None,
    staged: bool = False,
    paths: Sequence[str] | None = None,
    precheck: Precheck | None = None,
) -> PlanResult:
    """The tasks of a change: ``base..head`` (from their merge-base), or the index vs HEAD.

    ``precheck`` is the generator backend's plan-time check (``generators.precheck_for``):
    the tasks it skips are listed as skipped, with the backend's reason.
    """
    r = gitops.open_repo(repo)
    if paths is not None and not paths:
        paths = [":(exclude)*"]  # no file: an empty diff
    if staged:
        try:  # one rev-parse; no commit yet: the whole index is the change
            base_sha = gitops.head_sha(r)
        except GitError:
            base_sha = gitops.EMPTY_TREE
        head_sha: str | None = None
        head_side = tree_side(r, gitops.INDEX)
        text = gitops.diff_text(r, base_sha, gitops.INDEX, paths=_literal(paths))
    else:
        base_sha, head_sha = resolve_range(r, environ, base, head)
        head_side = tree_side(r, head_sha)
        text = gitops.diff_text(r, base_sha, head_sha, paths=_literal(paths))
    base_side = Side((), lambda ps: gitops.show_many(r, base_sha, ps))
    tasks, skipped = plan_files(parse_diff(text), head_side, base_side, config, precheck)
    return PlanResult(tasks=tasks, skipped=skipped, base=base_sha, head=head_sha)
