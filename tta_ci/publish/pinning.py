"""What the accepted tests pin, as Markdown for the summary and the PR comment (pure).

Per task: the changed-line mutation score before and after (the existing tests alone, then
with the accepted tests), the surviving mutants, and the behaviour changes (inputs on which the
base and the head differ). A behaviour change is information for the reviewer, never a bug.
"""

from __future__ import annotations

from tta_ci.core.report import MetricsDocument
from tta_ci.publish.markdown import code, code_cell, note

__all__ = ["behaviour_section", "mutation_section", "score_text"]

SPAN = 120  # the longest mutated line or value shown


def score_text(killed: int, tried: int) -> str:
    return f"{killed}/{tried} ({killed / tried:.0%})" if tried else "-"


def mutation_section(doc: MetricsDocument, *, heading: str = "###", limit: int = 30
                     ) -> list[str]:
    """The score table and the survivors, for the tasks whose mutants were tried."""
    scored = [t for t in doc.tasks if t.mutation is not None and t.mutation.tried]
    if not scored:
        return []
    lines = [f"{heading} Changed-line mutation score", "",
             "| target | mutants | existing tests | with the accepted tests | survivors |",
             "| --- | ---: | ---: | ---: | ---: |"]
    survivors: list[str] = []
    for task in scored[:limit]:
        m = task.mutation
        assert m is not None
        lines.append(f"| {code_cell(task.id)} | {m.tried} | "
                     f"{score_text(m.killed_by_existing, m.tried)} | "
                     f"{score_text(m.killed_with_accepted, m.tried)} | {len(m.survivors)} |")
        survivors.extend(f"- {code(f'{task.file}:{s.line}')} {note(s.operator)}: "
                         f"{code(s.code, SPAN)}" for s in m.survivors)
    if len(scored) > limit:
        lines.append(f"| … {len(scored) - limit} more tasks | | | | |")
    lines.append("")
    if survivors:
        lines.extend(["<details><summary>Mutants no test kills</summary>", "",
                      *survivors[:limit * 3], "", "</details>", ""])
    return lines


def behaviour_section(doc: MetricsDocument, *, heading: str = "###", limit: int = 30
                      ) -> list[str]:
    """The inputs on which base and head differ, one row each."""
    rows = [(t.id, c) for t in doc.tasks for c in t.behaviour_changes]
    if not rows:
        return []
    lines = [f"{heading} Behaviour changes", "",
             "Inputs on which the base and the head of a changed function differ (for review; "
             "not a bug by itself):", "",
             "| target | call | before | after |", "| --- | --- | --- | --- |"]
    for task_id, change in rows[:limit]:
        lines.append(f"| {code_cell(task_id)} | {code_cell(change.call, SPAN)} | "
                     f"{code_cell(change.before, SPAN)} | {code_cell(change.after, SPAN)} |")
    if len(rows) > limit:
        lines.append(f"| … {len(rows) - limit} more | | | |")
    return [*lines, ""]

