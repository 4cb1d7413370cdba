"""Start the worker process of one conversation and read its answer (asyncio, never blocking).

Isolation follows ``config.sandbox`` (see ``tta_ci.sandbox.isolation.isolation_level``):

* ``bwrap`` — the worker runs under bubblewrap in its own PID namespace (``--unshare-pid``):
  the tta-ci process and every other process of the machine are invisible in its ``/proc``, so
  the agent cannot read the environment tta-ci started with (where CI puts the API key). The
  root is read-only; only the worktree and the conversation's scratch folder are writable,
  ``/tmp`` is private; the network is shared (``--share-net``) because the worker must reach
  the LLM endpoint. ``--die-with-parent``: the sandbox ends with tta-ci.
* ``fallback`` — a plain child process with the clean environment. The agent's terminal and its
  ancestors up to the worker hold no secret, but ``/proc`` of the rest of the machine, the
  tta-ci process among them, stays readable to the same user.

Both: the key on stdin only, the worker non-dumpable, its process group killed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tta_ci.core import errors
from tta_ci.core.secrets import Redactor
from tta_ci.generators.openhands.env import AgentRun

__all__ = ["WORKER_MODULE", "answer_to_run", "run_worker", "tmp_prefixes", "worker_argv"]

WORKER_MODULE = "tta_ci.generators.openhands.worker"
STDERR_TAIL = 600  # characters of the worker's stderr quoted in an error


def tmp_prefixes(paths: Sequence[Path]) -> list[str]:
    """Of ``paths`` (and the running interpreter), those under ``/tmp`` that bwrap's private
    ``/tmp`` would hide, without nested duplicates."""
    package_root = Path(__file__).resolve().parents[3]  # the folder holding tta_ci/
    candidates = {Path(sys.prefix), Path(sys.base_prefix), package_root, *paths}
    under = sorted(
        str(p.resolve()) for p in candidates
        if p.exists() and p.resolve().is_relative_to("/tmp") and p.resolve() != Path("/tmp")
    )
    kept: list[str] = []
    for path in under:  # sorted: a parent comes before its children
        if not any(Path(path).is_relative_to(parent) for parent in kept):
            kept.append(path)
    return kept


def worker_argv(isolation: str, *, workdir: Path, scratch: Path,
                readable: Sequence[Path] = ()) -> list[str]:
    """The command line of a worker (no secret in it: the key goes to stdin)."""
    # -P: the current folder is not put on sys.path (no module of the PR code shadows ours)
    worker = [sys.executable, "-P", "-m", WORKER_MODULE]
    if isolation != "bwrap":
        return worker
    cmd = [shutil.which("bwrap") or "bwrap", "--ro-bind", "/", "/", "--tmpfs", "/tmp",
           "--dev", "/dev", "--proc", "/proc"]
    for prefix in tmp_prefixes(readable):
        cmd += ["--ro-bind", prefix, prefix]
    for path in (workdir, scratch):
        cmd += ["--bind", str(path), str(path)]
    cmd += ["--unshare-all", "--share-net", "--die-with-parent", "--new-session",
            "--chdir", str(scratch), "--"]
    return [*cmd, *worker]


def answer_to_run(stdout: bytes, model: str) -> AgentRun:
    """The worker's answer as an ``AgentRun``, or the error it reported, raised."""
    try:
        document: Any = json.loads(stdout)
    except ValueError as exc:
        raise errors.ProviderUnavailable("openhands worker: no answer on stdout",
                                         model=model) from exc
    if not isinstance(document, dict):
        raise errors.ProviderUnavailable("openhands worker: the answer is not an object",
                                         model=model)
    error = document.get("error")
    if isinstance(error, dict):
        message = str(error.get("message") or "openhands worker failed")
        if error.get("kind") == "ConfigError":
            raise errors.ConfigError(message)
        kind = errors.provider_error(str(error.get("kind")))
        raise kind(message, retry_after=error.get("retry_after"), status=error.get("status"),
                   model=model)
    return AgentRun.model_validate(document)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _exchange(proc: asyncio.subprocess.Process, request: bytes,
                    timeout_s: float) -> tuple[bytes, bytes]:
    try:
        return await asyncio.wait_for(proc.communicate(request), timeout=timeout_s)
    finally:
        _kill_group(proc.pid)  # the agent's leftovers too; a no-op when it already ended
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def run_worker(
    argv: Sequence[str], request: Mapping[str, Any], *, env: Mapping[str, str], cwd: Path,
    timeout_s: float, model: str, redact: Redactor,
) -> AgentRun:
    """Run one worker: ``request`` (the key inside) on its stdin, its answer from stdout."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True,
        )
    except OSError as exc:
        raise errors.SandboxError(f"cannot start the openhands worker {argv[0]}: {exc}") from exc
    try:
        stdout, stderr = await _exchange(proc, json.dumps(request).encode(), timeout_s)
    except TimeoutError as exc:
        raise errors.ProviderTimeout(f"openhands worker: no answer within {timeout_s:.0f} s",
                              model=model) from exc
    if proc.returncode != 0 or not stdout.strip():
        tail = redact(stderr.decode(errors="replace"))[-STDERR_TAIL:].strip()
        raise errors.ProviderUnavailable(
            f"openhands worker exited with {proc.returncode}: {tail or '(no output)'}",
            model=model)
    return answer_to_run(stdout, model)
