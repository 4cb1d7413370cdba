"""tta_ci.core.lines: line numbers folded into ranges, and their one text form."""

from __future__ import annotations

import pytest

from tta_ci.core.lines import format_lines, python_lines, spans


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param([], [], id="none"),
        pytest.param([4], [(4, 4)], id="one"),
        pytest.param([3, 1, 2], [(1, 3)], id="unsorted-run"),
        pytest.param([7, 1, 2, 3, 7, 9, 10], [(1, 3), (7, 7), (9, 10)], id="runs-and-duplicates"),
        pytest.param(range(5, 8), [(5, 7)], id="any-iterable"),
    ],
)
def test_spans(lines: list[int], expected: list[tuple[int, int]]) -> None:
    assert spans(lines) == expected


@pytest.mark.parametrize(
    ("lines", "sep", "expected"),
    [
        pytest.param([], ", ", "", id="empty"),
        pytest.param([1, 2, 3, 7], ", ", "1-3, 7", id="range-and-single"),
        pytest.param([9, 2], ", ", "2, 9", id="sorted"),
        pytest.param([1, 2, 5, 6], ",", "1-2,5-6", id="separator"),
    ],
)
def test_format_lines(lines: list[int], sep: str, expected: str) -> None:
    assert format_lines(lines, sep) == expected


def test_python_lines_break_only_where_python_does() -> None:
    text = "a = 1\x0c  # form feed\nb = 2\r\nc = 3\rd = 4"
    assert python_lines(text) == ["a = 1\x0c  # form feed", "b = 2", "c = 3", "d = 4"]
    assert "".join(python_lines(text, keepends=True)) == text
    assert python_lines("") == [] and python_lines("x\n\n") == ["x", ""]
