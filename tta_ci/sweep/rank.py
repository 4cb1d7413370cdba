"""What the existing tests leave untested in each public function, and the order to test them
(pure).

A function's gap is the body lines no existing test ran and the branches (arcs from a body
line) none took; with mutation on, also the mutants of the lines they do run that no existing
test kills. The biggest gaps come first; a function with none is tested already.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from tta_ci.core.types import Task
from tta_ci.validate.coverage import Measured, body_lines

__all__ = ["Gap", "gap_of", "ranked"]


class Gap(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    lines: tuple[int, ...]  # the function's body lines
    uncovered_lines: tuple[int, ...] = ()
    missing_branches: tuple[tuple[int, int], ...] = ()
    survivors: int | None = None  # mutants no existing test kills (None: not measured)

    @property
    def size(self) -> int:
        """Lines and branches that no existing test runs."""
        return len(self.uncovered_lines) + len(self.missing_branches)

    @property
    def untested(self) -> bool:
        return self.size > 0 or bool(self.survivors)


def gap_of(task: Task, measured: Measured) -> Gap:
    body = body_lines(task.source, task.start_line)
    executed = measured.executed.get(task.file, frozenset())
    inside = set(body)
    return Gap(
        id=task.id,
        lines=body,
        uncovered_lines=tuple(n for n in body if n not in executed),
        missing_branches=tuple(a for a in measured.missing_branches.get(task.file, ())
                               if a[0] in inside),
    )


def ranked(gaps: Iterable[Gap], order: Sequence[str] = ()) -> list[Gap]:
    """The untested gaps, biggest first: coverage gaps, then surviving mutants, then the
    longer function; ties keep ``order`` (the ids in file order)."""
    place = {task_id: i for i, task_id in enumerate(order)}
    found = [g for g in gaps if g.untested]
    return sorted(found, key=lambda g: (-g.size, -(g.survivors or 0), -len(g.lines),
                                        place.get(g.id, len(place)), g.id))
