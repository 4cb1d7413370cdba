"""tta_ci.publish.actions: step outputs and ::warning annotations, escaped."""

from __future__ import annotations

import pytest
from support.publish_data import bug_task, document

from tta_ci.core.errors import GitHubError
from tta_ci.publish.actions import annotation_lines, format_outputs


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({"accepted": "3"}, "accepted=3\n", id="single-line"),
        pytest.param({"a": "1", "b": "x y"}, "a=1\nb=x y\n", id="several"),
        pytest.param({"notes": "one\ntwo"}, "notes<<EOF_X\none\ntwo\nEOF_X\n", id="multi-line"),
    ],
)
def test_format_outputs(values: dict[str, str], expected: str) -> None:
    assert format_outputs(values, delimiter="EOF_X") == expected


def test_multiline_output_refuses_its_delimiter() -> None:
    with pytest.raises(GitHubError, match="delimiter"):
        format_outputs({"x": "a\nEOF_X\nb"}, delimiter="EOF_X")


def test_annotations_are_escaped() -> None:
    doc = document([bug_task().model_copy(update={"symbol": "div,x"})])
    doc.tasks[0].possible_bugs[0] = doc.tasks[0].possible_bugs[0].model_copy(
        update={"message": "100% wrong\n::error::injected"})
    (line,) = annotation_lines(doc)
    prefix = "::warning file=calc.py,line=7,title=tta-ci%3A possible bug in div%2Cx::"
    assert line.startswith(prefix)
    assert line.endswith("test_div_by_one: 100%25 wrong%0A::error::injected")
    assert "\n" not in line
