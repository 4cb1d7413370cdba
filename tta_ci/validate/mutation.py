"""Mutants of the changed lines, and who kills them.

Plan, then apply: ``tta_ci.core.mutants`` plans the operator mutants (pure); ``task_mutants``
adds the base version of the changed symbol as one more mutant (the change reverted: a test
that fails on it pins the change even where it runs no new line). Each mutant knows the lines
of the real code it touches (``reach``): a mutant runs only the tests whose per-test coverage
context reached one of them. ``swap_runner`` is the one seam that runs tests on a mutant
(``run_mutant(spec, mutant) -> RunReport``): ``swap_runner`` writes the mutant over the target
file of the validator's workspace for fresh sandboxed pytest processes and restores the file;
``tta_ci.validate.warmpool`` switches it in a warm interpreter instead (and falls back to
``swap_runner``).
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from tta_ci.core.lines import python_lines
from tta_ci.core.mutants import Mutant, mutants
from tta_ci.core.types import MutationScore, Survivor, Task
from tta_ci.validate.runner import Launcher, RunReport, RunSpec

__all__ = [
    "BASE_OPERATOR",
    "Mutant",
    "MutantRunner",
    "Planned",
    "RunFn",
    "RunnerFactory",
    "kills",
    "mutants",
    "plan_mutants",
    "score",
    "survivors_feedback",
    "swap_runner",
]

BASE_OPERATOR = "the change reverted (base version)"


class RunFn(Protocol):
    """One run of ``spec`` in the validator's workspace, as the validator runs it on a mutant;
    ``launcher``: how its processes start (default: fresh sandboxed interpreters)."""

    def __call__(self, spec: RunSpec, launcher: Launcher | None = None
                 ) -> Awaitable[RunReport]: ...


MutantRunner = Callable[[RunSpec, Mutant], Awaitable[RunReport]]
RunnerFactory = Callable[[Path, str, RunFn], MutantRunner]  # (workspace, target file, run)


class Planned(BaseModel):
    """A mutant with what the reviewer reads of it and the real lines it touches."""

    model_config = ConfigDict(frozen=True)

    mutant: Mutant
    operator: str  # "`<` → `<=`"
    code: str  # the mutated code, one line
    reach: frozenset[int]  # lines of the real code: a test that ran none cannot kill it

    def survivor(self) -> Survivor:
        return Survivor(line=self.mutant.line, operator=self.operator, code=self.code)


def _diff(original: list[str], mutated: list[str]) -> tuple[set[int], str]:
    """(changed original line numbers, the mutated text) of two line lists."""
    touched: set[int] = set()
    code: list[str] = []
    matcher = difflib.SequenceMatcher(a=original, b=mutated, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            touched.update(range(i1 + 1, max(i2, i1 + 1) + 1))
            code.extend(line.strip() for line in mutated[j1:j2])
    return touched, " ".join(c for c in code if c)


def _planned(lines: list[str], mutant: Mutant, operator: str,
             reach: Iterable[int] = ()) -> Planned:
    touched, code = _diff(lines, python_lines(mutant.source))
    return Planned(mutant=mutant, operator=operator, code=code[:200],
                   reach=frozenset({mutant.line, *touched, *reach}))


def _base_mutant(text: str, task: Task) -> Mutant | None:
    """The head file with the changed symbol's base version in its place, if it compiles."""
    base = task.base_source
    if not base or task.kind not in ("function", "method") or base == task.source:
        return None
    lines = python_lines(text, keepends=True)
    if not 0 < task.start_line <= task.end_line <= len(lines):
        return None
    body = base if base.endswith("\n") else base + "\n"
    source = "".join([*lines[: task.start_line - 1], body, *lines[task.end_line:]])
    try:
        compile(source, "<base>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    first = min(task.changed_lines, default=task.start_line)
    return Mutant(line=first, description=f"line {first}: {BASE_OPERATOR}", source=source)


def plan_mutants(text: str, task: Task, changed: Sequence[int], limit: int) -> list[Planned]:
    """At most ``limit`` operator mutants of ``changed``, then the base version (when the
    symbol existed on the base and differs)."""
    lines = python_lines(text)
    planned = [_planned(lines, m, m.description.split(": ", 1)[-1])
               for m in mutants(text, changed, limit=limit)]
    base = _base_mutant(text, task)
    if base is not None:
        span = range(task.start_line, task.end_line + 1)
        found = _planned(lines, base, BASE_OPERATOR, span)
        planned.append(found.model_copy(update={"code": _base_code(task)}))
    return planned


def _base_code(task: Task) -> str:
    """The base lines that differ from the head, docstrings and comments aside (what the
    change reverted, for a reader)."""
    head, base = (task.source or "").splitlines(), (task.base_source or "").splitlines()
    matcher = difflib.SequenceMatcher(a=head, b=base, autojunk=False)
    lines = [line.strip() for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal"
             for line in base[j1:j2]]
    kept = [line for line in lines if line and not line.startswith(('"', "'", "#"))]
    return (" ".join(kept) or f"the base version of `{task.symbol}`")[:200]


def kills(report: RunReport, selected: Iterable[str]) -> set[str]:
    """The selected node ids (all passed on the real code) that fail or die on the mutant."""
    killed: set[str] = set()
    for nodeid in selected:
        record = report.results.get(nodeid)
        path = nodeid.split("::", 1)[0]
        dead = path in report.dead_files or path in report.collect_errors
        if dead or record is None or record.outcome != "passed":
            killed.add(nodeid)
    return killed


def reaching(planned: Planned, contexts: Mapping[str, frozenset[int]],
             candidates: Iterable[str]) -> list[str]:
    """The node ids among ``candidates`` whose coverage context ran a line the mutant touches."""
    return sorted(n for n in candidates if contexts.get(n, frozenset()) & planned.reach)


def swap_runner(ws: Path, target: str, run: RunFn) -> MutantRunner:
    """``run_mutant(spec, mutant)``: the mutant written over ``target`` for one run of
    ``spec``, the real file restored after it (never written through a link). One file holds
    one mutant at a time: the runs of one runner take turns."""
    path = ws / target
    turn = asyncio.Lock()

    async def run_mutant(spec: RunSpec, mutant: Mutant) -> RunReport:
        async with turn:
            original = path.read_bytes()
            if path.is_symlink():  # it may point out of the workspace
                path.unlink()
            try:
                path.write_bytes(mutant.source.encode("utf-8"))
                return await run(spec)
            finally:
                path.write_bytes(original)  # later runs in this workspace see the real code

    return run_mutant


def score(planned: Sequence[Planned], by_existing: Iterable[int],
          by_accepted: Iterable[int]) -> MutationScore:
    """Tried, killed by the existing tests, killed with the accepted ones, survivors."""
    existing = set(by_existing)
    together = existing | set(by_accepted)
    return MutationScore(
        tried=len(planned), killed_by_existing=len(existing), killed_with_accepted=len(together),
        survivors=tuple(p.survivor() for i, p in enumerate(planned) if i not in together))


def survivors_feedback(found: MutationScore) -> str:
    """Repair text: the changes to the changed lines that no test notices."""
    if not found.survivors:
        return ""
    shown = "\n".join(f"- line {s.line}: {s.operator}: {s.code}" for s in found.survivors)
    return ("### mutants no test kills\nNo test notices these changes to the code under test; "
            "assert the exact results (boundaries, signs, return values, raised errors) that "
            "they would change:\n" + shown)
