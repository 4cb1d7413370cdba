"""tta_ci.sweep.rank: a function's gap in the existing tests, and the order of the gaps."""

from __future__ import annotations

import pytest

from tta_ci.core.types import Task
from tta_ci.sweep.rank import Gap, gap_of, ranked
from tta_ci.validate.coverage import Measured

SOURCE = '''def clamp(value, low, high):
    """Doc."""
    if value < low:
        return low
    return value
'''


def _task() -> Task:
    return Task(id="m.py::clamp", file="m.py", symbol="clamp", kind="function",
                changed_lines=(10, 11, 12, 13, 14), test_file="tests/test_m.py",
                source=SOURCE, start_line=10, end_line=14)


def test_the_gap_is_the_body_lines_and_branches_not_run() -> None:
    measured = Measured(executed={"m.py": frozenset({10, 12, 14})},
                        missing_branches={"m.py": ((12, 13), (3, 4))})
    gap = gap_of(_task(), measured)
    assert gap.lines == (12, 13, 14)  # the docstring and the def line do not count
    assert gap.uncovered_lines == (13,)
    assert gap.missing_branches == ((12, 13),)  # an arc of another function is not its gap
    assert gap.size == 2 and gap.untested


def test_a_file_the_tests_never_imported_is_all_gap() -> None:
    gap = gap_of(_task(), Measured())
    assert gap.uncovered_lines == gap.lines == (12, 13, 14) and gap.missing_branches == ()


def _gap(task_id: str, uncovered: int = 0, branches: int = 0, survivors: int | None = None,
         lines: int = 5) -> Gap:
    return Gap(id=task_id, lines=tuple(range(lines)), uncovered_lines=tuple(range(uncovered)),
               missing_branches=tuple((i, i + 1) for i in range(branches)), survivors=survivors)


@pytest.mark.parametrize(
    ("gaps", "order"),
    [
        pytest.param([_gap("a", 1), _gap("b", 3)], ["b", "a"], id="bigger-gap-first"),
        pytest.param([_gap("a", 1, 2), _gap("b", 2)], ["a", "b"], id="branches-count"),
        pytest.param([_gap("a"), _gap("b", 1)], ["b"], id="tested-left-out"),
        pytest.param([_gap("a", survivors=1), _gap("b", 1), _gap("c", survivors=0)], ["b", "a"],
                     id="survivors-after-coverage"),
        pytest.param([_gap("a", 1, lines=3), _gap("b", 1, lines=9)], ["b", "a"],
                     id="then-the-longer-function"),
        pytest.param([_gap("b", 1), _gap("a", 1)], ["b", "a"], id="then-file-order"),
    ],
)
def test_ranked(gaps: list[Gap], order: list[str]) -> None:
    assert [g.id for g in ranked(gaps, [g.id for g in gaps])] == order
