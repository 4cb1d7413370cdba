"""The task an OpenHands agent is given: one pure function over the task and its workspace."""

from __future__ import annotations

from pathlib import Path

from tta_ci.core.lines import format_lines
from tta_ci.core.types import Candidate, Task
from tta_ci.generators.llm.prompts import import_line, mark_changed_lines, trim_lines

__all__ = ["FEEDBACK_BUDGET", "PREVIOUS_BUDGET", "agent_prompt"]

FEEDBACK_BUDGET = 1500  # tokens of validator feedback shown on a repair attempt
PREVIOUS_BUDGET = 3000  # tokens of the rejected test file shown on a repair attempt


def _repair_part(previous: Candidate | None, feedback: str | None) -> list[str]:
    if previous is None and not feedback:
        return []
    parts = ["This is a repair attempt: the validator rejected the previous test file."]
    if previous is not None and previous.code.strip():
        code = trim_lines(previous.code.strip(), PREVIOUS_BUDGET)
        parts.append(f"The rejected test file:\n```python\n{code}\n```")
    text = trim_lines((feedback or "").strip() or "(no details)", FEEDBACK_BUDGET, keep_tail=True)
    parts.append(f"The validator's feedback:\n```text\n{text}\n```")
    parts.append("Fix the failing tests or drop them, and make sure the changed lines run.")
    return parts


def agent_prompt(
    task: Task,
    workdir: Path,
    *,
    previous: Candidate | None = None,
    feedback: str | None = None,
) -> str:
    """What the agent is asked to do in ``workdir``, a checkout of the repository."""
    test_path = workdir / task.test_file
    root = workdir / task.import_root if task.import_root else workdir
    source = mark_changed_lines(task.source, task.start_line, task.changed_lines)
    parts = [
        f"The repository is checked out at {workdir}.",
        f"Write pytest unit tests for `{task.symbol}` ({task.kind}) in `{task.file}`. "
        f"The changed lines ({format_lines(task.changed_lines)}) are marked with `>>` below; "
        "the tests must execute them and check their behaviour with real assertions "
        "(or pytest.raises).",
    ]
    if task.description:
        parts.append(f"About the change: {task.description}")
    parts.append(f"Source of `{task.symbol}`:\n```python\n{source}\n```")
    parts.append(
        f"Test file: {test_path}\n"
        f"Write the tests to exactly this file (create it, or extend it if it exists). "
        f"Import the code under test with `{import_line(task)}`; tests run with pytest from "
        f"{workdir} with {root} on sys.path."
    )
    parts.append(
        "Rules: do not create, modify or delete any other file (anything written elsewhere is "
        "discarded). No conftest.py, no pytest hooks, no network, no subprocesses, no sleeping. "
        f"Run `python -m pytest -q {task.test_file}` from {workdir} to check that the tests pass, "
        "then call the finish tool."
    )
    parts.extend(_repair_part(previous, feedback))
    return "\n\n".join(parts)
