"""The wire format of OpenAI-compatible chat completions: answers and errors.

``parse_reply`` reads an HTTP 200 answer, plain JSON or server-sent events (OpenRouter's
``: OPENROUTER PROCESSING`` keep-alive comments included), and reports an error sent inside
it. ``error_for_status`` maps any other status to the ``ProviderError`` tree:

    401/403 → AuthError        402 → CreditsError        408 → ProviderTimeout
    429 → RateLimited (UpstreamRateLimited when the model's provider sent it)
    5xx → ProviderUnavailable  other → ProviderError (not retryable)

Messages are one line and pass through ``redact`` so that no key can appear in them.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tta_ci.core.errors import (
    AuthError,
    BadResponse,
    CreditsError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from tta_ci.core.types import LLMCall

__all__ = [
    "Reply",
    "UnusableAnswer",
    "UpstreamRateLimited",
    "error_for_status",
    "one_line",
    "parse_reply",
]


class UnusableAnswer(BadResponse):
    """A 200 answer that cannot be used (no code block, truncated, empty). ``call`` holds the
    request's measured tokens and cost, which were spent all the same."""

    def __init__(self, message: str, *, call: LLMCall) -> None:
        super().__init__(message, model=call.model)
        self.call = call


class UpstreamRateLimited(RateLimited):
    """A 429 that the model's upstream provider sent (OpenRouter passed it on)."""


@dataclass(frozen=True)
class Reply:
    """What one chat completion answered, streamed or not."""

    content: str
    finish_reason: str | None = None
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    error: str | None = None  # an error reported inside an HTTP 200 body or stream


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _usage(usage: Any) -> dict[str, Any]:
    if not isinstance(usage, dict):
        return {}
    cost = usage.get("cost")
    return {
        "prompt_tokens": int(usage.get("prompt_tokens") or 0),
        "completion_tokens": int(usage.get("completion_tokens") or 0),
        "cost": float(cost) if isinstance(cost, int | float) else None,
    }


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        return f"{error.get('code', '?')} {error.get('message', '')}".strip()
    return str(error)


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _parse_document(doc: Any) -> Reply:
    if not isinstance(doc, dict):
        raise ValueError("the body is not a JSON object")
    choices = doc.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    return Reply(
        content=_text(message.get("content")),
        finish_reason=choice.get("finish_reason"),
        model=doc.get("model"),
        error=_error_text(doc["error"]) if doc.get("error") else None,
        **_usage(doc.get("usage")),
    )


def _parse_stream(text: str) -> Reply:
    parts: list[str] = []
    last: dict[str, Any] = {}
    finish = error = model = None
    for line in text.splitlines():
        if not line.startswith("data:") or line[5:].strip() == "[DONE]":
            continue  # blank lines, ": OPENROUTER PROCESSING" comments, the end marker
        chunk = json.loads(line[5:])
        model = chunk.get("model") or model
        error = _error_text(chunk["error"]) if chunk.get("error") else error
        last = chunk.get("usage") or last
        for choice in chunk.get("choices") or []:
            parts.append(_text((choice.get("delta") or {}).get("content")))
            finish = choice.get("finish_reason") or finish
    return Reply("".join(parts), finish, model, error=error, **_usage(last))


def parse_reply(
    response: httpx.Response, *, model: str, host: str, redact: Callable[[str], str]
) -> Reply:
    """The answer of an HTTP 200 chat completion, JSON or server-sent events."""
    text = response.text
    streamed = "text/event-stream" in response.headers.get("content-type", "")
    try:
        return _parse_stream(text) if streamed else _parse_document(json.loads(text))
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise BadResponse(
            f"{host}: malformed answer from model {model}: {type(exc).__name__}: "
            f"{redact(one_line(str(exc), 120))}",
            model=model,
        ) from exc


def _retry_after(response: httpx.Response, metadata: Mapping[str, Any]) -> float | None:
    header = response.headers.get("retry-after")
    if header:
        try:
            return max(float(header), 0.0)
        except ValueError:
            when = email.utils.parsedate_to_datetime(header)
            return max(when.timestamp() - time.time(), 0.0) if when else None
    for key in ("retry_after", "retry_after_seconds"):
        if isinstance(metadata.get(key), int | float):
            return max(float(metadata[key]), 0.0)
    reset = response.headers.get("x-ratelimit-reset")  # epoch milliseconds
    if reset and reset.isdigit():
        return max(int(reset) / 1000 - time.time(), 0.0)
    return None


def error_for_status(
    response: httpx.Response,
    *,
    model: str,
    host: str,
    key_env: str,
    redact: Callable[[str], str],
) -> ProviderError:
    """The typed error for a non-200 answer (OpenRouter's ``{"error": {code, message,
    metadata}}`` or any other body)."""
    status = response.status_code
    try:
        found = json.loads(response.text).get("error") or {}
    except (ValueError, AttributeError):
        found = {}
    error: dict[str, Any] = found if isinstance(found, dict) else {"message": str(found)}
    metadata = error.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    detail = error.get("message") or response.text or response.reason_phrase
    raw = metadata.get("raw")
    if raw:
        detail = f"{detail}: {raw}"
    text = f"{host}: HTTP {status} for model {model}: {redact(one_line(str(detail)))}"
    kw: dict[str, Any] = {"status": status, "model": model}
    if status in (401, 403):
        return AuthError(f"{text} (check the key in {key_env})", **kw)
    if status == 402:
        return CreditsError(f"{text} (add credits or use a :free model)", **kw)
    if status == 408:
        return ProviderTimeout(text, **kw)
    if status == 429:
        upstream = bool(metadata.get("provider_name")) or "upstream" in str(raw or "")
        kind = UpstreamRateLimited if upstream else RateLimited
        return kind(text, retry_after=_retry_after(response, metadata), **kw)
    if status >= 500:
        return ProviderUnavailable(text, retry_after=_retry_after(response, metadata), **kw)
    return ProviderError(text, **kw)
