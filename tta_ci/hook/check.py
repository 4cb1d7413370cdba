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

import ast
import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tta_ci.core.config import Config
from tta_ci.core.lines import format_lines
from tta_ci.core.types import Task
from tta_ci.sandbox.commands import pytest_argv
from tta_ci.sandbox.isolation import SandboxResult, isolation_level, run_sandboxed
from tta_ci.sandbox.workspace import workspace
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

_DATA_FILE = ".tta-ci-check.coverage"
_RC_FILE = ".tta-ci-check.coveragerc"
# pytest exit statuses: 0 all passed, 1 some failed, 5 no tests collected
_MEASURED = {0: "", 1: "some existing tests failed", 5: "the existing test files hold no test"}


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


def is_public(task: Task) -> bool:
    """Functions and methods whose dotted name has no ``_private`` part (dunders are public)."""
    if task.kind not in ("function", "method"):
        return False
    parts = task.symbol.split(".")
    return not any(p.startswith("_") and not (p.startswith("__") and p.endswith("__"))
                   for p in parts)


def body_lines(source: str, start_line: int) -> tuple[int, ...]:
    """The file lines of the statements in a function's body (docstring left out)."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return ()
    func = next((n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)),
                None)
    if func is None:
        return ()
    body = func.body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]
    lines = {node.lineno for stmt in body for node in ast.walk(stmt) if isinstance(node, ast.stmt)}
    return tuple(sorted(n + start_line - 1 for n in lines))


def target_lines(task: Task) -> tuple[int, ...]:
    """The changed body lines of a task's function, or all its body lines when none changed."""
    body = body_lines(task.source, task.start_line)
    changed = tuple(n for n in body if n in set(task.changed_lines))
    return changed or body


def _problem(result: SandboxResult, timeout_s: float) -> str | None:
    if result.timed_out:
        return f"the existing tests did not finish within {timeout_s:g}s"
    if result.returncode in _MEASURED:
        return None
    lines = [ln for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("ERROR ", "E  "))]
    detail = (errors or lines or [f"exit status {result.returncode}"])[-1].strip()
    return f"pytest could not run the existing tests (exit status {result.returncode}): {detail}"


def _executed(ws: Path, files: Sequence[str]) -> dict[str, set[int]]:
    from coverage import CoverageData

    data = CoverageData(basename=str(ws / _DATA_FILE))
    data.read()
    measured = {os.path.realpath(f): f for f in data.measured_files()}
    out: dict[str, set[int]] = {}
    for rel in files:
        name = measured.get(os.path.realpath(ws / rel))
        out[rel] = set(data.lines(name) or ()) if name else set()
    return out


async def _measure(ws: Path, tasks: Sequence[Task], config: Config, environ: Mapping[str, str],
                   tests: Sequence[str]) -> tuple[dict[str, set[int]], str | None, str]:
    files = sorted({t.file for t in tasks})
    roots = sorted({str(ws / t.import_root) for t in tasks} | {str(ws)})
    (ws / _RC_FILE).write_text("[run]\nbranch = False\n", encoding="utf-8")
    env = {**environ, "PYTHONPATH": os.pathsep.join(roots),
           "COVERAGE_FILE": str(ws / _DATA_FILE)}
    timeout = config.validation_timeout_s
    argv = pytest_argv(tests, coverage_rc=str(ws / _RC_FILE),
                       coverage_include=[str(ws / f) for f in files])
    result = await run_sandboxed(argv, workdir=ws, environ=env,
                                 timeout_s=timeout, isolation=isolation_level(config))
    problem = _problem(result, timeout)
    if problem is not None:
        return {}, problem, ""
    return _executed(ws, files), None, _MEASURED[result.returncode]


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
        executed, problem, note = await _measure(ws, public, config, environ, tests)
    if problem is not None:
        return CheckReport(tests=len(tests), problem=problem)
    functions = tuple(
        FunctionCoverage(id=t.id, lines=(lines := target_lines(t)),
                         covered=not lines or bool(executed[t.file] & set(lines)))
        for t in public
    )
    return CheckReport(functions=functions, tests=len(tests), note=note)




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
