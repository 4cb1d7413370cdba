"""``tta-ci hook --check``: which changed public functions does no existing test run?

No generation. The staged change is planned; its public functions and methods are kept; the
repository's existing tests run once, under coverage, in the sandbox, on a snapshot of the
staged content; a function counts as covered when some test ran one of its changed body
lines (all of its body lines, when only its signature or decorators changed).

When coverage cannot be measured (pytest could not collect or run the tests, a timeout),
``CheckReport.problem`` says why, and the hook fails: a check that could not look does not
pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tta_ci.core.config import Config
from tta_ci.core.lines import format_lines
from tta_ci.core.types import Task
from tta_ci.sandbox.workspace import workspace
from tta_ci.validate.coverage import body_lines, is_public, measure_existing
from tta_ci.validate.layout import existing_tests

__all__ = [
    "CheckReport",
    "FunctionCoverage",
    "body_lines",
    "check_tasks",
    "is_public",
    "render_check",
    "target_lines",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FunctionCoverage(_Frozen):
    id: str
    lines: tuple[int, ...]  # the lines that must run for the function to count as covered
    covered: bool


class CheckReport(_Frozen):
    functions: tuple[FunctionCoverage, ...] = ()
    tests: int = 0  # existing test files run
    problem: str | None = None  # why coverage could not be measured
    note: str = ""

    @property
    def uncovered(self) -> list[FunctionCoverage]:
        return [f for f in self.functions if not f.covered]

    @property
    def failed(self) -> bool:
        return self.problem is not None or bool(self.uncovered)


def target_lines(task: Task) -> tuple[int, ...]:
    """The changed body lines of a task's function, or all its body lines when none changed."""
    body = body_lines(task.source, task.start_line)
    changed = tuple(n for n in body if n in set(task.changed_lines))
    return changed or body


async def check_tasks(repo: Path, tasks: Sequence[Task], config: Config,
                      environ: Mapping[str, str], *, ref: str | None) -> CheckReport:
    """Coverage of the public functions among ``tasks`` by the tests of ``repo`` at ``ref``."""
    public = [t for t in tasks if is_public(t)]
    if not public:
        return CheckReport()
    with workspace(repo, ref=ref) as ws:
        tests = existing_tests(ws, config.test_dirs)
        if not tests:
            functions = tuple(FunctionCoverage(id=t.id, lines=target_lines(t), covered=False)
                              for t in public)
            return CheckReport(functions=functions, note="no existing test files found")
        files = sorted({t.file for t in public})
        roots = sorted({t.import_root for t in public})
        measured = await measure_existing(ws, files, roots, config, environ, tests)
    if measured.problem is not None:
        return CheckReport(tests=len(tests), problem=measured.problem)
    functions = tuple(
        FunctionCoverage(id=t.id, lines=(lines := target_lines(t)),
                         covered=not lines or bool(measured.executed[t.file] & set(lines)))
        for t in public
    )
    return CheckReport(functions=functions, tests=len(tests), note=measured.note)


def render_check(report: CheckReport) -> list[str]:
    """The lines the hook prints (without the ``tta-ci:`` prefix)."""
    if report.problem is not None:
        return [f"coverage could not be measured: {report.problem}",
                "fix the tests, or skip this check once with SKIP=tta-ci-check"]
    if not report.functions:
        return ["no changed public function to check"]
    out = [f"✘ not covered by any test: {f.id} (lines {format_lines(f.lines)})"
           for f in report.uncovered]
    if report.note:
        out.append(f"note: {report.note}")
    covered = len(report.functions) - len(report.uncovered)
    out.append(f"{covered} of {len(report.functions)} changed public function(s) covered "
               f"by {report.tests} existing test file(s)")
    if report.uncovered:
        out.append("add tests for them (`tta-ci hook` can write some), or skip once with "
                   "SKIP=tta-ci-check")
    return out
