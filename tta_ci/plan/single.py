"""Tasks for one file of the working tree: a whole file, one symbol, or given lines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError
from tta_ci.core.types import PlanResult, Precheck, Task
from tta_ci.git import repo as gitops
from tta_ci.plan.context import decode, file_context, parse_or_none, tree_side
from tta_ci.plan.diff import parse_diff
from tta_ci.plan.symbols import MODULE, ParsedSource, Symbol, parse_source
from tta_ci.plan.tasks import FileContext, apply_cap, build_task

__all__ = ["changed_lines_for", "plan_file", "task_for_lines"]


def _relative(r: gitops.Repo, repo: Path, path: str) -> str:
    root = gitops.root(r).resolve()
    target = Path(path) if Path(path).is_absolute() else Path(repo) / path
    try:
        relative = target.resolve().relative_to(root)
    except ValueError:
        raise UsageError(f"{path}: not inside the repository {root}") from None
    if not (root / relative).is_file():
        raise UsageError(f"{path}: no such file in {root}")
    return relative.as_posix()


def _read_working(r: gitops.Repo, path: str) -> ParsedSource:
    data = (gitops.root(r) / path).read_bytes()
    text = decode(data)
    if text is None:
        raise UsageError(f"{path}: binary or not UTF-8; pass a Python source file")
    try:
        return parse_source(text, path)
    except SyntaxError as exc:
        raise UsageError(f"{path}: syntax error at line {exc.lineno}; fix it first") from exc


def _at_head(r: gitops.Repo, path: str) -> bytes | None:
    """``path`` at HEAD (None: a new file, or no commit yet), read by one ``git cat-file``."""
    return gitops.show_many(r, "HEAD", [path])[path]


def _context(r: gitops.Repo, path: str, config: Config, at_head: bytes | None) -> FileContext:
    head = _read_working(r, path)
    base = parse_or_none(decode(at_head), path) if at_head is not None else None
    return file_context(path, head, base, tree_side(r, None), config)


def _all_lines(parsed: ParsedSource, symbol: Symbol) -> list[int]:
    return [n for n in range(symbol.start, symbol.end + 1) if n in parsed.code_lines]


def _whole_file(parsed: ParsedSource) -> list[Symbol]:
    chosen = [s for s in parsed.symbols.values() if s.kind in ("function", "method")]
    methods = {s.name.partition(".")[0] for s in chosen if s.kind == "method"}
    chosen += [s for s in parsed.symbols.values() if s.kind == "class" and s.name not in methods]
    if not chosen:
        chosen = [parsed.symbols[MODULE]]
    return sorted(chosen, key=lambda s: s.start)


def plan_file(
    repo: Path,
    config: Config,
    path: str,
    *,
    symbol: str | None = None,
    description: str = "",
    precheck: Precheck | None = None,
) -> PlanResult:
    """Tasks covering a whole file (each function and method), or one named symbol; the
    ones ``precheck`` skips are listed as skipped."""
    r = gitops.open_repo(repo)
    rel = _relative(r, repo, path)
    ctx = _context(r, rel, config, _at_head(r, rel))
    parsed = ctx.head
    if symbol is None:
        symbols = _whole_file(parsed)
    elif symbol in parsed.symbols:
        symbols = [parsed.symbols[symbol]]
    else:
        known = ", ".join(n for n in parsed.symbols if n != MODULE) or "none"
        raise UsageError(f"{rel}: no symbol {symbol!r}; available: {known}")
    tasks = [build_task(ctx, s, _all_lines(parsed, s), config, description) for s in symbols]
    kept, dropped = apply_cap(tasks, config.max_tasks, precheck)
    return PlanResult(tasks=tuple(kept), skipped=tuple(dropped))


def _changed(r: gitops.Repo, path: str, at_head: bytes | None) -> list[int]:
    if at_head is None:  # new: every line is a changed line
        return list(range(1, len((gitops.root(r) / path).read_bytes().splitlines()) + 1))
    diff = gitops.diff_text(r, "HEAD", gitops.WORKTREE, paths=[f":(literal){path}"])
    return sorted(line for change in parse_diff(diff) for line in change.added)


def changed_lines_for(repo: Path, path: str) -> list[int]:
    """Lines of the working-tree file changed against HEAD (all of them for a new file)."""
    r = gitops.open_repo(repo)
    rel = _relative(r, repo, path)
    return _changed(r, rel, _at_head(r, rel))


def task_for_lines(repo: Path, config: Config, path: str, lines: Sequence[int] | None) -> Task:
    """One task covering ``lines`` of a file: their enclosing symbol when they share one.

    Without ``lines``: the lines changed against HEAD, else (none changed) the whole file.
    The repository is opened once and the file's HEAD version read once for both.
    """
    r = gitops.open_repo(repo)
    rel = _relative(r, repo, path)
    at_head = _at_head(r, rel)
    ctx = _context(r, rel, config, at_head)
    last = max(len(ctx.head.text.splitlines()), 1)
    if lines is None:
        lines = _changed(r, rel, at_head) or range(1, last + 1)
    outside = [n for n in lines if not 1 <= n <= last]
    if outside:
        raise UsageError(f"{rel}: line {outside[0]} is outside the file (1-{last})")
    names = {ctx.head.symbol_at(n).name for n in lines}
    name = names.pop() if len(names) == 1 else MODULE
    return build_task(ctx, ctx.head.symbols[name], lines, config)
