"""tta_ci.publish.markdown: each context escapes what it must, and nothing else."""

from __future__ import annotations

import re

import pytest

from tta_ci.publish import markdown as md


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("pricing.py::<module>", "`pricing.py::<module>`", id="nothing-escaped"),
        pytest.param("a & b", "`a & b`", id="ampersand-as-is"),
        pytest.param("x = '`'", "``x = '`'``", id="a-backtick-inside"),
        pytest.param("`tick`", "`` `tick` ``", id="starts-with-a-backtick"),
        pytest.param("a\n\nb", "`a b`", id="one-line"),
        pytest.param("", "", id="empty"),
    ],
)
def test_code_spans_show_the_value_literally(value: str, expected: str) -> None:
    assert md.code(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("1 < 2 & 3", "1 &lt; 2 &amp; 3", id="html"),
        pytest.param("<script>x</script>", "&lt;script>x&lt;/script>", id="no-tags"),
        pytest.param("*not bold* [no](link) `no code`",
                     "\\*not bold\\* \\[no](link) \\`no code\\`", id="no-markup"),
        pytest.param("__init__ and max_tasks", "\\_\\_init\\_\\_ and max_tasks",
                     id="underscores-only-at-edges"),
        pytest.param("back\\slash", "back\\\\slash", id="backslash"),
        pytest.param("line one\nline two", "line one line two", id="one-line"),
    ],
)
def test_text(value: str, expected: str) -> None:
    assert md.text(value) == expected


def test_cells_cannot_start_a_column_and_code_cells_escape_only_pipes() -> None:
    assert md.cell("a | b\nc") == "a \\| b c"
    assert md.code_cell("f(a | b) <x>") == "`f(a \\| b) <x>`"
    assert md.cell("é" * 300) == "é" * 199 + "…"
    assert md.cell("&" * 300, limit=5) == "&amp;" * 4 + "…"  # cut before escaping


def test_notes_keep_their_code_spans_and_escape_the_rest() -> None:
    assert md.note("committed 2 file(s) to `feature/x` as 1234") == (
        "committed 2 file(s) to `feature/x` as 1234")
    assert md.note("branch `a<b>` and <img src=x>") == "branch `a<b>` and &lt;img src=x>"
    assert md.note("an odd ` backtick") == "an odd \\` backtick"


def test_html_and_blocks() -> None:
    assert md.html('tests/<a>"b".py\n') == "tests/&lt;a&gt;&quot;b&quot;.py"
    block = md.block("x = '```'\n", "python")
    assert block == "````python\nx = '```'\n````"
    assert md.fence("no ticks") == "```"


def test_workflow_commands_cannot_start_a_command_of_their_own() -> None:
    assert md.command_data("50%\n::error::x") == "50%25%0A::error::x"
    assert md.command_property("a:b,c") == "a%3Ab%2Cc"


def test_a_hostile_value_renders_as_one_table_row() -> None:
    hostile = "x | y\n\n| --- |\n<details>`|`"
    row = f"| {md.code_cell(hostile)} | {md.cell(hostile)} |"
    assert "\n" not in row
    assert len(re.split(r"(?<!\\)\|", row)) == 4  # two cells
