"""The existing tests of a workspace, run once under coverage in the sandbox.

What ``tta-ci hook --check`` and ``tta-ci sweep`` share: one pytest process over the
repository's test files, under ``coverage run`` (with branch coverage when asked), measuring
only the named source files; read back as the lines each file ran and the branches it never
took. The report is read in this process from the data file (coverage.py parses the sources,
it never runs them).

When coverage cannot be measured (pytest could not collect or run the tests, a timeout),
``Measured.problem`` says why.
"""

from __future__ import annotations

import ast
import json
import os
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tta_ci.core.config import Config
from tta_ci.core.types import Task
from tta_ci.sandbox.commands import pytest_argv
from tta_ci.sandbox.isolation import SandboxResult, isolation_level, run_sandboxed

__all__ = ["Measured", "body_lines", "is_public", "measure_existing"]

_DATA_FILE = ".coverage"
_RC_FILE = "coveragerc"
_JSON_FILE = "coverage.json"
# pytest exit statuses: 0 all passed, 1 some failed, 5 no tests collected
_MEASURED = {0: "", 1: "some existing tests failed", 5: "the existing test files hold no test"}

Arc = tuple[int, int]


class Measured(BaseModel):
    """What the existing tests ran, per source file (repository-relative)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    executed: dict[str, frozenset[int]] = {}
    missing_branches: dict[str, tuple[Arc, ...]] = {}  # (from line, to line; < 0: exit)
    problem: str | None = None
    note: str = ""


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


def _problem(result: SandboxResult, timeout_s: float) -> str | None:
    if result.timed_out:
        return f"the existing tests did not finish within {timeout_s:g}s"
    if result.returncode in _MEASURED:
        return None
    lines = [ln for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("ERROR ", "E  "))]
    detail = (errors or lines or [f"exit status {result.returncode}"])[-1].strip()
    return f"pytest could not run the existing tests (exit status {result.returncode}): {detail}"


def _read(ws: Path, ctrl: Path, files: Sequence[str], branch: bool) -> Measured:
    from coverage import Coverage

    cov = Coverage(data_file=str(ctrl / _DATA_FILE), config_file=str(ctrl / _RC_FILE))
    cov.load()
    data = cov.get_data()
    measured = {os.path.realpath(f): f for f in data.measured_files()}
    names = {rel: measured.get(os.path.realpath(ws / rel)) for rel in files}
    executed = {rel: frozenset(data.lines(name) or ()) if name else frozenset()
                for rel, name in names.items()}
    missing: dict[str, tuple[Arc, ...]] = {}
    reported = [name for name in names.values() if name]
    if branch and reported:
        cov.json_report(morfs=reported, outfile=str(ctrl / _JSON_FILE))
        report = json.loads((ctrl / _JSON_FILE).read_text(encoding="utf-8"))["files"]
        by_path = {os.path.realpath(os.path.join(os.getcwd(), k)): v for k, v in report.items()}
        for rel, name in names.items():
            entry = by_path.get(os.path.realpath(name)) if name else None
            arcs = entry.get("missing_branches", []) if entry else []
            missing[rel] = tuple((int(a), int(b)) for a, b in arcs)
    return Measured(executed=executed, missing_branches=missing)


async def measure_existing(ws: Path, files: Sequence[str], roots: Sequence[str], config: Config,
                           environ: Mapping[str, str], tests: Sequence[str], *,
                           branch: bool = False) -> Measured:
    """Run ``tests`` once under coverage of ``files``, with ``roots`` (workspace-relative) on
    ``sys.path``; what each file ran (and, with ``branch``, the branches it missed)."""
    paths = sorted({str(ws / r) for r in roots} | {str(ws)})
    # coverage's files live outside the workspace: the repository cannot plant a link there
    with tempfile.TemporaryDirectory(prefix="tta-ci-coverage-") as name:
        ctrl = Path(name)
        (ctrl / _RC_FILE).write_text(f"[run]\nbranch = {branch}\n", encoding="utf-8")
        env = {**environ, "PYTHONPATH": os.pathsep.join(paths),
               "COVERAGE_FILE": str(ctrl / _DATA_FILE)}
        timeout = config.validation_timeout_s
        argv = pytest_argv(tests, coverage_rc=str(ctrl / _RC_FILE),
                           coverage_include=[str(ws / f) for f in files])
        result = await run_sandboxed(argv, workdir=ws, environ=env, timeout_s=timeout,
                                     isolation=isolation_level(config), writable=[ctrl])
        problem = _problem(result, timeout)
        if problem is not None:
            return Measured(problem=problem)
        measured = _read(ws, ctrl, files, branch)
    return measured.model_copy(update={"note": _MEASURED[result.returncode]})
