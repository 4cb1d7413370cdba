"""One OpenHands conversation, run to its end (blocking: the worker process calls it).

Only this module imports the OpenHands SDK (``openhands-sdk`` and ``openhands-tools``, Python
>= 3.12), and only ``worker`` imports this module, in a process of its own per
conversation (see ``env`` for its environment). Costs and tokens come from the
SDK's per-call completion records; when the SDK prices a call at 0 (a model litellm does not
know), the server's ``usage.cost`` is used.
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openhands.sdk import LLM, Agent, LocalConversation, Tool
from openhands.tools.file_editor import FileEditorTool
from openhands.tools.terminal import TerminalTool
from pydantic import SecretStr

from tta_ci.core.errors import (
    AuthError,
    BadResponse,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from tta_ci.core.types import LLMCall
from tta_ci.generators.openhands.env import AgentRun

__all__ = ["AgentRun", "AgentSettings", "calls_from_logs", "provider_error", "run_agent"]

APP_URL = "https://github.com/tta/openhands-action"
APP_TITLE = "tta-ci"
ERRORS: dict[str, type[ProviderError]] = {
    "LLMAuthenticationError": AuthError,
    "LLMRateLimitError": RateLimited,
    "LLMTimeoutError": ProviderTimeout,
    "LLMServiceUnavailableError": ProviderUnavailable,
    "LLMNoResponseError": ProviderUnavailable,
    "LLMBadRequestError": ProviderError,
    "LLMContentPolicyViolationError": ProviderError,
    "LLMContextWindowExceedError": ProviderError,
}

logging.getLogger("openhands").setLevel(logging.WARNING)
warnings.filterwarnings("ignore", message="Cost calculation failed", category=UserWarning)


@dataclass(frozen=True)
class AgentSettings:
    """What one conversation needs. ``model`` is the id the API knows (no litellm prefix)."""

    model: str
    base_url: str
    api_key: str = field(repr=False)
    max_iterations: int
    budget_usd: float | None = None
    timeout_s: float = 120.0
    retries: int = 2
    extra_body: dict[str, Any] = field(default_factory=dict)


def _llm(settings: AgentSettings, log_dir: Path) -> LLM:
    return LLM(
        usage_id="tta-ci",
        model=f"openai/{settings.model}",
        base_url=settings.base_url,
        api_key=SecretStr(settings.api_key),
        timeout=max(1, round(settings.timeout_s)),
        num_retries=settings.retries,
        retry_min_wait=1,
        retry_max_wait=30,
        litellm_extra_body=dict(settings.extra_body),
        openrouter_site_url=APP_URL,
        openrouter_app_name=APP_TITLE,
        log_completions=True,
        log_completions_folder=str(log_dir),
    )


def _call(record: dict[str, Any], model: str) -> LLMCall:
    usage = record.get("usage_summary") or {}
    response = record.get("response")
    server_usage = response.get("usage") if isinstance(response, dict) else None
    cost = float(record.get("cost") or 0.0)
    if cost <= 0 and isinstance(server_usage, dict):
        cost = float(server_usage.get("cost") or 0.0)
    return LLMCall(
        model=model,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        cost_usd=cost,
        latency_s=float(record.get("latency_sec") or 0.0),
    )


def calls_from_logs(log_dir: Path, model: str) -> tuple[LLMCall, ...]:
    """One ``LLMCall`` per completion the SDK recorded in ``log_dir``, oldest first."""
    records = []
    for path in sorted(log_dir.glob("*.json")):
        if path.name.endswith("-error.json"):
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict):
            records.append(record)
    records.sort(key=lambda r: float(r.get("timestamp") or 0.0))
    return tuple(_call(r, model) for r in records)


def provider_error(exc: BaseException, settings: AgentSettings) -> ProviderError:
    """The ``ProviderError`` for an exception out of ``conversation.run()``."""
    original = getattr(exc, "original_exception", None) or exc
    kind = ERRORS.get(type(original).__name__)
    if kind is None:
        kind = BadResponse if "LLM" in type(original).__name__ else ProviderUnavailable
    text = " ".join(str(original).split())[:300].replace(settings.api_key, "***")
    return kind(f"openhands agent: {type(original).__name__}: {text}", model=settings.model)


def _error_details(conversation: Any) -> tuple[str, ...]:
    details = []
    for event in conversation.state.events:
        if type(event).__name__ == "ConversationErrorEvent":
            details.append(f"{getattr(event, 'code', '')}: {getattr(event, 'detail', '')}")
    return tuple(details)


def run_agent(settings: AgentSettings, workdir: Path, prompt: str, log_dir: Path) -> AgentRun:
    """Run one conversation in ``workdir`` until the agent finishes or hits a limit."""
    agent = Agent(
        llm=_llm(settings, log_dir),
        tools=[Tool(name=TerminalTool.name), Tool(name=FileEditorTool.name)],
    )
    # Typed Any: the SDK's decorated methods have signatures mypy cannot follow.
    conversation: Any = LocalConversation(
        agent=agent,
        workspace=str(workdir),
        max_iteration_per_run=settings.max_iterations,
        max_budget_per_run=settings.budget_usd,
        visualizer=None,
    )
    try:
        conversation.send_message(prompt)
        try:
            conversation.run()
        except Exception as exc:  # mapped to the ProviderError tree at this seam
            raise provider_error(exc, settings) from exc
        status = str(conversation.state.execution_status.value)
        errors = _error_details(conversation)
    finally:
        conversation.close()
    return AgentRun(status=status, calls=calls_from_logs(log_dir, settings.model), errors=errors)
