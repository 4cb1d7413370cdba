"""Changed lines of one parsed file → ``Task``s; priority, content hash and the cap (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tta_ci._version import __version__
from tta_ci.core.config import Config
from tta_ci.core.types import Precheck, Skip, Task, TaskPriority
from tta_ci.plan.symbols import MODULE, ParsedSource, Symbol

__all__ = [
    "HASH_CONFIG_KEYS",
    "FileContext",
    "apply_cap",
    "build_task",
    "file_tasks",
    "priority_of",
    "split_prechecked",
    "task_hash",
    "task_order",
]

# The configuration keys that can change what a task produces.
HASH_CONFIG_KEYS = (
    "backend", "model", "fallback_models", "free_only", "max_price_per_mtok", "provider",
    "runs", "mutation", "mutation_max_mutants", "max_attempts", "openhands_max_iterations",
    "validation_timeout_s",
)
COMMENTS_ONLY = "only comments, docstrings or blank lines"


@dataclass(frozen=True)
class FileContext:
    """One planned file on the head side, with what its tasks share."""

    path: str
    module: str
    import_root: str
    test_file: str
    test_file_exists: bool
    test_source: str  # the existing test file's text ("" when there is none)
    head: ParsedSource
    base: ParsedSource | None = None


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def priority_of(module: str, symbol: str) -> TaskPriority:
    """Private names LOW, module-level code NORMAL, the public API HIGH."""
    if any(_private(part) for part in [*module.split("."), *symbol.split(".")]):
        return TaskPriority.LOW
    return TaskPriority.NORMAL if symbol == MODULE else TaskPriority.HIGH


def task_hash(ctx: FileContext, symbol: Symbol, lines: Sequence[int], config: Config) -> str:
    """sha256 of everything that decides a task's result; line shifts alone keep it."""
    document = {
        "version": __version__,
        "file": ctx.path,
        "module": ctx.module,
        "symbol": symbol.name,
        "source": ctx.head.source_of(symbol),
        "changed": [line - symbol.start for line in lines],
        "imports": ctx.head.imports,
        "test_file": ctx.test_file,
        "test_source": ctx.test_source,
        "config": {key: getattr(config, key) for key in HASH_CONFIG_KEYS},
    }
    text = json.dumps(document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_task(
    ctx: FileContext, symbol: Symbol, lines: Iterable[int], config: Config, description: str = ""
) -> Task:
    changed = tuple(sorted(set(lines)))
    base_symbol = ctx.base.symbols.get(symbol.name) if ctx.base else None
    return Task(
        id=f"{ctx.path}::{symbol.name}",
        file=ctx.path,
        symbol=symbol.name,
        kind=symbol.kind,
        changed_lines=changed,
        test_file=ctx.test_file,
        test_file_exists=ctx.test_file_exists,
        priority=priority_of(ctx.module, symbol.name),
        hash=task_hash(ctx, symbol, changed, config),
        start_line=symbol.start,
        end_line=symbol.end,
        source=ctx.head.source_of(symbol),
        base_source=ctx.base.source_of(base_symbol) if ctx.base and base_symbol else None,
        imports=ctx.head.imports,
        module=ctx.module,
        import_root=ctx.import_root,
        description=description,
    )


def _by_symbol(head: ParsedSource, lines: Iterable[int]) -> dict[str, set[int]]:
    touched: dict[str, set[int]] = {}
    for line in lines:
        if line in head.code_lines and line not in head.import_lines:
            touched.setdefault(head.symbol_at(line).name, set()).add(line)
    return touched


# Characters that formatting alone may add or remove (with the comments).
_LAYOUT = str.maketrans("", "", " \t\r\n\\,()'\"")


def _squeezed(parsed: ParsedSource, symbol: Symbol) -> str:
    lines = (
        parsed.lines[n - 1].split("#")[0]
        for n in range(symbol.start, symbol.end + 1)
        if n in parsed.code_lines and symbol.owns(n)
    )
    return "".join(lines).translate(_LAYOUT)


def _unchanged(ctx: FileContext, name: str) -> str | None:
    """None when the symbol's code changed; else "comments" or "formatting"."""
    base_symbol = ctx.base.symbols.get(name) if ctx.base else None
    head_symbol = ctx.head.symbols[name]
    if ctx.base is None or base_symbol is None:
        return None
    # Cheap first: different code characters are a different program (ASTs need not be built
    # into a comparison); equal ones may still differ, which the AST comparison decides.
    if _squeezed(ctx.base, base_symbol) != _squeezed(ctx.head, head_symbol):
        return None
    if not base_symbol.same_code(head_symbol):
        return None
    same = ctx.base.tokens_of(base_symbol) == ctx.head.tokens_of(head_symbol)
    return "comments" if same else "formatting"


def file_tasks(
    ctx: FileContext,
    added: Iterable[int],
    removed: Iterable[int],
    anchors: Iterable[int],
    config: Config,
) -> tuple[list[Task], list[Skip]]:
    """The tasks of one changed file, and the skips of its unchanged-in-effect parts.

    A symbol is a task when its code (not its comments or docstrings) differs from base.
    Added code lines are its changed lines; a symbol that only lost lines gets the lines
    around the removal.
    """
    added = set(added)
    base_code = ctx.base.code_lines if ctx.base else frozenset()
    if not added & ctx.head.code_lines and not set(removed) & base_code:
        return [], [Skip(file=ctx.path, reason=COMMENTS_ONLY)]
    by_added = _by_symbol(ctx.head, added)
    by_anchor = _by_symbol(ctx.head, anchors)
    tasks: list[Task] = []
    skips: list[Skip] = []
    comments = False
    for name, symbol in ctx.head.symbols.items():
        lines = by_added.get(name) or by_anchor.get(name)
        if not lines:
            continue
        unchanged = _unchanged(ctx, name)
        if unchanged is None:
            tasks.append(build_task(ctx, symbol, lines, config))
        elif unchanged == "formatting" and name in by_added:
            skips.append(Skip(file=ctx.path, reason="only formatting", symbol=name))
        else:
            comments = comments or name in by_added
    if not tasks and not skips:
        reason = COMMENTS_ONLY if comments else _why_no_task(ctx.head, added)
        skips.append(Skip(file=ctx.path, reason=reason))
    return tasks, skips


def _why_no_task(head: ParsedSource, added: set[int]) -> str:
    code = added & head.code_lines
    if not code:
        return "only removed code"
    return "only imports" if code <= head.import_lines else "only formatting"


def task_order(task: Task) -> tuple[int, int, str, int]:
    """Higher priority first, then larger changes, then by place."""
    return (task.priority.rank, -len(task.changed_lines), task.file, task.start_line)


def split_prechecked(
    tasks: Sequence[Task], precheck: Precheck | None
) -> tuple[list[Task], list[Skip]]:
    """(the tasks ``precheck`` lets through, the skips of the others), in their order."""
    if precheck is None:
        return list(tasks), []
    checked = [(t, precheck(t)) for t in tasks]
    return [t for t, s in checked if s is None], [s for _, s in checked if s is not None]


def apply_cap(
    tasks: Sequence[Task], max_tasks: int, precheck: Precheck | None = None
) -> tuple[list[Task], list[Skip]]:
    """Keep the first ``max_tasks`` in ``task_order``; list the others as skipped.

    The tasks that ``precheck`` (the backend's plan-time check) skips go first, with the
    backend's reason, so that they never take the place of a task that would run.
    """
    tasks, skipped = split_prechecked(tasks, precheck)
    ordered = sorted(tasks, key=task_order)
    reason = f"over max_tasks ({max_tasks})"
    dropped = [Skip(file=t.file, reason=reason, symbol=t.symbol) for t in ordered[max_tasks:]]
    return ordered[:max_tasks], [*skipped, *dropped]
