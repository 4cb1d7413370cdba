"""GitHub Actions plumbing: step outputs, the job summary, log groups and annotations.

The text is built by pure functions; ``write_*`` append to the files GitHub names in
``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY`` and do nothing outside Actions.
Workflow-command values are escaped as the runner expects (``tta_ci.publish.markdown``), so a
task name or a test message can never start a command of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from tta_ci.core.errors import GitHubError
from tta_ci.core.report import MetricsDocument
from tta_ci.publish.markdown import command_data as escape_data
from tta_ci.publish.markdown import command_property as escape_property

__all__ = [
    "annotation_lines",
    "escape_data",
    "escape_property",
    "format_outputs",
    "group",
    "in_actions",
    "run_outputs",
    "write_outputs",
    "write_step_summary",
]

MAX_ANNOTATIONS = 10  # GitHub shows at most 10 warning annotations per step


def in_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def run_outputs(doc: MetricsDocument, output_dir: Path) -> dict[str, str]:
    """The action's outputs for one run."""
    return {
        "accepted": str(doc.totals.accepted),
        "rejected": str(doc.totals.rejected),
        "possible-bugs": str(doc.totals.possible_bugs),
        "cost-usd": f"{doc.totals.cost_usd:.6f}",
        "summary-path": str(output_dir / "summary.md"),
        "metrics-path": str(output_dir / "metrics.json"),
    }


def format_outputs(values: Mapping[str, str], delimiter: str | None = None) -> str:
    """``name=value`` lines; multi-line values use the heredoc form with a random delimiter."""
    lines: list[str] = []
    for name, value in values.items():
        if "\n" not in value and "\r" not in value:
            lines.append(f"{name}={value}")
            continue
        marker = delimiter or f"ghadelimiter_{uuid.uuid4()}"
        if marker in value:
            raise GitHubError(f"output {name!r}: value contains the delimiter {marker!r}")
        lines.extend([f"{name}<<{marker}", value, marker])
    return "".join(line + "\n" for line in lines)


def _append(environ: Mapping[str, str], name: str, text: str) -> Path | None:
    target = environ.get(name)
    if not target:
        return None
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise GitHubError(f"{name}={target}: cannot write: {exc.strerror}") from exc
    return path


def write_outputs(environ: Mapping[str, str], values: Mapping[str, str]) -> Path | None:
    """Append to ``$GITHUB_OUTPUT``; returns the file, or None outside Actions."""
    return _append(environ, "GITHUB_OUTPUT", format_outputs(values))


def write_step_summary(environ: Mapping[str, str], markdown: str) -> Path | None:
    """Append to ``$GITHUB_STEP_SUMMARY``; returns the file, or None outside Actions."""
    return _append(environ, "GITHUB_STEP_SUMMARY", markdown.rstrip("\n") + "\n")


def annotation_lines(doc: MetricsDocument, limit: int = MAX_ANNOTATIONS) -> list[str]:
    """``::warning file=…,line=…::`` for each possible bug (file and line when known)."""
    lines: list[str] = []
    for task in doc.tasks:
        for bug in task.possible_bugs:
            props = [f"file={escape_property(bug.file or task.file)}"]
            if bug.line:
                props.append(f"line={bug.line}")
            props.append(f"title={escape_property('tta-ci: possible bug in ' + task.symbol)}")
            message = f"{bug.test}: {bug.message}"
            lines.append(f"::warning {','.join(props)}::{escape_data(message)}")
    return lines[:limit]


@contextmanager
def group(title: str, stream: TextIO, environ: Mapping[str, str]) -> Iterator[None]:
    """Fold the lines written inside into one ``::group::`` in the Actions log."""
    folded = in_actions(environ)
    if folded:
        stream.write(f"::group::{escape_data(title)}\n")
    try:
        yield
    finally:
        if folded:
            stream.write("::endgroup::\n")
            stream.flush()


def emit(lines: Iterable[str], stream: TextIO) -> None:
    for line in lines:
        stream.write(line + "\n")
    stream.flush()
