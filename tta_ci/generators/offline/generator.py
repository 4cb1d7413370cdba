"""The offline generator: candidate tests without an LLM, for changed functions and methods.

Strategies, most useful first:

* ``doctest`` — the changed symbol's docstring examples as assertions (pure, no import);
* ``ghostwriter.<mode>`` — a Hypothesis property test (``magic``: fuzz, roundtrip,
  idempotent, ...) for typed code, documented exceptions passed as expected errors, ``self``
  built with ``st.builds(Class)`` when the constructor is typed;
* ``equivalent`` — when the base version exists with the same signature: old and new must
  agree wherever the base version returns (a failure is a finding: a possible bug).

The ghostwriter imports the PR's code, so it runs in the sandbox (``ghost``), once per
task; every test is run there once, and unsatisfiable tests or tests drawing ``st.nothing()``
never leave it. The first attempt offers all usable strategies in one file; a repair attempt
offers the ones not tried yet, or raises ``SkipTask``. Untyped code without docstring
examples is skipped with ``no offline strategy: ...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tta_ci.core import progress
from tta_ci.core.config import Config
from tta_ci.core.errors import SkipTask
from tta_ci.core.types import Candidate, Task
from tta_ci.generators.base import GenerationRequest
from tta_ci.generators.offline.code import MAX_EXAMPLES, assemble
from tta_ci.generators.offline.doctests import doctest_test
from tta_ci.generators.offline.source import FunctionInfo, parse_function, same_signature

__all__ = [
    "OfflineGenerator", "OfflinePlan", "StrategyResult", "choose", "make", "plan", "precheck",
]

SANDBOX_MODULE = "tta_ci.generators.offline.ghost"


class OfflinePlan(BaseModel):
    """What to ask the sandbox for one task."""

    model_config = ConfigDict(frozen=True)

    module: str
    symbol: str
    kind: str
    expected_errors: tuple[str, ...] = ()
    tests: dict[str, str] = {}  # strategy → test code built without importing anything
    ghostwriter: bool = False
    base_source: str | None = None
    max_examples: int = MAX_EXAMPLES


class StrategyResult(BaseModel):
    """One strategy's test code and how its single check run went."""

    model_config = ConfigDict(frozen=True)

    strategy: str
    code: str
    status: str  # "passed" or "failed" (a finding for the validator to report)
    message: str = ""


def _skip_reason(task: Task, info: FunctionInfo) -> str:
    if info.untyped:
        return (f"no offline strategy: {task.symbol} has untyped parameters "
                f"({', '.join(info.untyped)}) and no docstring example")
    if info.is_async:
        return f"no offline strategy: {task.symbol} is async and has no docstring example"
    return f"no offline strategy: {task.symbol} is a property without a docstring example"


def plan(task: Task, *, max_examples: int = MAX_EXAMPLES) -> OfflinePlan:
    """The strategies that apply to ``task``; raises ``SkipTask`` when none does."""
    if task.kind not in ("function", "method"):
        raise SkipTask(f"no offline strategy: {task.kind} tasks need an LLM backend")
    if not task.module:
        raise SkipTask(f"no offline strategy: {task.file} is not an importable module")
    info = parse_function(task.source, task.symbol, method=task.kind == "method")
    if info is None:
        raise SkipTask(f"no offline strategy: {task.symbol} not found in its source")
    tests = {}
    if (code := doctest_test(info.docstring, symbol=task.symbol, module=task.module)) is not None:
        tests["doctest"] = code
    ghostwriter = info.typed and not info.is_async and not info.is_property
    base = None
    if (
        ghostwriter
        and task.kind == "function"
        and task.base_source
        and task.base_source.strip() != task.source.strip()
        and same_signature(task.base_source, task.source, task.symbol)
    ):
        base = textwrap.dedent(task.base_source)
    if not tests and not ghostwriter:
        raise SkipTask(_skip_reason(task, info))
    return OfflinePlan(
        module=task.module, symbol=task.symbol, kind=task.kind,
        expected_errors=info.exceptions, tests=tests, ghostwriter=ghostwriter,
        base_source=base, max_examples=max_examples,
    )


def precheck(task: Task) -> str | None:
    """Why the offline backend would skip ``task`` (``plan``'s reason), or None: the registry's
    plan-time check (``PRECHECKS["offline"]``)."""
    try:
        plan(task)
    except SkipTask as exc:
        return str(exc)
    return None


def _finding(result: StrategyResult) -> str:
    first = (result.message.splitlines() or ["no message"])[0]
    if result.strategy == "equivalent":
        return f"equivalent: the changed code differs from its base version: {first}"
    return f"{result.strategy}: fails on the changed code: {first}"


def choose(
    task: Task, results: list[StrategyResult], notes: list[str], request: GenerationRequest
) -> Candidate:
    """The candidate for this attempt: every usable strategy first, then the untried ones."""
    usable = results
    if request.previous is not None:
        tried = set((request.previous.strategy or "").split("+"))
        usable = [r for r in results if r.strategy not in tried]
        if not usable:
            raise SkipTask(f"no offline strategy left for {task.symbol}: tried "
                           f"{', '.join(sorted(tried))}")
    findings = [_finding(r) for r in usable if r.status == "failed"]
    # The base-equivalence test rebuilds the old code with exec: the validator's allowlist
    # refuses that, and it is no code to publish; what it found stays a note.
    usable = [r for r in usable if r.strategy != "equivalent"]
    if not usable:
        why = "; ".join([*notes, *findings]) or "no strategy produced a test that runs"
        raise SkipTask(f"no offline strategy: {why}")
    return Candidate(
        code=assemble([r.code for r in usable]),
        generator="offline",
        strategy="+".join(r.strategy for r in usable),
        notes=tuple([*notes, *findings]),
    )


def parse_output(stdout: str) -> tuple[list[StrategyResult], list[str]]:
    """The sandbox's JSON line (the last line of its stdout)."""
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise ValueError("no JSON document on stdout")
    data: dict[str, Any] = json.loads(lines[-1])
    return [StrategyResult(**r) for r in data["results"]], [str(n) for n in data["notes"]]


class OfflineGenerator:
    """The offline backend. One sandbox workspace per generator, made on first use."""

    name = "offline"
    provider = "offline"

    def __init__(
        self,
        config: Config,
        environ: Mapping[str, str],
        *,
        repo: Path,
        ref: str | None = None,
        max_examples: int = MAX_EXAMPLES,
        python: str | None = None,
    ) -> None:
        self._config = config
        self._environ = dict(environ)
        self._repo = repo
        self._ref = ref
        self._max_examples = max_examples
        self._python = python or sys.executable
        self._stack = contextlib.ExitStack()
        self._workdir: Path | None = None
        self._lock = asyncio.Lock()
        self._cache: dict[str, tuple[list[StrategyResult], list[str]]] = {}

    async def generate(self, request: GenerationRequest) -> Candidate:
        task = request.task
        offline_plan = plan(task, max_examples=self._max_examples)
        key = f"{task.id}\0{task.hash}\0{task.source}"
        if key not in self._cache:
            self._cache[key] = await self._run(task, offline_plan)
        results, notes = self._cache[key]
        return choose(task, results, notes, request)

    async def _workspace(self) -> Path:
        from tta_ci.sandbox.workspace import workspace

        async with self._lock:
            if self._workdir is None:
                progress.stage("offline: preparing the sandbox")
                manager = workspace(self._repo, ref=self._ref)
                self._workdir = await asyncio.to_thread(self._stack.enter_context, manager)
            return self._workdir

    def _env(self, workdir: Path, task: Task) -> dict[str, str]:
        package_parent = Path(__file__).resolve().parents[3]  # the folder holding tta_ci/
        root = workdir / task.import_root if task.import_root else workdir
        return {
            "PATH": self._environ.get("PATH", os.defpath),
            "PYTHONPATH": os.pathsep.join([str(root), str(package_parent)]),
            "PYTHONHASHSEED": "0",
        }

    async def _run(self, task: Task, offline_plan: OfflinePlan
                   ) -> tuple[list[StrategyResult], list[str]]:
        from tta_ci.sandbox.isolation import isolation_level, run_sandboxed

        workdir = await self._workspace()
        progress.stage("offline: ghostwriter and doctests in the sandbox")
        argv = [self._python, "-m", SANDBOX_MODULE, offline_plan.model_dump_json()]
        done = await run_sandboxed(
            argv, workdir=workdir, environ=self._env(workdir, task),
            timeout_s=min(self._config.validation_timeout_s, self._config.task_timeout_s),
            isolation=isolation_level(self._config),
        )
        if done.timed_out:
            raise SkipTask(f"no offline strategy: the ghostwriter timed out after "
                           f"{done.duration_s:.0f}s on {task.symbol}")
        try:
            return parse_output(done.stdout)
        except (ValueError, KeyError, TypeError) as exc:
            tail = (done.stderr.strip().splitlines() or [str(exc)])[-1]
            raise SkipTask(f"no offline strategy: the sandboxed ghostwriter failed "
                           f"(exit {done.returncode}): {tail}") from exc

    async def aclose(self) -> None:
        await asyncio.to_thread(self._stack.close)
        self._workdir = None


def make(config: Config, environ: Mapping[str, str], *, repo: Path,
         **options: Any) -> OfflineGenerator:
    """The registry's factory (``GENERATORS["offline"]``)."""
    return OfflineGenerator(config, environ, repo=repo, **options)
