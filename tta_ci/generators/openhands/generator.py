"""The OpenHands backend: an agent writes and runs the tests of one task in its own workspace.

Needs the optional extra ``tta-ci[openhands]`` (``openhands-sdk`` and ``openhands-tools``,
Python >= 3.12); without it ``make`` raises ``ConfigError`` with the install hint.

Per task: a workspace of ``repo`` at ``ref`` (the tree under test, nothing of git); a prompt
naming the target, its changed lines and the exact test file; one conversation (own ``LLM``,
``Agent`` with the terminal and file-editor tools, iteration cap, budget) run in a worker
process of its own (``worker``) inside the one sandbox, network shared (``process``); the API
key reaches it on stdin only. Afterwards only the named test file is read; the files the
agent changed (found by comparing contents before and after) are discarded and listed in
``Candidate.notes``. The workspace is then removed.

What the agent can reach: its terminal's environment and that of every ancestor up to the
worker hold no secret. Under bubblewrap no other process is visible in its ``/proc``; in the
named fallback, tta-ci is non-dumpable and the worker holds no capability, and the job
summary's isolation says ``fallback``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from tta_ci.core.config import Config
from tta_ci.core.errors import BadResponse, ConfigError, ProviderError
from tta_ci.core.scratch import scratch as scratch_folder
from tta_ci.core.secrets import Redactor, api_key, secret_names
from tta_ci.core.types import Candidate, Task
from tta_ci.generators.base import GenerationRequest
from tta_ci.generators.llm.catalog import ModelSelector, Selection, load_catalog
from tta_ci.generators.llm.prompts import estimate_tokens
from tta_ci.generators.openhands.env import (
    BYPRODUCT_PARTS,
    AgentRun,
    read_test_file,
    worker_env,
)
from tta_ci.generators.openhands.process import run_worker, worker_argv
from tta_ci.generators.openhands.prompt import agent_prompt
from tta_ci.generators.openhands.worker import SDK_ENV
from tta_ci.sandbox.isolation import isolation_level
from tta_ci.sandbox.workspace import changed_files, digest, workspace

__all__ = ["INSTALL_HINT", "OpenHandsGenerator", "make", "sdk_available"]

INSTALL_HINT = (
    "the openhands backend needs the optional extra: pip install 'tta-ci[openhands]' "
    "(Python >= 3.12)"
)
AGENT_OVERHEAD_TOKENS = 8000  # the SDK's system prompt and tool descriptions


def sdk_available() -> bool:
    """Whether ``openhands.sdk`` and ``openhands.tools`` can be imported here."""
    try:
        return all(importlib.util.find_spec(m) is not None
                   for m in ("openhands.sdk", "openhands.tools"))
    except (ImportError, ValueError):
        return False


def make(
    config: Config,
    environ: Mapping[str, str],
    *,
    repo: Path,
    selector: ModelSelector | None = None,
    ref: str = "HEAD",
    task_budget_usd: float | None = None,
    **_: Any,
) -> OpenHandsGenerator:
    """The registry's factory. The key is read from ``environ[config.api_key_env]``.

    The SDK is only looked for here; each conversation's worker process imports it (seconds:
    litellm is large). ``config.sandbox`` chooses the worker's isolation (bwrap or fallback).
    """
    if not sdk_available():
        raise ConfigError(INSTALL_HINT)
    key = api_key(config, environ)
    budget = task_budget_usd if task_budget_usd is not None else config.budget_usd
    return OpenHandsGenerator(
        config, key, repo=repo, selector=selector, ref=ref, budget_usd=budget,
        environ=dict(environ), isolation=isolation_level(config),
    )


@dataclass(repr=False)
class OpenHandsGenerator:
    """A ``Generator`` that runs one OpenHands conversation per task, each in a worker process.
    Constructing does no I/O."""

    config: Config
    api_key: str
    repo: Path
    selector: ModelSelector | None = None
    ref: str = "HEAD"
    budget_usd: float | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    isolation: str = "fallback"
    name: ClassVar[str] = "openhands"

    def __post_init__(self) -> None:
        self.provider = urlsplit(self.config.api_base).hostname or self.config.api_base
        self._key = self.api_key
        self._environ = dict(self.environ)
        secrets = [self._environ[n] for n in secret_names(self._environ, self.config)]
        self._secrets = (self.api_key, *secrets)
        self._redact = Redactor(self._secrets)

    def __repr__(self) -> str:
        return f"OpenHandsGenerator(api_base={self.config.api_base!r})"

    async def aclose(self) -> None:
        return None

    async def _selection(self, prompt: str, request: GenerationRequest) -> Selection:
        if self.selector is None:
            self.selector = ModelSelector(self.config)
            if not self.config.model:
                self.selector = ModelSelector(self.config, await self._catalog(request))
        return self.selector.select(estimate_tokens(prompt) + AGENT_OVERHEAD_TOKENS)

    async def _catalog(self, request: GenerationRequest) -> Any:
        cache_dir = Path(self.config.cache_dir)
        async with httpx.AsyncClient(timeout=self.config.request_timeout_s) as client:
            return await load_catalog(
                client, self.config.api_base, {"Authorization": f"Bearer {self._key}"},
                cache_dir=cache_dir if cache_dir.is_absolute() else self.repo / cache_dir,
                ttl_h=self.config.catalog_ttl_h, timeout_s=self.config.request_timeout_s,
                before_request=request.rate_limit,
            )

    def _settings(self, model: str) -> dict[str, Any]:
        """``agent.AgentSettings`` as the worker's request carries it (key inside)."""
        openrouter = self.provider.endswith("openrouter.ai")
        return {
            "model": model,
            "base_url": self.config.api_base,
            "api_key": self._key,
            "max_iterations": self.config.openhands_max_iterations,
            "budget_usd": self.budget_usd,
            "timeout_s": self.config.request_timeout_s,
            "retries": min(self.config.max_retries, 3),
            "extra_body": {"usage": {"include": True}} if openrouter else {},
        }

    async def generate(self, request: GenerationRequest) -> Candidate:
        probe = agent_prompt(request.task, self.repo, previous=request.previous,
                             feedback=request.feedback)
        selection = await self._selection(probe, request)
        await request.rate_limit()
        try:
            candidate = await self._conversation(request, selection)
        except ProviderError:
            if self.selector is not None:
                self.selector.report(selection.model, ok=False)
            raise
        if self.selector is not None:
            self.selector.report(selection.model, ok=True)
        return candidate

    async def _conversation(self, request: GenerationRequest, selection: Selection) -> Candidate:
        """Workspace, worker, the named test file; file work in worker threads."""
        task = request.task
        manager = workspace(self.repo, ref=self.ref)
        workdir = await asyncio.to_thread(manager.__enter__)
        scratch = scratch_folder("oh-")
        try:
            before = await asyncio.to_thread(digest, workdir)
            run = await self._run_worker(request, selection.model, workdir, scratch)
            changed, code = await asyncio.to_thread(_read_back, workdir, before, task.test_file)
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)
            await asyncio.to_thread(manager.__exit__, None, None, None)
        return self._candidate(task, selection, run, changed, code)

    async def _run_worker(self, request: GenerationRequest, model: str, workdir: Path,
                          scratch: Path) -> AgentRun:
        (scratch / "logs").mkdir()
        (workdir / request.task.test_file).parent.mkdir(parents=True, exist_ok=True)
        prompt = agent_prompt(request.task, workdir, previous=request.previous,
                              feedback=request.feedback)
        payload = {"settings": self._settings(model), "workdir": str(workdir),
                   "prompt": prompt, "log_dir": str(scratch / "logs")}
        env = worker_env(self._environ, self.config, values=self._secrets, home=scratch)
        return await run_worker(worker_argv(), payload, environ=env, isolation=self.isolation,
                                scratch=scratch, workdir=workdir, extra_env=SDK_ENV,
                                model=model, timeout_s=self.config.task_timeout_s,
                                redact=self._redact)

    def _candidate(self, task: Task, selection: Selection, run: AgentRun, changed: list[str],
                   code: str | None) -> Candidate:
        discarded = [p for p in changed if p != task.test_file]
        notes = [f"openhands agent: status {run.status}, {run.iterations} iterations "
                 f"(limit {self.config.openhands_max_iterations}, isolation {self.isolation})"]
        notes.extend(f"openhands agent error: {self._redact(e)}" for e in run.errors)
        if discarded:
            notes.append(f"discarded files written outside the test file: {', '.join(discarded)}")
        if code is None or not code.strip():
            raise BadResponse(
                f"the openhands agent did not write {task.test_file} (status {run.status}, "
                f"{run.iterations} iterations)", model=selection.model,
            )
        return Candidate(
            code=code, generator=self.name, model=selection.model,
            model_reason=selection.reason, calls=run.calls, notes=tuple(notes),
        )


def _read_back(workdir: Path, before: dict[str, str], test_file: str
               ) -> tuple[list[str], str | None]:
    """The files the agent changed in ``workdir`` (by content, against ``before``), except
    the byproducts of running tests, and the named test file's text if written."""
    changed = [p for p in changed_files(before, digest(workdir))
               if not BYPRODUCT_PARTS.intersection(PurePosixPath(p).parts)]
    return changed, read_test_file(workdir, test_file) if test_file in changed else None
