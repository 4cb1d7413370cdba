"""What a run shows on the terminal: its progress as it goes (a live status line on a
terminal, plain lines in a log), the final table, and where the run's files go."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tta_ci.core import progress
from tta_ci.core.config import Config
from tta_ci.core.errors import ConfigError
from tta_ci.core.types import Skip

if TYPE_CHECKING:  # the engine and the metrics document are not on a command's first lines
    from tta_ci.core.report import MetricsDocument
    from tta_ci.engine import TaskResult

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
    """What a run shows while it goes, on stderr (a ``tta_ci.core.progress`` reporter and the
    pipeline's ``on_progress``).

    Notes (what was planned, skipped, dropped) and finished tasks are lines of their own.
    The stage a task starts (``generating``, ``validating 2/3``, ``mutants 4/8``) is a plain
    line in a log (CI); on a terminal it goes into one status line, redrawn in place: a bar,
    the count, and the latest stage of each running task.
    """

    def __init__(self, stream: TextIO | None = None, *, width: int | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width or shutil.get_terminal_size((100, 24)).columns
        self.total = 0
        self.done = 0
        self._stages: dict[str, str] = {}  # running task → the stage it is in
        self._shown = False  # a status line is on the screen

    @contextmanager
    def live(self) -> Iterator[Progress]:
        """Report the stages of the code inside here; clear the status line at the end."""
        with progress.reporting(self):
            try:
                yield self
            finally:
                self.close()

    # -- the reporter ---------------------------------------------------------------------

    def expect(self, total: int) -> None:
        self.total = total
        self._draw()

    def note(self, text: str) -> None:
        self._line(text)

    def stage(self, task_id: str | None, text: str) -> None:
        if not self.tty:
            self._line(f"{task_id}: {text}" if task_id else text)
            return
        self._stages[task_id or ""] = text
        self._draw()

    # -- finished tasks -------------------------------------------------------------------

    def __call__(self, result: TaskResult, done: int, total: int) -> None:
        label = result.task.id if result.task else result.task_id
        self.done, self.total = done, total
        self._stages.pop(label, None)
        seconds = result.finished_s - result.started_s
        how = "cached" if result.cached else f"{result.attempts} attempt(s)"
        line = (f"[{done}/{total}] {ICONS[result.outcome]} {result.outcome:<12} {label}"
                f"  ({how}, {seconds:.1f}s)")
        if result.outcome != "accepted" and result.reason:
            line += f": {result.reason}"
        self._line(line)

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False

    # -- drawing --------------------------------------------------------------------------

    def _line(self, text: str) -> None:
        clear = "\r\033[K" if self._shown else ""
        self._shown = False
        self.stream.write(f"{clear}{progress.PREFIX}{text}\n")
        self._draw()

    def _draw(self) -> None:
        if not self.tty or not (self.total or self._stages) or (
                self.total and self.done >= self.total):
            self.stream.flush()
            return
        parts = []
        if self.total:
            filled = round(20 * self.done / self.total)
            parts.append(f"[{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.total}")
        parts.extend(f"{name}: {text}" if name else text for name, text in self._stages.items())
        status = " · ".join(parts)
        if len(status) >= self.width:
            status = status[: max(self.width - 2, 1)] + "…"
        self.stream.write(f"\r\033[K{status}")
        self.stream.flush()
        self._shown = True


def print_table(doc: MetricsDocument, stream: TextIO) -> None:
    """A row per task, then a row per symbol the plan skipped (and did not record as a
    task), then the totals."""
    ids = {t.id for t in doc.tasks}
    skipped = [s for s in map(Skip.model_validate, doc.skipped) if s.where not in ids]
    named = [s for s in skipped if s.symbol]
    width = max((len(t.id) for t in doc.tasks), default=10)
    width = max([width, *(len(s.where) for s in named)])
    for t in doc.tasks:
        reason = "" if t.status == "accepted" else t.reason
        tests = f"{len(t.tests)} test(s) → {t.test_file}" if t.status == "accepted" else ""
        cached = " (cached)" if t.cached else ""
        stream.write(f"{ICONS[t.status]} {t.status:<12} {t.id:<{width}}  {tests}{reason}"
                     f"{cached}\n")
    for s in named:
        by = f" ({s.backend} backend)" if s.backend else ""
        stream.write(f"{ICONS['skipped']} {'skipped':<12} {s.where:<{width}}  {s.reason}{by}\n")
    n = doc.totals
    planned = f"; {len(skipped)} skipped when planning" if skipped else ""
    stream.write(
        f"{n.tasks} task(s): {n.accepted} accepted, {n.rejected} rejected, "
        f"{n.possible_bugs} possible bug(s), {n.skipped} skipped, {n.failed} failed{planned}; "
        f"{n.llm_requests} LLM request(s), ${n.cost_usd:.4f}, {doc.wall_s:.1f}s "
        f"[backend {doc.backend}, isolation {doc.isolation}]\n"
    )
    if doc.isolation == "fallback":
        from tta_ci.publish.summary import FALLBACK_WARNING

        stream.write(f"⚠️  {FALLBACK_WARNING}\n")
