"""Start the worker process of one conversation and read its answer (asyncio, never blocking).

The worker runs in the one sandbox of ``tta_ci.sandbox.isolation`` (the level that
``config.sandbox`` gives), with the network shared so that it reaches the LLM endpoint:

* ``bwrap`` — its own PID namespace, so the tta-ci process and every other process of the
  machine are invisible in its ``/proc``; of the file system only the system and interpreter
  paths (read-only), the workspace and the conversation's scratch folder (writable) and a
  private ``/tmp``; ``--die-with-parent``: the sandbox ends with tta-ci.
* ``fallback`` — named in the configuration only: the reaper, a non-dumpable tta-ci, no
  capabilities as root (see ``tta_ci.sandbox.fallback``).

Both: a clean environment, the key on stdin only, the worker non-dumpable, every process it
started killed at the end.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tta_ci.core import errors
from tta_ci.core.secrets import Redactor
from tta_ci.generators.openhands.env import AgentRun
from tta_ci.sandbox.isolation import sandboxed_process

__all__ = ["WORKER_MODULE", "answer_to_run", "run_worker", "worker_argv"]

WORKER_MODULE = "tta_ci.generators.openhands.worker"
STDERR_TAIL = 600  # characters of the worker's stderr quoted in an error
WORKER_MEMORY_MB = 8192  # the SDK and litellm are large


def worker_argv() -> list[str]:
    """The command line of a worker (no secret in it: the key goes to stdin)."""
    # -P: the current folder is not put on sys.path (no module of the PR code shadows ours)
    return [sys.executable, "-P", "-m", WORKER_MODULE]


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


async def run_worker(
    argv: Sequence[str], request: Mapping[str, Any], *, environ: Mapping[str, str],
    isolation: str, scratch: Path, workdir: Path, timeout_s: float, model: str,
    redact: Redactor, extra_env: Mapping[str, str] | None = None,
) -> AgentRun:
    """Run one worker in the sandbox (in ``scratch``, ``workdir`` writable too):
    ``request`` (the key inside) on its stdin, its answer from stdout."""
    async with sandboxed_process(
        argv, workdir=scratch, environ=environ, isolation=isolation, writable=[workdir],
        share_net=True, extra_env=extra_env, timeout_s=timeout_s, memory_mb=WORKER_MEMORY_MB,
    ) as proc:
        try:
            stdout, stderr = await asyncio.wait_for(
                proc.communicate(json.dumps(request).encode()), timeout=timeout_s)
        except TimeoutError as exc:
            raise errors.ProviderTimeout(
                f"openhands worker: no answer within {timeout_s:.0f} s", model=model) from exc
    if proc.returncode != 0 or not stdout.strip():
        tail = redact(stderr.decode(errors="replace"))[-STDERR_TAIL:].strip()
        raise errors.ProviderUnavailable(
            f"openhands worker exited with {proc.returncode}: {tail or '(no output)'}",
            model=model)
    return answer_to_run(stdout, model)
