"""The offline generator: example tests that pin a change, without an LLM.

For each changed function or method, pure planning here (``planner``: doctest examples, the
existing tests' calls and their neighbours, the changed lines' boundaries), then one sandboxed
process on the head (``probe``: observe every call, make more from boundaries, receivers and
type hints, write each call's example test, find which mutants of the changed lines each test
kills) and, where the symbol existed before, one on the base (``replay``: the same tests on
the old code). The calls where base and head differ are the task's ``behaviour_changes`` and
its first tests; a greedy cover of the mutants and of the changed lines picks the rest
(``choose``); ``write`` makes them plain tests in the project's style. A repair attempt offers
the tests not offered yet, or raises ``SkipTask``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tta_ci.core import progress
from tta_ci.core.config import Config
from tta_ci.core.errors import SkipTask
from tta_ci.core.scratch import scratch_dir
from tta_ci.core.types import Candidate, Task
from tta_ci.generators.base import GenerationRequest
from tta_ci.generators.offline.choose import Choice, behaviour_changes, choose
from tta_ci.generators.offline.model import (
    Observed,
    Probe,
    ProbeAnswer,
    Replay,
    ReplayAnswer,
    Replayed,
)
from tta_ci.generators.offline.planner import offline_skip_reason, probe_request
from tta_ci.generators.offline.project import ProjectFiles
from tta_ci.generators.offline.style import Style
from tta_ci.generators.offline.write import file_code, symbol_slug, test_names

__all__ = ["Observations", "OfflineGenerator", "candidate", "make", "offline_skip_reason"]

log = logging.getLogger("tta_ci.generators.offline")

SANDBOX_MODULE = "tta_ci.generators.offline.observe"
REQUEST_DIR = ".tta-ci-offline"
PROBE_HASH_SEED = "1"  # the validator's first run's seed (see ``_env``)


class Observations:
    """What the sandboxes saw for one task: head observations with their base replays."""

    def __init__(self, answer: ProbeAnswer, replayed: ReplayAnswer | None) -> None:
        self.answer = answer
        runs: list[Replayed | None] = list(replayed.replayed) if replayed else []
        runs += [None] * (len(answer.observed) - len(runs))
        self.pairs: list[tuple[Observed, Replayed | None]] = list(zip(answer.observed, runs,
                                                                      strict=True))
        self.notes = [*answer.notes, *(replayed.notes if replayed else ())]
        self.offered: set[str] = set()


def _notes(obs: Observations, choice: Choice) -> list[str]:
    answer = obs.answer
    changes = sum(1 for _, r in obs.pairs if r is not None and not r.passed)
    text = f"observed {answer.kept} of {answer.tried} calls on the head"
    if any(r is not None for _, r in obs.pairs):
        text += f", {changes} behave differently on the base"
    if answer.mutants:
        killed = {k for o, _ in obs.pairs for k in o.kills}
        text += f"; their tests kill {len(killed)} of {len(answer.mutants)} mutants"
    notes = [*obs.notes, text]
    notes += [f"{o.call}: the head contradicts its docstring example" for o in choice.documented]
    return notes


def candidate(task: Task, obs: Observations, style: Style, attempt: int = 1) -> Candidate:
    """The candidate for this attempt, or ``SkipTask`` when nothing (new) is left to offer."""
    choice = choose(obs.pairs, exclude=obs.offered)
    documented = choice.documented if attempt == 1 else []
    if not choice.tests and not documented:
        why = "; ".join(obs.notes) or (
            "no observed call runs a changed line, kills a mutant or pins the change")
        raise SkipTask(f"no offline strategy: {why}" if attempt == 1
                       else f"no offline test left for {task.symbol}")
    slug = symbol_slug(task.symbol)
    tests = [o for o, _ in choice.tests]
    names = test_names([*tests, *documented], slug)
    bodies = [o.test for o in tests] + [o.contradicts or "" for o in documented]
    obs.offered |= {o.test for o in tests}
    code = file_code(list(zip(names, [*tests, *documented], bodies, strict=True)), slug, style)
    whys = sorted({why.split(" ")[0] for _, why in choice.tests})
    return Candidate(
        code=code, generator="offline", strategy="+".join(whys) or "documented",
        notes=tuple(_notes(obs, choice)), behaviour_changes=tuple(behaviour_changes(obs.pairs)),
    )


class OfflineGenerator:
    """The offline backend. One head and one base workspace per generator, made on first use;
    with ``warm`` on, one warm interpreter in each (``tta_ci.sandbox.warm``) whose forked
    children run the probes and replays (a fresh process each when it cannot start)."""

    name = "offline"
    provider = "offline"

    def __init__(self, config: Config, environ: Mapping[str, str], *, repo: Path,
                 ref: str | None = None, base: str | None = None, python: str | None = None,
                 **_: Any) -> None:
        self._config = config
        self._environ = dict(environ)
        self._repo = repo
        self._refs = {"head": ref, "base": base}
        self._python = python or sys.executable
        self._stack = contextlib.ExitStack()
        self._workdirs: dict[str, Path] = {}
        self._lock = asyncio.Lock()
        self._cache: dict[str, Observations] = {}
        self._files: ProjectFiles | None = None
        self._storage: Path | None = None
        self._servers: dict[str, asyncio.Future[Any]] = {}  # side → its WarmSandbox, or why not

    def prestart(self, tasks: Sequence[Task]) -> None:
        """About to be asked for ``tasks``: start, in the background, the warm interpreters
        their probes and replays will use, so that their start-up overlaps the validator's."""
        wanted = [t for t in tasks if offline_skip_reason(t) is None]
        if not self._config.warm or not wanted:
            return
        sides = ["head", *(["base"] if any(t.base_source is not None for t in wanted) else [])]
        for side in sides:
            if self._refs[side] and side not in self._servers:
                self._servers[side] = asyncio.ensure_future(self._start_server(side))

    async def generate(self, request: GenerationRequest) -> Candidate:
        task = request.task
        reason = offline_skip_reason(task)
        if reason is not None:
            raise SkipTask(reason)
        key = f"{task.id}\0{task.hash}\0{task.source}"
        if key not in self._cache:
            self._cache[key] = await self._observe(task)
        files = await self._project()
        style = files.style(task)
        return candidate(task, self._cache[key], style, request.attempt)

    async def _workspace(self, side: str) -> Path:
        from tta_ci.sandbox.workspace import workspace

        async with self._lock:
            if side not in self._workdirs:
                progress.stage(f"offline: preparing the {side} sandbox")
                manager = workspace(self._repo, ref=self._refs[side])
                self._workdirs[side] = await asyncio.to_thread(self._stack.enter_context,
                                                               manager)
                if self._storage is None:  # under the run's root: a killed run's is swept
                    self._storage = self._stack.enter_context(scratch_dir("hypothesis-"))
            return self._workdirs[side]

    async def _project(self) -> ProjectFiles:
        if self._files is None:
            workdir = await self._workspace("head")
            self._files = await asyncio.to_thread(ProjectFiles.read, workdir,
                                                  self._config.test_dirs)
        return self._files

    async def _observe(self, task: Task) -> Observations:
        files = await self._project()
        budget = max(10.0, min(self._config.validation_timeout_s, self._config.task_timeout_s)
                     * 0.5)
        probe = probe_request(task, files.tests_for(task), budget_s=budget)
        progress.stage("offline: observing calls on the new code")
        answer = ProbeAnswer.model_validate(await self._sandbox("head", task, probe, budget))
        replayed = None
        if task.base_source is not None and self._refs["base"] and answer.observed:
            progress.stage("offline: replaying them on the old code")
            replay = Replay(module=task.module, tests=answer.observed, budget_s=budget)
            replayed = ReplayAnswer.model_validate(
                await self._sandbox("base", task, replay, budget))
        return Observations(answer, replayed)

    async def _sandbox(self, side: str, task: Task, request: Probe | Replay,
                       budget: float) -> dict[str, Any]:
        from tta_ci.sandbox.isolation import isolation_level, run_sandboxed

        workdir = await self._workspace(side)
        if self._config.warm:
            # the base's starts while the head probes, once a task has something to replay
            sides = ("head", "base") if task.base_source is not None else (side,)
            for other in sides:
                if self._refs[other] and other not in self._servers:
                    self._servers[other] = asyncio.ensure_future(self._start_server(other))
        folder = workdir / REQUEST_DIR
        folder.mkdir(exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.json"
        path.write_text(request.model_dump_json(), encoding="utf-8")
        assert self._storage is not None
        try:
            done = await self._forked(side, workdir, task, path, budget)
            if done is None:
                done = await run_sandboxed(
                    [self._python, "-m", SANDBOX_MODULE, str(path)], workdir=workdir,
                    environ=self._env(workdir, task), timeout_s=budget * 1.5,
                    isolation=isolation_level(self._config), writable=[self._storage],
                )
        finally:
            path.unlink(missing_ok=True)
        log.debug("offline %s sandbox for %s: %.1fs, exit %s", side, task.id, done.duration_s,
                  done.returncode)
        return _answer(done, side, task)

    async def _start_server(self, side: str) -> Any:
        """The warm interpreter of ``side``'s workspace, or why it did not start."""
        from tta_ci.core.errors import SandboxError
        from tta_ci.sandbox.isolation import isolation_level
        from tta_ci.sandbox.warm import WarmSandbox, WarmSpec

        spec = WarmSpec(workspace=await self._workspace(side),
                        isolation=isolation_level(self._config), plugins=(),
                        mains=(SANDBOX_MODULE,), hash_seed=int(PROBE_HASH_SEED),
                        python=self._python)
        try:
            return await WarmSandbox.start(spec, self._environ)
        except SandboxError as exc:
            log.info("offline %s probes run in fresh processes: %s", side, exc)
            return str(exc)

    async def _forked(self, side: str, workdir: Path, task: Task, path: Path,
                      budget: float) -> Any:
        """The probe or replay ``path`` as a child of the side's warm interpreter (a
        ``SandboxResult``); None when there is none (then it runs in a fresh process)."""
        from tta_ci.core.errors import SandboxError
        from tta_ci.sandbox.warm import Budget, WarmSandbox

        starting = self._servers.get(side)
        box = await starting if starting is not None else None
        if not isinstance(box, WarmSandbox):
            return None
        env = self._env(workdir, task)
        del env["TTA_SANDBOX_HYPOTHESIS_DIR"]  # the child's own home, the tables linked in
        try:
            result = await box.main(SANDBOX_MODULE, [str(path)], env=env,
                                    budget=Budget(cpu_s=budget * 1.5, wall_s=budget * 3))
        except SandboxError as exc:
            log.info("offline %s probe of %s runs in a fresh process: %s", side, task.id, exc)
            return None
        box.release(result.ctrl)
        return result.sandbox_result()

    def _env(self, workdir: Path, task: Task) -> dict[str, str]:
        package_parent = Path(__file__).resolve().parents[3]  # the folder holding tta_ci/
        root = workdir / task.import_root if task.import_root else workdir
        return {
            "PATH": self._environ.get("PATH", os.defpath),
            "PYTHONPATH": os.pathsep.join([str(root), str(package_parent)]),
            # the validator's first run's seed: a test that depends on the order of a set of
            # strings then fails its other runs (flaky) instead of every run
            "PYTHONHASHSEED": PROBE_HASH_SEED,
            "TTA_SANDBOX_HYPOTHESIS_DIR": str(self._storage),
        }

    async def aclose(self) -> None:
        servers, self._servers = self._servers, {}
        for starting in servers.values():
            box = await starting
            if not isinstance(box, str):
                await box.close()
        await asyncio.to_thread(self._stack.close)
        self._workdirs = {}


def _answer(done: Any, side: str, task: Task) -> dict[str, Any]:
    import json

    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.timed_out and not lines:
        return {"notes": [f"the {side} sandbox timed out after {done.duration_s:.0f}s on "
                          f"{task.symbol}"]}
    try:
        data: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        return {"notes": [f"the {side} sandbox failed on {task.symbol} "
                          f"(exit {done.returncode}): {tail}"]}
    return data


def make(config: Config, environ: Mapping[str, str], *, repo: Path,
         **options: Any) -> OfflineGenerator:
    """The registry's factory (``GENERATORS["offline"]``)."""
    return OfflineGenerator(config, environ, repo=repo, **options)
