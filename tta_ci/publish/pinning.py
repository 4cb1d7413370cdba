"""What the accepted tests pin, as Markdown for the summary and the PR comment (pure).

Per task: the changed-line mutation score before and after (the existing tests alone, then
with the accepted tests), the surviving mutants, and the behaviour changes (inputs on which the
base and the head differ). A behaviour change is information for the reviewer, never a bug.
"""

from __future__ import annotations

import re

from tta_ci.core.report import MetricsDocument

__all__ = [
    "MAX_CELL",
    "behaviour_section",
    "cell",
    "code_span",
    "mutation_section",
    "score_text",
]

MAX_CELL = 200


def cell(text: object, limit: int = MAX_CELL) -> str:
    """One Markdown table cell: one line, pipes and HTML escaped, bounded length."""
    value = " ".join(str(text).split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")


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
        lines.append(f"| `{cell(task.id)}` | {m.tried} | "
                     f"{score_text(m.killed_by_existing, m.tried)} | "
                     f"{score_text(m.killed_with_accepted, m.tried)} | {len(m.survivors)} |")
        survivors.extend(f"- `{cell(task.file)}:{s.line}` {cell(s.operator)}: "
                         f"{code_span(s.code, table=False)}" for s in m.survivors)
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
        lines.append(f"| `{cell(task_id)}` | {code_span(change.call)} | "
                     f"{code_span(change.before)} | {code_span(change.after)} |")
    if len(rows) > limit:
        lines.append(f"| … {len(rows) - limit} more | | | |")
    return [*lines, ""]


def code_span(text: str, limit: int = 120, *, table: bool = True) -> str:
    """``text`` as one inline code span: one line, bounded, fenced by more backticks than it
    holds (GitHub shows a code span literally: no HTML inside it is rendered); in a table
    cell its pipes are escaped, as GitHub's tables need even inside code."""
    value = " ".join(str(text).split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    span = f"{fence}{pad}{value}{pad}{fence}"
    return span.replace("|", "\\|") if table else span
