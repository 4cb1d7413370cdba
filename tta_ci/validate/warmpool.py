"""Mutant runs in a warm interpreter, with fresh processes as the fallback.

A ``WarmPool`` belongs to one ``ResultValidator``: per workspace it starts one warm pytest
server (``tta_ci.sandbox.warm``) in the same sandbox as a cold run (the same view, limits and
filtered environment), with the target module imported once, and runs every mutant of that
workspace as a fork of it, the mutant switched in by ``__code__`` (``tta_ci.sandbox.swap``)
instead of written to disk. Its ``factory`` is the validator's ``mutant_runner``.

Whenever the warm path cannot answer for a run — the server does not start (even without the
target imported), stops answering, or a test loaded the target's file under a second module
name (which the switch does not reach) — that run is done again the cold way
(``swap_runner``), and so is every later one of the workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tta_ci.core.config import Config
from tta_ci.core.errors import SandboxError
from tta_ci.sandbox.commands import PLUGIN, pytest_args
from tta_ci.sandbox.isolation import SandboxResult, isolation_level
from tta_ci.sandbox.warm import Budget, MutantRef, WarmSandbox, WarmSpec
from tta_ci.validate.mutation import Mutant, MutantRunner, RunFn, swap_runner
from tta_ci.validate.runner import RunReport, RunSpec

__all__ = ["WarmLauncher", "WarmPool", "module_name"]

log = logging.getLogger(__name__)


def module_name(target: str, roots: tuple[str, ...]) -> str | None:
    """The dotted name ``target`` (a workspace-relative ``.py`` file) is imported by from the
    first import root holding it; None when none does."""
    path = PurePosixPath(target)
    for root in roots or (".",):
        base = PurePosixPath(root)
        try:
            rel = path.relative_to(base) if str(base) not in ("", ".") else path
        except ValueError:
            continue
        if rel.suffix != ".py":
            return None
        parts = list(rel.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts and all(p.isidentifier() for p in parts):
            return ".".join(parts)
    return None


@dataclass
class WarmLauncher:
    """The ``runner.Launcher`` of a warm server: each process a fork, with ``mutant`` on."""

    box: WarmSandbox
    mutant: MutantRef | None = None

    @contextlib.asynccontextmanager
    async def control(self) -> AsyncIterator[Path]:
        ctrl = self.box.new_ctrl()
        try:
            yield ctrl
        finally:
            self.box.release(ctrl)

    async def launch(self, spec: RunSpec, env: dict[str, str], ctrl: Path,
                     timeout_s: float) -> SandboxResult:
        args = pytest_args(list(spec.files), plugin=PLUGIN, import_mode=spec.import_mode,
                           maxfail=spec.maxfail)
        result = await self.box.run(args, env=env, budget=Budget(cpu_s=timeout_s,
                                                                 wall_s=timeout_s),
                                    mutant=self.mutant, ctrl=ctrl)
        aliases = (result.activation or {}).get("aliases")
        if aliases:
            raise SandboxError(f"the tests load the target a second time: {', '.join(aliases)}")
        return result.sandbox_result()


class WarmPool:
    """The warm servers of one validator: per workspace, one per hash seed (the seed of an
    interpreter is fixed when it starts), ended with the workspace."""

    def __init__(self, environ: Mapping[str, str], config: Config) -> None:
        self.environ = environ
        self.config = config
        self._boxes: dict[tuple[Path, int], WarmSandbox] = {}
        self._cold: set[Path] = set()  # workspaces where the warm path gave up
        self._loaded: dict[tuple[Path, int], set[str]] = {}  # mutant sets compiled, per server
        self._starting: dict[tuple[Path, int], asyncio.Future[WarmSandbox | str]] = {}
        self.fallbacks: list[str] = []  # why, each time the warm path gave up
        self.warm_runs = 0  # runs the warm path answered

    async def run(self, ws: Path, spec: RunSpec, target: str, run: RunFn,
                  mutant: Mutant | None = None) -> RunReport | None:
        """``run(spec)`` with its processes forked from the warm server of ``ws`` (that has
        ``target`` imported), ``mutant`` switched in; None when the warm path cannot answer
        for it (then, and from now on in ``ws``, the caller runs cold)."""
        module = module_name(target, spec.python_path)
        if module is None or ws in self._cold:
            return None
        try:
            box = await self._box(ws, spec, target, module)
            if box is None:
                return None
            ref = await self._load(box, ws, target, module, mutant) if mutant else None
            report = await run(spec, WarmLauncher(box, ref))
        except SandboxError as exc:
            await self._give_up(ws, str(exc))
            return None
        self.warm_runs += 1
        return report

    def factory(self, ws: Path, target: str, run: RunFn,
                cold: MutantRunner | None = None) -> MutantRunner:
        """``mutant_runner(ws, target, run)``: each mutant in the warm server of ``ws``,
        else as ``cold`` runs it (default: ``swap_runner`` in ``ws``)."""
        cold = cold or swap_runner(ws, target, run)

        async def run_mutant(spec: RunSpec, mutant: Mutant) -> RunReport:
            report = await self.run(ws, spec, target, run, mutant)
            return report if report is not None else await cold(spec, mutant)

        return run_mutant

    def prestart(self, ws: Path, spec: RunSpec, target: str, runs: range) -> None:
        """Start, in the background, the servers that the runs ``runs`` of ``spec`` will use
        (one per hash seed), together: on two cores the second is up when the first is."""
        module = module_name(target, spec.python_path)
        if module is None or ws in self._cold:
            return
        for run in runs:
            later = spec.model_copy(update={"run": run})
            key = (ws, later.hash_seed)
            if key not in self._boxes and key not in self._starting:
                self._starting[key] = asyncio.ensure_future(
                    self._start(ws, later, target, module))

    async def _box(self, ws: Path, spec: RunSpec, target: str, module: str
                   ) -> WarmSandbox | None:
        """The server of ``ws`` for the spec's hash seed: started once, whoever asks first
        (the tasks of a run share a workspace, and ask at once)."""
        key = (ws, spec.hash_seed)
        while key not in self._boxes:
            starting = self._starting.get(key)
            if starting is None:
                starting = self._starting[key] = asyncio.ensure_future(
                    self._start(ws, spec, target, module))
            try:
                box = await asyncio.shield(starting)
            except asyncio.CancelledError:
                if starting.cancelled():  # the workspace went cold meanwhile, not this task
                    return None
                raise
            if self._starting.get(key) is starting:
                del self._starting[key]
                if isinstance(box, str):
                    await self._give_up(ws, box)
                elif ws in self._cold:
                    await box.close()
                else:
                    self._boxes[key] = box
            if ws in self._cold:
                return None
        return self._boxes[key]

    async def _start(self, ws: Path, spec: RunSpec, target: str, module: str
                     ) -> WarmSandbox | str:
        """With the target imported once (its import-time lines kept as coverage); else
        (its import fails here, or starts a thread) without; else why neither started."""
        why = ""
        for preload in ((module,), ()):
            warm = WarmSpec(workspace=ws, isolation=isolation_level(self.config),
                            python_path=spec.python_path or (".",), preload=preload,
                            cover=target if preload else None, hash_seed=spec.hash_seed)
            try:
                return await WarmSandbox.start(warm, self.environ)
            except SandboxError as exc:
                why = str(exc)
        return why or "the warm server did not start"

    async def _load(self, box: WarmSandbox, ws: Path, target: str, module: str,
                    mutant: Mutant) -> MutantRef:
        set_id = hashlib.sha256(mutant.source.encode("utf-8")).hexdigest()[:16]
        loaded = self._loaded.setdefault((ws, box.spec.hash_seed), set())
        if set_id not in loaded:
            path = ws / target
            original = path.read_text(encoding="utf-8", errors="replace")
            await box.load_mutants(set_id, module, path, original, [mutant.source])
            loaded.add(set_id)
        return MutantRef(set_id, 0)

    async def _give_up(self, ws: Path, why: str) -> None:
        self.fallbacks.append(why)
        log.info("the runs of %s are cold from now on: %s", ws, why)
        self._cold.add(ws)
        await self._close(ws)

    async def _close(self, ws: Path) -> None:
        for key in [k for k in self._starting if k[0] == ws]:  # never the caller's own task
            starting = self._starting.pop(key)
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                box = await starting
                if isinstance(box, WarmSandbox):
                    await box.close()
        for key in [k for k in self._boxes if k[0] == ws]:
            self._loaded.pop(key, None)
            await self._boxes.pop(key).close()

    async def release(self, ws: Path) -> None:
        """The workspace ``ws`` is done with: end its servers."""
        self._cold.discard(ws)
        await self._close(ws)

    async def close(self) -> None:
        """End every server."""
        for ws in {k[0] for k in [*self._boxes, *self._starting]}:
            await self.release(ws)
