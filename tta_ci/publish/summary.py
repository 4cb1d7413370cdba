"""The run as Markdown: ``summary.md`` and the GitHub job summary (pure functions).

GitHub refuses a job summary over 1 MiB, so ``render_summary`` keeps the text under
``limit_bytes`` by dropping task rows (never cutting a table or a Mermaid block in half) and
pointing at the artifact for the rest.
"""

from __future__ import annotations

from collections import Counter

from tta_ci.core.report import MetricsDocument, ModelStats, TaskRecord
from tta_ci.core.types import Skip
from tta_ci.publish.markdown import cell, code, code_cell, note, text
from tta_ci.publish.pinning import behaviour_section, mutation_section

__all__ = [
    "DEFAULT_LIMIT_BYTES",
    "FALLBACK_WARNING",
    "OUTCOME_LABELS",
    "cell",
    "outcome_line",
    "render_summary",
]

DEFAULT_LIMIT_BYTES = 1_000_000  # GitHub's limit is 1 MiB (1,048,576 bytes) per step
ARTIFACT_POINTER = "the `tta-ci` artifact (`metrics.json` and `summary.md`)"
OUTCOME_LABELS = {
    "accepted": "✅ accepted",
    "rejected": "❌ rejected",
    "possible_bug": "🐞 possible bug",
    "skipped": "⏭️ skipped",
    "failed": "💥 failed",
    "cancelled": "⏹️ cancelled",
}
FALLBACK_WARNING = (
    'weak sandbox: the configuration chose sandbox = "fallback", so the pull request\'s code '
    "and the generated tests ran without bubblewrap (scrubbed environment, resource limits, "
    "network blocked, no capabilities), not in a namespace sandbox")
ISOLATION_TEXT = {
    "bwrap": "Generated tests ran in a bubblewrap sandbox: no network, own PID namespace, "
    "cleared environment, nothing of the checkout but the tree under test, only a temporary "
    "workspace writable.",
    "fallback": f"⚠️ {FALLBACK_WARNING[0].upper()}{FALLBACK_WARNING[1:]}.",
}
def outcome_line(doc: MetricsDocument) -> str:
    t = doc.totals
    parts = [f"{t.accepted} accepted", f"{t.rejected} rejected"]
    if t.possible_bugs:
        parts.append(f"{t.possible_bugs} possible bug{'s' if t.possible_bugs != 1 else ''}")
    for name, count in (("skipped", t.skipped), ("failed", t.failed)):
        if count:
            parts.append(f"{count} {name}")
    icon = "✅" if t.accepted else ("⚪" if t.tasks == 0 else "⚠️")
    return f"{icon} **tta-ci**: {', '.join(parts)} of {t.tasks} task{'s' if t.tasks != 1 else ''}"


def _money(value: float) -> str:
    return f"${value:.4f}"


def _context_lines(doc: MetricsDocument) -> list[str]:
    backend = doc.backend or "?"
    if doc.backend_reason:
        backend += f" ({text(doc.backend_reason)})"
    lines = [f"Backend: {backend} · isolation: {doc.isolation or 'n/a'} · mode: {doc.mode}"]
    refs = []
    if doc.base or doc.head:
        refs.append(code(f"{(doc.base or '?')[:12]}..{(doc.head or '?')[:12]}"))
    if doc.shard:
        refs.append(f"shard {doc.shard}")
    refs.append(f"wall {doc.wall_s:.1f}s")
    lines.append(" · ".join(refs))
    if doc.isolation == "fallback":
        lines.append(f"> ⚠️ **{FALLBACK_WARNING}**")
    lines.extend(f"> {note(item, 500)}" for item in doc.notes)
    return [line + "  " for line in lines]


TASK_HEADER = [
    "| target | result | reason | attempts | model | tokens | cost | time |",
    "| --- | --- | --- | ---: | --- | ---: | ---: | ---: |",
]


def task_row(task: TaskRecord) -> str:
    tokens = task.prompt_tokens + task.completion_tokens
    model = task.model or task.generator or "-"
    cached = " (cached)" if task.cached else ""
    return (
        f"| {code_cell(task.id)} | {OUTCOME_LABELS.get(task.status, task.status)}{cached} "
        f"| {cell(task.reason) or '-'} | {task.attempts} | {cell(model)} | {tokens} "
        f"| {_money(task.cost_usd)} | {task.latency_s:.1f}s |"
    )


def _model_row(name: str, m: ModelStats) -> str:
    return (
        f"| {code_cell(name)} | {m.requests} | {m.p50_latency_s:.2f}s | {m.p95_latency_s:.2f}s "
        f"| {m.prompt_tokens} | {m.completion_tokens} | {_money(m.cost_usd)} "
        f"| {m.accepted} | {m.rejected} |"
    )


def _models_section(doc: MetricsDocument) -> list[str]:
    if not doc.models:
        return []
    return [
        "### Models",
        "",
        "| model | requests | p50 | p95 | prompt tokens | completion tokens | cost "
        "| accepted | rejected |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(_model_row(name, stats) for name, stats in sorted(doc.models.items())),
        "",
    ]


def _totals_section(doc: MetricsDocument) -> list[str]:
    t = doc.totals
    return [
        "### Totals",
        "",
        "| tasks | accepted | rejected | possible bugs | skipped | failed | cached "
        "| LLM requests | retries | tokens (prompt/completion) | cost | success rate |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {t.tasks} | {t.accepted} | {t.rejected} | {t.possible_bugs} | {t.skipped} "
        f"| {t.failed} | {t.cached} | {t.llm_requests} | {t.retries} "
        f"| {t.prompt_tokens}/{t.completion_tokens} | {_money(t.cost_usd)} "
        f"| {_success_rate(doc):.0%} |",
        "",
    ]


def _success_rate(doc: MetricsDocument) -> float:
    """Accepted over the tasks that ran (not skipped or cancelled)."""
    t = doc.totals
    ran = t.tasks - t.skipped - t.cancelled
    return t.accepted / ran if ran > 0 else 0.0


def _bugs_section(doc: MetricsDocument, limit: int = 50) -> list[str]:
    bugs = [(task, bug) for task in doc.tasks for bug in task.possible_bugs]
    if not bugs:
        return []
    lines = ["### Possible bugs", ""]
    for task, bug in bugs[:limit]:
        where = f"{bug.file or task.file}:{bug.line}" if bug.line else (bug.file or task.file)
        said = f"{text(bug.reason, 500)} — " if bug.reason else ""
        lines.append(f"- {code(where)} {code(bug.test)}: {said}{text(bug.message, 500)}")
    if len(bugs) > limit:
        lines.append(f"- … {len(bugs) - limit} more in {ARTIFACT_POINTER}")
    return [*lines, ""]


def _isolation_section(doc: MetricsDocument) -> list[str]:
    line = ISOLATION_TEXT.get(doc.isolation)
    return ["### Isolation", "", line, ""] if line else []


def _chart_section(doc: MetricsDocument) -> list[str]:
    counts = Counter(task.status for task in doc.tasks)
    if not counts:
        return []
    slices = [f'    "{status}" : {count}' for status, count in sorted(counts.items())]
    return ["### Outcomes", "", "```mermaid", "pie showData", *slices, "```", ""]


def _skipped_section(doc: MetricsDocument, limit: int = 30) -> list[str]:
    """What the plan skipped (files, and symbols by name), minus the skipped task rows."""
    ids = {t.id for t in doc.tasks}
    skips = [s for s in map(Skip.model_validate, doc.skipped) if s.where not in ids]
    if not skips:
        return []
    lines = ["<details><summary>Skipped when planning</summary>", ""]
    for skip in skips[:limit]:
        by = f" ({text(skip.backend)} backend)" if skip.backend else ""
        lines.append(f"- {code(skip.where)}{by}: {text(skip.reason)}")
    if len(skips) > limit:
        lines.append(f"- … {len(skips) - limit} more in {ARTIFACT_POINTER}")
    return [*lines, "", "</details>", ""]


def _notes_section(doc: MetricsDocument, limit: int = 50) -> list[str]:
    """What generators said about single tasks (agent status, discarded files, findings)."""
    notes = [(t.id, item) for t in doc.tasks for item in t.notes]
    if not notes:
        return []
    lines = ["### Task notes", ""]
    lines.extend(f"- {code(task_id)}: {note(item, 500)}" for task_id, item in notes[:limit])
    if len(notes) > limit:
        lines.append(f"- … {len(notes) - limit} more in {ARTIFACT_POINTER}")
    return [*lines, ""]


def _size(lines: list[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def render_summary(doc: MetricsDocument, *, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> str:
    """The whole summary, under ``limit_bytes`` bytes of UTF-8."""
    head = [f"## {outcome_line(doc)}", "", *_context_lines(doc), ""]
    sections = [
        _totals_section(doc),
        _models_section(doc),
        _bugs_section(doc),
        mutation_section(doc),
        behaviour_section(doc),
        _notes_section(doc),
        _isolation_section(doc),
        _chart_section(doc),
        _skipped_section(doc),
    ]
    sections = [section for section in sections if section]
    wanted = len(sections)
    rows = [task_row(task) for task in doc.tasks]
    pointer = f"_… {{}} more tasks not shown: see {ARTIFACT_POINTER}._"
    truncated = [f"_Truncated: see {ARTIFACT_POINTER}._", ""]
    reserve = _size(head) + _size(["### Tasks", "", *TASK_HEADER, "", pointer, "", *truncated])
    reserve += 16 if rows else 0
    while sections and reserve + sum(map(_size, sections)) > limit_bytes:
        sections.pop()  # whole sections only: a table or a Mermaid block is never cut
    tail = [line for section in sections for line in section]
    budget = limit_bytes - reserve - _size(tail)
    kept: list[str] = []
    for row in rows:
        budget -= len(row.encode("utf-8")) + 1
        if budget < 0:
            break
        kept.append(row)
    tasks = ["### Tasks", "", *TASK_HEADER, *kept, ""] if kept else []
    if len(kept) < len(rows):
        tasks.extend([pointer.format(len(rows) - len(kept)), ""])
    body = "\n".join([*head, *tasks, *tail, *(truncated if len(sections) < wanted else [])])
    if len(body.encode("utf-8")) > limit_bytes:
        return _hard_cut(body, limit_bytes)
    return body


def _hard_cut(text: str, limit_bytes: int) -> str:
    """Last resort (absurdly long notes or a tiny limit): cut at a line boundary."""
    pointer = f"_Truncated: see {ARTIFACT_POINTER}._\n"
    room = max(limit_bytes - len(pointer.encode("utf-8")) - 1, 0)
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut[: cut.rfind("\n") + 1] + pointer if "\n" in cut else pointer[:limit_bytes]
