"""tta_ci.publish.summary: the Markdown job summary, escaped and kept under its size limit."""

from __future__ import annotations

import re

import pytest
from support.publish_data import bug_task, document, task

from tta_ci.publish.summary import cell, outcome_line, render_summary


def test_summary_has_every_section() -> None:
    doc = document([task(), task("rejected", id="calc.py::sub", symbol="sub"), bug_task()],
                   skipped=[{"file": "setup.py", "reason": "not importable"}],
                   notes=["fork pull request: offline backend"])
    text = render_summary(doc)
    assert text.startswith("## ✅ **tta-ci**: 1 accepted, 1 rejected, 1 possible bug of 3 tasks")
    assert "| `calc.py::add` | ✅ accepted | covers 2 changed lines | 1 | openai/gpt-4.1-mini "\
           "| 160 | $0.0001 | 1.5s |" in text
    assert "| `calc.py::sub` | ❌ rejected | assertion failed |" in text
    assert "### Models" in text and "| `openai/gpt-4.1-mini` | 2 | 1.20s | 1.90s |" in text
    assert "### Totals" in text and "| 3 | 1 | 1 | 1 | 0 | 0 | 0 |" in text
    assert "- `calc.py:7` `test_div_by_one`: assert 0 == 4" in text
    assert "bubblewrap sandbox" in text
    assert "```mermaid\npie showData\n" in text and '"possible_bug" : 1' in text
    assert "`setup.py`: not importable" in text
    assert "> fork pull request: offline backend" in text


def test_fallback_isolation_is_a_warning() -> None:
    text = render_summary(document(isolation="fallback"))
    assert text.count('weak sandbox: the configuration chose sandbox = "fallback"') == 1
    assert "⚠️ Weak sandbox" in text  # the isolation section too
    assert "weak sandbox" not in render_summary(document(isolation="bwrap")).lower()


def test_empty_run_has_no_tables() -> None:
    text = render_summary(document([]))
    assert text.startswith("## ⚪ **tta-ci**: 0 accepted, 0 rejected of 0 tasks")
    assert "### Tasks" not in text and "```mermaid" not in text


def test_cells_cannot_break_the_table_or_inject_html() -> None:
    doc = document([task("rejected", reason="a | b\n<script>x</script>")])
    row = next(line for line in render_summary(doc).splitlines() if "calc.py::add" in line)
    assert "a \\| b &lt;script>x&lt;/script>" in row
    assert len(re.split(r"(?<!\\)\|", row)) - 2 == 8  # still eight columns


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a|b", "a\\|b", id="pipe"),
        pytest.param("x\n\ny", "x y", id="newlines"),
        pytest.param("é" * 300, "é" * 199 + "…", id="long"),
    ],
)
def test_cell(text: str, expected: str) -> None:
    assert cell(text) == expected


def test_outcome_line_counts() -> None:
    assert outcome_line(document([task()])) == "✅ **tta-ci**: 1 accepted, 0 rejected of 1 task"


def test_truncation_keeps_under_the_limit_and_points_at_the_artifact() -> None:
    tasks = [task(id=f"pkg/mod{i}.py::f{i}", reason="r" * 150) for i in range(20_000)]
    doc = document(tasks)
    full = render_summary(doc, limit_bytes=10**9)
    assert len(full.encode()) > 1_048_576
    text = render_summary(doc)
    assert len(text.encode()) <= 1_000_000
    assert "more tasks not shown: see the `tta-ci` artifact" in text
    assert "### Totals" in text and text.count("```") % 2 == 0


def test_tiny_limit_drops_whole_sections() -> None:
    doc = document([task(), bug_task()])
    text = render_summary(doc, limit_bytes=1200)
    assert len(text.encode()) <= 1200
    assert text.count("```") % 2 == 0  # no Mermaid block cut in half
    assert "Truncated: see the `tta-ci` artifact" in text


def test_task_notes_are_shown() -> None:
    from tta_ci.core.report import MetricsDocument, TaskRecord
    from tta_ci.publish.summary import render_summary

    doc = MetricsDocument(
        tool_version="0.1.0",
        started_at="2026-01-01T00:00:00+00:00",
        tasks=[
            TaskRecord(id="a.py::f", file="a.py", symbol="f", status="accepted",
                       notes=["agent finished after 4 iterations",
                              "discarded files written outside the test file: stray.py"]),
            TaskRecord(id="a.py::g", file="a.py", symbol="g", status="rejected"),
        ],
    )
    text = render_summary(doc)
    assert "### Task notes" in text
    assert "- `a.py::f`: discarded files written outside the test file: stray.py" in text
    assert "a.py::g`:" not in text


def test_names_are_shown_as_they_are_and_skips_by_name() -> None:
    reason = "no offline strategy: module tasks need an LLM backend"
    doc = document(
        [task("skipped", id="shop/pricing.py::<module>", symbol="<module>", reason=reason)],
        skipped=[
            {"file": "shop/pricing.py", "symbol": "<module>", "backend": "offline",
             "reason": reason},
            {"file": "shop/pricing.py", "symbol": "f", "reason": "over max_tasks (3)"},
            {"file": "shop/pricing.py", "symbol": "g", "reason": "over max_tasks (3)"},
            {"file": "shop/cart.py", "symbol": "<module>", "backend": "offline",
             "reason": reason},
            {"file": "README.md", "reason": "not python"},
        ])
    text = render_summary(doc)
    assert "| `shop/pricing.py::<module>` | ⏭️ skipped |" in text
    assert "&lt;module" not in text
    skipped = text.split("Skipped when planning</summary>", 1)[1].split("</details>", 1)[0]
    assert skipped.strip().splitlines() == [
        "- `shop/pricing.py::f`: over max_tasks (3)",
        "- `shop/pricing.py::g`: over max_tasks (3)",
        f"- `shop/cart.py::<module>` (offline backend): {reason}",
        "- `README.md`: not python",
    ]  # each dropped task by name, and no second line for the skipped task's row


def test_cached_tasks_are_marked() -> None:
    text = render_summary(document([task(cached=True)]))
    assert "| ✅ accepted (cached) |" in text
