"""What a run shows on the terminal: a line per finished task (a bar on a terminal), the
final table, and where the run's files go."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TextIO

from tta_ci.core.config import Config
from tta_ci.core.errors import ConfigError
from tta_ci.core.report import MetricsDocument
from tta_ci.engine import TaskResult
from tta_ci.publish.summary import FALLBACK_WARNING

__all__ = [
    "ICONS",
    "Progress",
    "checked_output_dir",
    "output_dir",
    "print_table",
    "writable_dir",
]

ICONS = {
    "accepted": "✔",
    "rejected": "✘",
    "possible_bug": "!",
    "skipped": "-",
    "failed": "✘",
    "cancelled": "-",
}


def output_dir(config: Config, repo: Path) -> Path:
    """A flag's path is relative to the current directory; the config's to the repository."""
    path = Path(config.output_dir)
    if path.is_absolute() or config.source("output_dir").startswith("flag"):
        return path
    return repo / path


def checked_output_dir(config: Config, repo: Path) -> Path:
    """``output_dir``, made if missing and checked writable: before any work, so that a run
    never does it all and then cannot write its results."""
    name = "--output-dir" if config.source("output_dir").startswith("flag") else "output_dir"
    return writable_dir(output_dir(config, repo), name)


def writable_dir(out: Path, name: str) -> Path:
    """``out``, made if missing; a ConfigError naming ``name`` when it cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out, prefix=".tta-ci-write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{name} {out}: not a writable folder ({exc.strerror or exc}); "
                          "choose another") from exc
    return out


class Progress:
    """One line per finished task; a bar on a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def __call__(self, result: TaskResult, done: int, total: int) -> None:
        label = result.task.id if result.task else result.task_id
        seconds = result.finished_s - result.started_s
        line = (
            f"[{done}/{total}] {ICONS[result.outcome]} {result.outcome:<12} {label}"
            f"  ({result.attempts} attempt(s), {seconds:.1f}s)"
        )
        if result.outcome != "accepted" and result.reason:
            line += f": {result.reason}"
        prefix = "\r\033[K" if self.tty else ""
        self.stream.write(f"{prefix}tta-ci: {line}\n")
        if self.tty and done < total:
            filled = round(20 * done / total)
            self.stream.write(f"[{'#' * filled}{'.' * (20 - filled)}] {done}/{total}")
        self.stream.flush()


def print_table(doc: MetricsDocument, stream: TextIO) -> None:
    width = max((len(t.id) for t in doc.tasks), default=10)
    for t in doc.tasks:
        reason = "" if t.status == "accepted" else t.reason
        tests = f"{len(t.tests)} test(s) → {t.test_file}" if t.status == "accepted" else ""
        stream.write(f"{ICONS[t.status]} {t.status:<12} {t.id:<{width}}  {tests}{reason}\n")
    n = doc.totals
    stream.write(
        f"{n.tasks} task(s): {n.accepted} accepted, {n.rejected} rejected, "
        f"{n.possible_bugs} possible bug(s), {n.skipped} skipped, {n.failed} failed; "
        f"{n.llm_requests} LLM request(s), ${n.cost_usd:.4f}, {doc.wall_s:.1f}s "
        f"[backend {doc.backend}, isolation {doc.isolation}]\n"
    )
    if doc.isolation == "fallback":
        stream.write(f"⚠️  {FALLBACK_WARNING}\n")
