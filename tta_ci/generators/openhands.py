"""The OpenHands backend: an agent writes and runs the tests of one task in its own worktree.

Needs the optional extra ``tta-ci[openhands]`` (``openhands-sdk`` and ``openhands-tools``,
Python >= 3.12); without it ``make`` raises ``ConfigError`` with the install hint.

Per task: a detached git worktree of ``repo`` at ``ref``; a prompt naming the target, its changed
lines and the exact test file; one conversation (own ``LLM``, ``Agent`` with the terminal and
file-editor tools, iteration cap, budget) run in a worker thread with the secrets out of the
process environment. Afterwards only the named test file is read; anything else the agent
wrote is discarded and listed in ``Candidate.notes``. The worktree is then removed.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import httpx

from tta_ci.config import Config
from tta_ci.errors import BadResponse, ConfigError, ProviderError
from tta_ci.generators.base import GenerationRequest
from tta_ci.generators.models import ModelSelector, Selection, load_catalog
from tta_ci.generators.openhands_env import PROCESS_ENV, changed_files, read_test_file
from tta_ci.generators.openhands_prompt import agent_prompt
from tta_ci.generators.prompts import estimate_tokens
from tta_ci.models import Candidate
from tta_ci.secrets import api_key, secret_names
from tta_ci.validate.sandbox import workspace

__all__ = ["INSTALL_HINT", "OpenHandsGenerator", "make", "sdk_available"]

INSTALL_HINT = (
    "the openhands backend needs the optional extra: pip install 'tta-ci[openhands]' "
    "(Python >= 3.12)"
)
AGENT_OVERHEAD_TOKENS = 8000  # the SDK's system prompt and tool descriptions
# Set before the SDK is imported: litellm must not fetch its price list from the internet.
SDK_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1"}


def sdk_available() -> bool:
    """Whether ``openhands.sdk`` and ``openhands.tools`` can be imported here."""
    try:
        return all(importlib.util.find_spec(m) is not None
                   for m in ("openhands.sdk", "openhands.tools"))
    except (ImportError, ValueError):
        return False


def _agent_module() -> ModuleType:
    if not sdk_available():
        raise ConfigError(INSTALL_HINT)
    for name, value in SDK_ENV.items():
        os.environ.setdefault(name, value)
    try:
        return importlib.import_module("tta_ci.generators.openhands_agent")
    except ImportError as exc:
        raise ConfigError(f"{INSTALL_HINT}; importing the SDK failed: {exc}") from exc


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

    The SDK is only looked for here; it is imported (seconds: litellm is large) by the first
    task, in its worker thread.
    """
    if not sdk_available():
        raise ConfigError(INSTALL_HINT)
    key = api_key(config, environ)
    budget = task_budget_usd if task_budget_usd is not None else config.budget_usd
    return OpenHandsGenerator(
        config, key, repo=repo, selector=selector, ref=ref, budget_usd=budget,
        hide=secret_names(environ, config),
    )


class OpenHandsGenerator:
    """A ``Generator`` that runs one OpenHands conversation per task. Constructing does no I/O."""

    name = "openhands"

    def __init__(
        self,
        config: Config,
        api_key: str,
        *,
        repo: Path,
        selector: ModelSelector | None = None,
        ref: str = "HEAD",
        budget_usd: float | None = None,
        hide: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.config = config
        self.repo = repo
        self.ref = ref
        self.budget_usd = budget_usd
        self.selector = selector
        self.provider = urlsplit(config.api_base).hostname or config.api_base
        self._key = api_key
        self._agent: ModuleType | None = None
        self._hide = frozenset(hide) | {config.api_key_env, "GITHUB_TOKEN", "GH_TOKEN"}
        self._git_lock = threading.Lock()  # git worktree add/remove, one at a time

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

    def _settings(self, agent: ModuleType, model: str) -> Any:
        openrouter = self.provider.endswith("openrouter.ai")
        return agent.AgentSettings(
            model=model,
            base_url=self.config.api_base,
            api_key=self._key,
            max_iterations=self.config.openhands_max_iterations,
            budget_usd=self.budget_usd,
            timeout_s=self.config.request_timeout_s,
            retries=min(self.config.max_retries, 3),
            extra_body={"usage": {"include": True}} if openrouter else {},
        )

    async def generate(self, request: GenerationRequest) -> Candidate:
        probe = agent_prompt(request.task, self.repo, previous=request.previous,
                             feedback=request.feedback)
        selection = await self._selection(probe, request)
        await request.rate_limit()
        try:
            candidate = await asyncio.to_thread(self._run, request, selection)
        except ProviderError:
            if self.selector is not None:
                self.selector.report(selection.model, ok=False)
            raise
        if self.selector is not None:
            self.selector.report(selection.model, ok=True)
        return candidate

    @contextmanager
    def _worktree(self) -> Iterator[Path]:
        with self._git_lock:
            manager = workspace(self.repo, ref=self.ref)
            path = manager.__enter__()
        try:
            yield path
        finally:
            with self._git_lock:
                manager.__exit__(None, None, None)

    def _run(self, request: GenerationRequest, selection: Selection) -> Candidate:
        """Blocking: worktree, conversation, the named test file. Runs in a worker thread."""
        task = request.task
        if self._agent is None:
            self._agent = _agent_module()
        settings = self._settings(self._agent, selection.model)
        with self._worktree() as workdir, tempfile.TemporaryDirectory(prefix="tta-ci-oh-") as logs:
            prompt = agent_prompt(task, workdir, previous=request.previous,
                                  feedback=request.feedback)
            (workdir / task.test_file).parent.mkdir(parents=True, exist_ok=True)
            with PROCESS_ENV.hidden(self._hide, values=[self._key], config=self.config):
                run = self._agent.run_agent(settings, workdir, prompt, Path(logs))
            changed = changed_files(workdir)
            code = read_test_file(workdir, task.test_file) if task.test_file in changed else None
        discarded = [p for p in changed if p != task.test_file]
        notes = [f"openhands agent: status {run.status}, {run.iterations} iterations "
                 f"(limit {self.config.openhands_max_iterations})"]
        notes.extend(f"openhands agent error: {e}" for e in run.errors)
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
