"""tta_ci.generators.llm.wire: chat-completion answers (JSON and server-sent events) and the
typed error of every other status, one line, redacted."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tta_ci.core.errors import (
    AuthError,
    BadResponse,
    CreditsError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from tta_ci.generators.llm.wire import (
    Reply,
    UpstreamRateLimited,
    error_for_status,
    one_line,
    parse_reply,
)

KEY = "sk-or-v1-wire-0123456789"


def redact(text: str) -> str:
    return text.replace(KEY, "***")


def response(status: int, body: Any = None, *, text: str | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
    content = text if text is not None else json.dumps(body)
    return httpx.Response(status, content=content.encode(), headers=headers or {})


def parse(resp: httpx.Response) -> Reply:
    return parse_reply(resp, model="m/x", host="llm.test", redact=redact)


def error(resp: httpx.Response) -> ProviderError:
    return error_for_status(resp, model="m/x", host="llm.test", key_env="MY_KEY", redact=redact)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a\n  b\tc", "a b c", id="whitespace-folded"),
        pytest.param("x" * 400, "x" * 297 + "...", id="cut-at-the-limit"),
    ],
)
def test_one_line(text: str, expected: str) -> None:
    assert one_line(text) == expected


def test_json_answer() -> None:
    body = {"model": "m/served", "choices": [{"message": {"content": "```python\nx\n```"},
                                              "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3, "cost": 0.001}}
    assert parse(response(200, body)) == Reply(content="```python\nx\n```", finish_reason="stop",
                                               model="m/served", prompt_tokens=12,
                                               completion_tokens=3, cost=0.001)


def test_json_answer_with_content_parts_an_error_and_no_usage() -> None:
    body = {"choices": [{"message": {"content": [{"type": "text", "text": "a"}, "junk",
                                                 {"text": "b"}]}}],
            "error": {"code": 400, "message": "Token limit reached"}, "usage": "none"}
    reply = parse(response(200, body))
    assert (reply.content, reply.error, reply.cost, reply.prompt_tokens) == (
        "ab", "400 Token limit reached", None, 0)


def test_streamed_answer_with_keep_alive_comments() -> None:
    events = [
        ": OPENROUTER PROCESSING",
        "",
        'data: {"model": "m/s", "choices": [{"delta": {"content": "he"}}]}',
        'data: {"choices": [{"delta": {"content": "llo"}, "finish_reason": "stop"}]}',
        'data: {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2,'
        ' "cost": 0.5}}',
        "data: [DONE]",
    ]
    resp = response(200, text="\n".join(events), headers={"content-type": "text/event-stream"})
    assert parse(resp) == Reply(content="hello", finish_reason="stop", model="m/s",
                                prompt_tokens=5, completion_tokens=2, cost=0.5)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param("[1, 2]", id="not-an-object"),
        pytest.param(json.dumps({"choices": [{"message": "text"}]}), id="odd-message"),
    ],
)
def test_malformed_answer_is_a_bad_response(text: str) -> None:
    with pytest.raises(BadResponse, match=r"^llm.test: malformed answer from model m/x: ") as info:
        parse(response(200, text=text))
    assert info.value.retryable and info.value.model == "m/x"


@pytest.mark.parametrize(
    ("status", "kind", "suffix"),
    [
        pytest.param(401, AuthError, " (check the key in MY_KEY)", id="401"),
        pytest.param(403, AuthError, " (check the key in MY_KEY)", id="403"),
        pytest.param(402, CreditsError, " (add credits or use a :free model)", id="402"),
        pytest.param(408, ProviderTimeout, "", id="408"),
        pytest.param(429, RateLimited, "", id="429"),
        pytest.param(500, ProviderUnavailable, "", id="500"),
        pytest.param(503, ProviderUnavailable, "", id="503"),
        pytest.param(404, ProviderError, "", id="404"),
    ],
)
def test_status_errors(status: int, kind: type[ProviderError], suffix: str) -> None:
    found = error(response(status, {"error": {"message": f"denied for {KEY}"}}))
    assert type(found) is kind
    assert str(found) == f"llm.test: HTTP {status} for model m/x: denied for ***{suffix}"
    assert (found.status, found.model) == (status, "m/x")


def test_upstream_429_is_told_apart_and_raw_detail_kept() -> None:
    body = {"error": {"message": "Provider returned error",
                      "metadata": {"provider_name": "Google", "raw": "rate-limited upstream"}}}
    found = error(response(429, body))
    assert type(found) is UpstreamRateLimited
    assert str(found).endswith("Provider returned error: rate-limited upstream")


@pytest.mark.parametrize(
    ("headers", "metadata", "expected"),
    [
        pytest.param({"retry-after": "2.5"}, {}, 2.5, id="seconds"),
        pytest.param({"retry-after": "-3"}, {}, 0.0, id="never-negative"),
        pytest.param({}, {"retry_after_seconds": 4}, 4.0, id="metadata"),
        pytest.param({}, {}, None, id="nothing"),
    ],
)
def test_retry_after(headers: dict[str, str], metadata: dict[str, Any],
                     expected: float | None) -> None:
    found = error(response(429, {"error": {"message": "slow down", "metadata": metadata}},
                           headers=headers))
    assert found.retry_after == expected


def test_retry_after_as_a_date_or_a_reset_time() -> None:
    soon = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    dated = error(response(503, {}, headers={"retry-after": soon}))
    assert dated.retry_after is not None and 20 < dated.retry_after <= 30
    reset = str(int((time.time() + 10) * 1000))
    limited = error(response(429, {}, headers={"x-ratelimit-reset": reset}))
    assert limited.retry_after is not None and 5 < limited.retry_after <= 10


def test_a_body_that_is_not_openrouters_is_still_one_line() -> None:
    found = error(response(400, text="<html>\n<b>Bad</b>\n</html>"))
    assert str(found) == "llm.test: HTTP 400 for model m/x: <html> <b>Bad</b> </html>"
    assert not found.retryable
