"""tta_ci.publish.pinning: the mutation score before/after, the survivors and the behaviour
changes, in summary.md and the PR comment (records built here, as a run writes them)."""

from __future__ import annotations

from support.publish_data import document, task

from tta_ci.core.types import BehaviourChange, MutationScore, PossibleBug, Survivor
from tta_ci.publish.pinning import behaviour_section, mutation_section, score_text
from tta_ci.publish.sticky import render_comment
from tta_ci.publish.summary import render_summary

SCORE = MutationScore(tried=9, killed_by_existing=3, killed_with_accepted=8, survivors=(
    Survivor(line=12, operator="`>` → `>=`", code="if items > 10 | x:"),))
CHANGES = (BehaviourChange(call="parse_size('1.5K')", before="1500", after="1536"),
           BehaviourChange(call="f('`')", before="raises ValueError('<b>')", after="'|'"))


def test_score_text() -> None:
    assert (score_text(3, 9), score_text(8, 9), score_text(0, 0)) == ("3/9 (33%)", "8/9 (89%)",
                                                                      "-")


def test_the_mutation_score_before_and_after_and_the_survivors() -> None:
    doc = document([task(mutation=SCORE), task(id="calc.py::sub", mutation=None)])
    lines = mutation_section(doc)
    assert lines[:4] == [
        "### Changed-line mutation score", "",
        "| target | mutants | existing tests | with the accepted tests | survivors |",
        "| --- | ---: | ---: | ---: | ---: |"]
    assert lines[4] == "| `calc.py::add` | 9 | 3/9 (33%) | 8/9 (89%) | 1 |"
    assert "calc.py::sub" not in "\n".join(lines)
    assert "- `calc.py:12` `>` → `>=`: `if items > 10 | x:`" in lines  # code, not HTML
    assert mutation_section(document([task(mutation=MutationScore())])) == []


def test_behaviour_changes_are_a_short_table() -> None:
    lines = behaviour_section(document([task(behaviour_changes=list(CHANGES))]))
    assert "| `calc.py::add` | `parse_size('1.5K')` | `1500` | `1536` |" in lines
    assert "| `calc.py::add` | ``f('`')`` | `raises ValueError('<b>')` | `'\\|'` |" in lines
    many = [BehaviourChange(call=f"f({i})", before="1", after="2") for i in range(40)]
    lines = behaviour_section(document([task(behaviour_changes=many)]), limit=5)
    assert sum(line.startswith("| `calc.py::add`") for line in lines) == 5
    assert "| … 35 more | | | |" in lines


def test_summary_and_comment_show_scores_changes_and_the_bug_reason() -> None:
    bug = PossibleBug(test="test_vat", message="AssertionError: assert 25.0 == 20.0",
                      reason="Possible bug: the docstring says vat(100.0) is 20.0")
    doc = document([task(mutation=SCORE, behaviour_changes=list(CHANGES)),
                    task("possible_bug", id="calc.py::vat", possible_bugs=[bug])])
    summary = render_summary(doc)
    comment = render_comment(doc)
    for text in (summary, comment):
        assert "| `calc.py::add` | 9 | 3/9 (33%) | 8/9 (89%) | 1 |" in text
        assert "`parse_size('1.5K')` | `1500` | `1536`" in text
        assert "Possible bug: the docstring says vat(100.0) is 20.0" in text
    assert "### Changed-line mutation score" in summary and "### Behaviour changes" in summary
    assert "#### Changed-line mutation score" in comment
