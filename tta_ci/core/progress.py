"""Progress as it happens: the stage a task is in, and run-level notes.

Any stage of a run calls ``stage("validating 2/3")`` or ``note("planned 4 tasks")`` without
knowing who listens; the command line installs a ``Reporter`` with ``reporting(...)`` and the
engine names the task a stage belongs to with ``task(task_id)``. Both are held in context
variables, so every asyncio task (each copies the context it was created in) and every
``asyncio.to_thread`` call reports for its own task, and no signature changes to carry them.
Nothing is reported when no reporter is installed (the Python API, the tests).

Stdlib only, and nothing else of tta-ci: the first line of a command (``announce``) is
printed from here before anything heavy is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

TYPE_CHECKING = False  # not typing's: this module is on the path of a command's first line
if TYPE_CHECKING:
    from typing import Protocol, TextIO

    class Reporter(Protocol):
        def stage(self, task_id: str | None, text: str) -> None:
            """``task_id`` (None outside a task) starts ``text``: a transient status."""

        def note(self, text: str) -> None:
            """A line worth keeping: what was planned, skipped, dropped."""

        def expect(self, total: int) -> None:
            """``total`` tasks are about to run."""


__all__ = [
    "PREFIX", "announce", "current_task", "expect", "note", "reporting", "stage", "task",
]

PREFIX = "tta-ci: "
_reporter: ContextVar[Reporter | None] = ContextVar("tta_ci_reporter", default=None)
_task: ContextVar[str | None] = ContextVar("tta_ci_task", default=None)


def announce(text: str, stream: TextIO | None = None) -> None:
    """One line on stderr at once (a command's first line, before the heavy imports)."""
    out = stream or sys.stderr
    out.write(f"{PREFIX}{text}\n")
    out.flush()


def stage(text: str) -> None:
    """The current task (if any) starts ``text``; a no-op without a reporter."""
    reporter = _reporter.get()
    if reporter is not None:
        reporter.stage(_task.get(), text)


def note(text: str) -> None:
    """A run-level line for the reporter; a no-op without one."""
    reporter = _reporter.get()
    if reporter is not None:
        reporter.note(text)


def expect(total: int) -> None:
    """Tell the reporter (if any) how many tasks are about to run."""
    reporter = _reporter.get()
    if reporter is not None:
        reporter.expect(total)


def current_task() -> str | None:
    return _task.get()


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Send the stages and notes of the code inside (and of the tasks it starts) to
    ``reporter``."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


@contextmanager
def task(task_id: str) -> Iterator[None]:
    """The stages reported inside belong to ``task_id``."""
    token = _task.set(task_id)
    try:
        yield
    finally:
        _task.reset(token)
