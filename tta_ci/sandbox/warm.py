"""The client of a warm pytest interpreter: ``WarmSandbox`` starts ``server.py`` in the
sandbox of a workspace and sends it runs (asyncio; never blocks the loop).

::

    spec = WarmSpec(workspace=ws, isolation="bwrap", python_path=("src",),
                    preload=("pkg.mod",), cover="src/pkg/mod.py")
    async with WarmSandbox(spec, environ) as box:
        result = await box.run(pytest_args, env=env, budget=Budget(cpu_s=30))
        plans = await box.load_mutants("target", "pkg.mod", ws / "src/pkg/mod.py", original,
                                       [m.source for m in found])
        killed = await box.run(pytest_args, env=env, budget=budget,
                               mutant=MutantRef("target", 0))

A run is ``pytest.main(args)`` in a child forked from the server: milliseconds of start-up
instead of seconds. Its environment is filtered exactly as a cold sandboxed process's
(``isolation.sandbox_env``), with its own home and temp folder in a fresh control folder
(``new_ctrl``) that the sandbox can write. The bind mounts are fixed when the server starts,
so every control folder lives under one root made then.

``PYTHONHASHSEED`` is fixed when an interpreter starts: every run of one server has the
server's seed (``WarmSpec.hash_seed``), whatever its environment says. Runs that must differ
in it need a second server.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from tta_ci.core.errors import SandboxError
from tta_ci.core.scratch import scratch
from tta_ci.sandbox.caches import SharedCaches, machine_caches
from tta_ci.sandbox.channel import Channel
from tta_ci.sandbox.isolation import OUTPUT_CAP, sandbox_env, sandboxed_process
from tta_ci.sandbox.values import BatchJob, Budget, MutantRef, WarmResult, WarmSpec

__all__ = ["SERVER_MODULE", "BatchJob", "Budget", "MutantRef", "WarmResult", "WarmSandbox",
           "WarmSpec"]

log = logging.getLogger("tta_ci.sandbox")

SERVER_MODULE = "tta_ci.sandbox.server"
_ANSWER_GRACE_S = 30.0  # beyond a run's wall backstop, before the server counts as hung
_SERVER_CPU_S = 24 * 3600.0  # RLIMIT_CPU of the server itself (its children start at 0)
_STDERR_CAP = 64 * 1024


def _tail(path: Path, cap: int = OUTPUT_CAP) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - cap))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


class WarmSandbox:
    """One warm interpreter in its own sandbox. Constructing does no I/O; ``start`` (or
    ``async with``) starts it, ``close`` ends it and everything it runs."""

    def __init__(self, spec: WarmSpec, environ: Mapping[str, str]) -> None:
        self.spec = spec
        self.environ = environ
        self.ready: dict[str, Any] = {}
        self._root: Path | None = None
        self._caches: SharedCaches | None = None
        self._stack = contextlib.AsyncExitStack()
        self._proc: asyncio.subprocess.Process | None = None
        self._channel: Channel | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self._stderr = bytearray()
        self._removing: list[asyncio.Future[None]] = []  # control folders being removed

    @classmethod
    async def start(cls, spec: WarmSpec, environ: Mapping[str, str]) -> WarmSandbox:
        box = cls(spec, environ)
        await box._start()
        return box

    async def __aenter__(self) -> WarmSandbox:
        await self.ensure_started()
        return self

    async def ensure_started(self) -> None:
        """Start the server unless it has been started."""
        if self._proc is None:
            await self._start()

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    def _argv(self) -> list[str]:
        spec = self.spec
        assert self._channel is not None
        argv = [spec.python, "-P", "-m", SERVER_MODULE, self._channel.argument()]
        argv += [f"--plugin={name}" for name in spec.plugins]
        argv += [f"--preload={name}" for name in spec.preload]
        argv += [f"--main={name}" for name in spec.mains]
        if spec.cover:
            argv.append(f"--cover={spec.workspace / spec.cover}")
        return argv

    async def _start(self) -> None:
        spec = self.spec
        self._root = scratch("warm-")  # under the run's root: SIGTERM and a later start remove it
        self._caches = await machine_caches(self.environ, spec.isolation)
        extra = {"PYTHONHASHSEED": str(spec.hash_seed),
                 "PYTHONPATH": os.pathsep.join(str(spec.workspace / p) for p in spec.python_path)}
        self._channel = Channel()
        try:
            self._proc = await self._stack.enter_async_context(sandboxed_process(
                self._argv(), workdir=spec.workspace, environ=self.environ,
                isolation=spec.isolation, writable=[self._root], extra_env=extra,
                caches=self._caches, timeout_s=_SERVER_CPU_S, memory_mb=spec.memory_mb,
                sealed=spec.sealed,
                stdin=subprocess.DEVNULL, pass_fds=self._channel.server_fds))
            await self._channel.connect()
            self._tasks.append(asyncio.ensure_future(self._drain_stderr()))
            self.ready = await self._first_answer()
            log.debug("warm server in %s (seed %s, preload %s, mains %s): %.2fs CPU to start "
                      "(%s)", spec.workspace, spec.hash_seed, spec.preload, spec.mains,
                      self.ready.get("cpu_s", 0.0), self.ready.get("timings"))
        except BaseException:
            await self.close()
            raise
        self._tasks.append(asyncio.ensure_future(self._read_answers()))

    async def _first_answer(self) -> dict[str, Any]:
        assert self._channel is not None
        try:
            ready = await asyncio.wait_for(self._channel.receive(), self.spec.start_timeout_s)
        except TimeoutError:
            ready = None
        ready = ready or {}
        if ready.get("event") == "ready":
            return ready
        await asyncio.sleep(0.1)  # the last of its stderr
        why = ready.get("message") or bytes(self._stderr).decode(errors="replace")[-800:]
        raise SandboxError(f"the warm pytest server in {self.spec.workspace} did not start: "
                           f"{why.strip() or 'no answer'}")

    async def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        while chunk := await self._proc.stderr.read(65536):
            self._stderr += chunk
            del self._stderr[:-_STDERR_CAP]

    async def _read_answers(self) -> None:
        assert self._channel is not None
        while answer := await self._channel.receive():
            ident = answer.get("id")
            waiter = self._waiting.pop(ident, None) if isinstance(ident, int) else None
            if waiter is not None and not waiter.done():
                waiter.set_result(answer)
        for waiter in self._waiting.values():  # the server is gone
            if not waiter.done():
                waiter.set_exception(SandboxError("the warm pytest server exited"))
        self._waiting.clear()

    async def request(self, message: Mapping[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send one request; its answer (a server that does not answer in time is closed)."""
        proc, channel = self._proc, self._channel
        if proc is None or channel is None or proc.returncode is not None:
            raise SandboxError("the warm pytest server is not running")
        ident = next(self._ids)
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = waiter
        try:
            await channel.send({**message, "id": ident})
        except BrokenPipeError as exc:
            self._waiting.pop(ident, None)
            raise SandboxError(f"the warm pytest server is not running: {exc}") from None
        try:
            answer = await asyncio.wait_for(waiter, timeout_s)
        except TimeoutError:
            await self.close()  # hung: it cannot be trusted with another run
            raise SandboxError(f"the warm pytest server gave no answer in {timeout_s:g}s"
                               ) from None
        if answer.get("event") == "error":
            raise SandboxError(f"the warm pytest server: {answer.get('message')}")
        return answer

    def new_ctrl(self) -> Path:
        """A fresh control folder for one run (with ``home/``), writable in the sandbox."""
        if self._root is None:
            raise SandboxError("the warm pytest server is not running")
        ctrl = Path(tempfile.mkdtemp(prefix="run-", dir=self._root))
        (ctrl / "home").mkdir()
        return ctrl

    def run_env(self, env: Mapping[str, str], ctrl: Path, budget: Budget) -> dict[str, str]:
        """The whole environment of a run: ``env`` filtered as for a cold sandboxed process,
        its home in ``ctrl``, the shared caches, the server's hash seed, the test budget."""
        result = sandbox_env(env, home=ctrl / "home")
        if self._caches is not None:
            self._caches.apply(result)
        result["PYTHONHASHSEED"] = str(self.spec.hash_seed)
        result.update(budget.plugin_env())
        return result

    async def run(self, args: Sequence[str], *, env: Mapping[str, str],
                  budget: Budget | None = None, mutant: MutantRef | None = None,
                  ctrl: Path | None = None) -> WarmResult:
        """``pytest.main(args)`` in a forked child, with the environment ``env``; ``ctrl``: a
        folder from ``new_ctrl`` (the events file the caller named in ``env`` lives there)."""
        return await self._fork({"op": "run", "mutant": None if mutant is None else {
            "set": mutant.set_id, "index": mutant.index}}, args, env, budget, ctrl)

    async def main(self, module: str, args: Sequence[str], *, env: Mapping[str, str],
                   budget: Budget | None = None, ctrl: Path | None = None) -> WarmResult:
        """``python -m MODULE ARGS`` (a module of ``WarmSpec.mains``) as a forked child, set up
        as a run is; its stdout and stderr as a run's."""
        return await self._fork({"op": "main", "module": module}, args, env, budget, ctrl)

    async def plain(self, args: Sequence[str], *, env: Mapping[str, str],
                    budget: Budget | None = None, ctrl: Path | None = None) -> WarmResult:
        """``python -m coverage ARGS`` as a forked child of a server started with no plugin
        (``WarmSpec.plugins`` empty), set up as a run is."""
        return await self._fork({"op": "plain"}, args, env, budget, ctrl)

    async def _fork(self, op: Mapping[str, Any], args: Sequence[str], env: Mapping[str, str],
                    budget: Budget | None, ctrl: Path | None) -> WarmResult:
        ctrl = ctrl or self.new_ctrl()
        budget = budget or Budget()
        message = {**op, "args": list(args), "env": self.run_env(env, ctrl, budget),
                   "cwd": str(self.spec.workspace), "ctrl": str(ctrl), "limits": budget.limits()}
        done = await self.request(message, budget.wall_s + _ANSWER_GRACE_S)
        log.debug("warm %s in %s: %.3fs CPU", op["op"], self.spec.workspace, done.get("cpu_s", 0))
        try:
            return self._result(done, ctrl)
        except (KeyError, TypeError, ValueError) as exc:
            raise SandboxError(f"the warm pytest server's answer lacks {exc}") from None

    async def run_batch(self, args: Sequence[str], jobs: Sequence[BatchJob], *,
                        budget: Budget) -> list[WarmResult | None]:
        """The mutant runs ``jobs`` of the test files ``args`` (``pytest.main`` arguments),
        forked after one collection (``batch.py``): per job, its result, or None where the
        job was not run (its mutant must be switched in before the collection, or the
        collection ended first): run that one with ``run``. Each job's ``env`` names files
        of its own ``ctrl`` (from ``new_ctrl``); the collection selects every job's tests."""
        if not jobs:
            return []
        ctrl = self.new_ctrl()
        try:
            first = str(jobs[0].ctrl)
            env = {k: v.replace(first, str(ctrl)) for k, v in jobs[0].env.items()}
            env["TTA_SANDBOX_SELECT"] = "\n".join(dict.fromkeys(
                n for job in jobs for n in job.env.get("TTA_SANDBOX_SELECT", "").split("\n")
                if n))
            message = {"op": "batch", "args": list(args),
                       "env": self.run_env(env, ctrl, budget),
                       "cwd": str(self.spec.workspace), "ctrl": str(ctrl),
                       "limits": budget.limits(),
                       "jobs": [{"ctrl": str(job.ctrl), "mutant": {
                           "set": job.mutant.set_id, "index": job.mutant.index},
                           "env": self.run_env(job.env, job.ctrl, job.budget),
                           "limits": job.budget.limits()} for job in jobs]}
            wall = budget.wall_s + sum(job.budget.wall_s for job in jobs)
            done = await self.request(message, wall + _ANSWER_GRACE_S)
        finally:
            self.release(ctrl)
        answers = done.get("jobs") or []
        log.debug("warm batch of %d in %s: %.3fs CPU", len(jobs), self.spec.workspace,
                  done.get("cpu_s", 0))
        results: list[WarmResult | None] = []
        for index, job in enumerate(jobs):
            answer = answers[index] if index < len(answers) else None
            if not isinstance(answer, dict) or answer.get("refused"):
                results.append(None)
                continue
            try:
                results.append(self._result(answer, job.ctrl))
            except (KeyError, TypeError, ValueError) as exc:
                raise SandboxError(f"the warm pytest server's answer lacks {exc}") from None
        return results

    def _result(self, done: Mapping[str, Any], ctrl: Path) -> WarmResult:
        return WarmResult(
            returncode=int(done["returncode"]), stdout=_tail(ctrl / "stdout"),
            stderr=_tail(ctrl / "stderr"), wall_s=float(done["wall_s"]),
            cpu_s=float(done["cpu_s"]), timed_out=bool(done["timed_out"]),
            cpu_exceeded=bool(done["cpu_exceeded"]), ctrl=ctrl, isolation=self.spec.isolation,
            orphans_killed=int(done["orphans_killed"]), maxrss_kb=int(done["maxrss_kb"]),
            timing=done.get("timing") or {}, activation=done.get("activation"))

    def release(self, ctrl: Path) -> None:
        """Remove a run's control folder once its files are read: in a worker thread when a
        loop runs (removing a folder a sandbox has seen takes milliseconds, which the loop
        would wait for on every run), waited for by ``close``."""
        if self._root is None or ctrl.parent != self._root:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            shutil.rmtree(ctrl, ignore_errors=True)
            return
        self._removing.append(loop.run_in_executor(None, shutil.rmtree, ctrl, True))

    async def load_mutants(self, set_id: str, module: str, path: Path, original: str,
                           sources: Sequence[str]) -> list[dict[str, Any]]:
        """Compile mutants of ``module`` (its file: ``path``) once in the server; per mutant,
        what switching it in does (``swap.Plan.describe``)."""
        answer = await self.request({"op": "mutants", "set": set_id, "module": module,
                                     "file": str(path), "original": original,
                                     "sources": list(sources)}, 120.0)
        return list(answer["plans"])

    async def ping(self) -> dict[str, Any]:
        """The server's children, threads and the processes it sees."""
        return await self.request({"op": "ping"}, 30.0)

    async def close(self) -> None:
        """End the server (its runs are killed), its sandbox and its control folders."""
        proc, channel = self._proc, self._channel
        if proc is not None and channel is not None and proc.returncode is None:
            with contextlib.suppress(BrokenPipeError, TimeoutError):
                await asyncio.wait_for(channel.send({"op": "exit"}), 2.0)
            channel.close()  # the end of its requests
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 2.0)
        await self._stack.aclose()  # kills the whole sandbox's process group
        if channel is not None:
            channel.close()
        for task in self._tasks:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, SandboxError):
                await asyncio.wait_for(task, 2.0)
        self._tasks.clear()
        removing, self._removing = self._removing, []
        await asyncio.gather(*removing, return_exceptions=True)
        if self._root is not None:
            await asyncio.to_thread(shutil.rmtree, self._root, True)
            self._root = None
