"""tta_ci.generators.llm.chat: the OpenRouter generator against the scripted server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.llm_server import LLMServer

from tta_ci.core.config import Config
from tta_ci.core.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    CreditsError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from tta_ci.core.types import Candidate, Task
from tta_ci.generators import make_generator
from tta_ci.generators.base import GenerationRequest
from tta_ci.generators.llm.catalog import DEMOTE_AFTER
from tta_ci.generators.llm.chat import OpenRouterGenerator, make
from tta_ci.generators.llm.fallback import next_model
from tta_ci.generators.llm.wire import UnusableAnswer

KEY = "sk-or-v1-test-0123456789abcdef"
CODE = "from shop.pricing import price\n\n\ndef test_price():\n    assert price(1.0, 0.5) == 1.5\n"
TASK = Task(
    id="shop/pricing.py::price",
    file="shop/pricing.py",
    symbol="price",
    kind="function",
    changed_lines=(2,),
    test_file="tests/test_pricing.py",
    start_line=1,
    end_line=2,
    source="def price(amount, tax):\n    return amount * (1 + tax)\n",
    module="shop.pricing",
)


def _generator(server: LLMServer, repo: Path, **config: Any) -> OpenRouterGenerator:
    values: dict[str, Any] = {"api_base": server.url, "model": "test/model",
                              "cache_dir": str(repo / "cache")}
    values.update(config)
    return make(Config(**values), {"OPENROUTER_API_KEY": KEY}, repo=repo)


def _generate(gen: OpenRouterGenerator, request: GenerationRequest | None = None) -> Candidate:
    async def go() -> Candidate:
        try:
            return await gen.generate(request or GenerationRequest(TASK))
        finally:
            await gen.aclose()

    return asyncio.run(go())


def test_missing_key_is_a_config_error_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY is not set"):
        make_generator("openrouter", Config(), {}, repo=tmp_path)
    with pytest.raises(ConfigError, match="MY_LLM_KEY"):
        make(Config(api_key_env="MY_LLM_KEY"), {"OPENROUTER_API_KEY": KEY}, repo=tmp_path)


def test_registry_builds_it_without_any_request(llm_server: LLMServer, tmp_path: Path) -> None:
    config = Config(api_base=llm_server.url)
    gen = make_generator("openrouter", config, {"OPENROUTER_API_KEY": KEY}, repo=tmp_path)
    assert isinstance(gen, OpenRouterGenerator)
    assert gen.name == "openrouter" and gen.provider == "127.0.0.1"
    assert llm_server.requests == []
    assert KEY not in repr(gen)


def test_answer_becomes_a_candidate_with_measured_usage(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.answer_code(CODE, prompt_tokens=321, completion_tokens=54, cost=0.00123)
    candidate = _generate(_generator(llm_server, tmp_path))
    assert candidate.code == CODE
    assert candidate.generator == "openrouter" and candidate.model == "test/model"
    assert "configured model" in candidate.model_reason
    (call,) = candidate.calls
    assert (call.prompt_tokens, call.completion_tokens, call.cost_usd) == (321, 54, 0.00123)
    assert call.model == "test/model" and call.ok and call.latency_s > 0
    assert candidate.messages[-1]["role"] == "assistant"
    assert "```python" in candidate.messages[-1]["content"]
    assert [m["role"] for m in candidate.messages] == ["system", "user", "assistant"]


def test_request_headers_and_body(llm_server: LLMServer, tmp_path: Path) -> None:
    llm_server.answer_code(CODE)
    gen = _generator(llm_server, tmp_path, fallback_models=("other/model",),
                     provider={"only": ["xai"]})
    _generate(gen)
    (request,) = llm_server.chat_requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["http-referer"].startswith("https://")
    assert request.headers["x-openrouter-title"] == "tta-ci" == request.headers["x-title"]
    body = request.json
    assert body["model"] == "test/model"
    assert body["models"] == ["test/model", "other/model"]
    assert body["provider"] == {"only": ["xai"]}
    assert body["usage"] == {"include": True}
    assert "from shop.pricing import price" in body["messages"][1]["content"]
    # the key travels only in the Authorization header
    assert KEY.encode() not in request.body
    others = {k: v for k, v in request.headers.items() if k != "authorization"}
    assert KEY not in json.dumps(others)


def test_rate_limit_is_awaited_before_every_request(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.answer_code(CODE)
    waits: list[int] = []

    async def limit() -> None:
        waits.append(len(llm_server.requests))

    _generate(_generator(llm_server, tmp_path), GenerationRequest(TASK, rate_limit=limit))
    assert [r.path for r in llm_server.requests] == ["/v1/models", "/v1/chat/completions"]
    assert waits == [0, 1]  # each wait happened before the request it guards


def test_existing_tests_of_the_test_file_go_into_the_prompt(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_pricing.py").write_text("def test_zero_tax():\n    assert True\n")
    llm_server.answer_code(CODE)
    _generate(_generator(llm_server, tmp_path))
    prompt = llm_server.chat_requests[0].json["messages"][1]["content"]
    assert "def test_zero_tax" in prompt


def test_repair_continues_the_conversation(llm_server: LLMServer, tmp_path: Path) -> None:
    llm_server.answer_code("def test_bad():\n    assert False\n")
    llm_server.answer_code(CODE)
    gen = _generator(llm_server, tmp_path)
    first = _generate(gen)
    feedback = "FAILED tests/test_pricing.py::test_bad - assert False"
    second = _generate(gen, GenerationRequest(TASK, 2, first, feedback))
    sent = llm_server.chat_requests[1].json["messages"]
    assert sent[:3] == list(first.messages)
    assert sent[3]["role"] == "user" and feedback in sent[3]["content"]
    assert second.code == CODE and len(second.messages) == 5
    assert gen.selector is not None and gen.selector._failures["test/model"] == 1


def test_cost_from_catalog_pricing_when_usage_has_none(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.models = [{"id": "test/model", "context_length": 100_000,
                          "pricing": {"prompt": "0.000002", "completion": "0.00001"}}]
    llm_server.answer_code(CODE, prompt_tokens=1000, completion_tokens=100, cost=None)
    (call,) = _generate(_generator(llm_server, tmp_path)).calls
    assert call.cost_usd == pytest.approx(1000 * 0.000002 + 100 * 0.00001)
    assert call.prompt_tokens == 1000


def test_model_served_by_the_fallback_array_is_recorded(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.answer_code(CODE, model="other/model")
    gen = _generator(llm_server, tmp_path, fallback_models=("other/model",))
    candidate = _generate(gen)
    assert candidate.model == "other/model" and candidate.calls[0].model == "other/model"


def test_unknown_response_model_name_keeps_the_model_sent(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.answer_code(CODE, model="/models/qwen2.5-coder-7b.gguf")  # llama.cpp style
    assert _generate(_generator(llm_server, tmp_path)).model == "test/model"


UPSTREAM = {"metadata": {"provider_name": "Google", "raw": "rate-limited upstream"}}


def test_upstream_429_on_a_free_model_waits_a_short_retry_after_and_asks_again(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.rate_limited(0.05, **UPSTREAM)
    llm_server.answer_code(CODE, model="acme/open:free")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    gen = make(Config(api_base=llm_server.url, model="acme/open:free",
                      fallback_models=("paid/model",), cache_dir=str(tmp_path / "cache")),
               {"OPENROUTER_API_KEY": KEY}, repo=tmp_path, sleep=sleep)
    candidate = _generate(gen)
    assert waits == [0.05]
    assert [r.json["model"] for r in llm_server.chat_requests] == ["acme/open:free"] * 2
    assert candidate.model == "acme/open:free" and [c.ok for c in candidate.calls] == [False, True]


def test_upstream_429_on_a_free_model_moves_to_a_named_fallback(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.rate_limited(60, **UPSTREAM)  # too long to wait for
    llm_server.answer_code(CODE, model="paid/model")
    gen = _generator(llm_server, tmp_path, model="acme/open:free", fallback_models=("paid/model",))
    candidate = _generate(gen)
    assert [r.json["model"] for r in llm_server.chat_requests] == ["acme/open:free", "paid/model"]
    assert candidate.model == "paid/model"
    assert [c.ok for c in candidate.calls] == [False, True]
    assert "rate-limited upstream" in candidate.model_reason


@pytest.mark.parametrize(("queue", "options", "expected"), [
    pytest.param(["paid/a", "other:free"], {}, ("other:free", []), id="skips-paid"),
    pytest.param(["paid/a"], {}, (None, []), id="no-free-left"),
    pytest.param(["paid/a"], {"fallback_models": ("paid/a",)}, ("paid/a", []), id="named"),
    pytest.param(["paid/a"], {"max_price_per_mtok": 2.0}, ("paid/a", []), id="price-ceiling"),
    pytest.param(["paid/a"], {"fallback_models": ("paid/a",), "free_only": True}, (None, []),
                 id="free-only"),
])
def test_a_free_model_never_moves_to_a_paid_one_unless_allowed(
        queue: list[str], options: dict[str, Any], expected: tuple[str | None, list[str]]) -> None:
    config = Config(model="acme/open:free", **options)
    assert next_model(config, None, "acme/open:free", queue) == expected
    assert next_model(config, None, "paid/b", queue)[0] == queue[0]  # paid → anything


def test_own_429_is_raised_with_retry_after_and_no_second_request(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.rate_limited(2.5)
    gen = _generator(llm_server, tmp_path, model="acme/open:free", fallback_models=("paid/model",))
    with pytest.raises(RateLimited) as caught:
        _generate(gen)
    assert caught.value.retry_after == 2.5 and caught.value.retryable
    assert llm_server.chat_count == 1


@pytest.mark.parametrize(
    ("status", "error", "retryable"),
    [
        pytest.param(401, AuthError, False, id="401"),
        pytest.param(403, AuthError, False, id="403"),
        pytest.param(402, CreditsError, False, id="402"),
        pytest.param(408, ProviderTimeout, True, id="408"),
        pytest.param(502, ProviderUnavailable, True, id="502"),
        pytest.param(503, ProviderUnavailable, True, id="503"),
        pytest.param(400, ProviderError, False, id="400"),
    ],
)
def test_status_errors_are_typed_and_never_show_the_key(
    llm_server: LLMServer, tmp_path: Path, status: int, error: type[ProviderError],
    retryable: bool,
) -> None:
    llm_server.error(status, f"denied for {KEY}")  # even an echoed key is redacted
    with pytest.raises(error) as caught:
        _generate(_generator(llm_server, tmp_path))
    assert type(caught.value) is error and caught.value.retryable is retryable
    message = str(caught.value)
    assert f"HTTP {status}" in message and "test/model" in message and "\n" not in message
    assert KEY not in message and "***" in message
    assert caught.value.model == "test/model" and caught.value.status == status
    assert llm_server.chat_count == 1


def test_auth_error_says_which_variable_to_check(llm_server: LLMServer, tmp_path: Path) -> None:
    llm_server.error(401, "No auth credentials found")
    with pytest.raises(AuthError, match="check the key in OPENROUTER_API_KEY"):
        _generate(_generator(llm_server, tmp_path))


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        pytest.param(lambda s: s.malformed(), "malformed answer", id="malformed-json"),
        pytest.param(lambda s: s.answer("no code here"), "no fenced", id="no-code-block"),
        pytest.param(lambda s: s.answer(""), "empty", id="empty"),
        pytest.param(lambda s: s.answer("```python\nx = (", finish_reason="length"),
                     "cut off", id="length"),
        pytest.param(lambda s: s.enqueue(_error_in_200()), "error inside the answer: 400 Token",
                     id="error-in-200"),
    ],
)
def test_bad_answers_are_retryable_bad_responses(
    llm_server: LLMServer, tmp_path: Path, script: Any, reason: str
) -> None:
    script(llm_server)
    with pytest.raises(BadResponse, match=reason) as caught:
        _generate(_generator(llm_server, tmp_path))
    assert caught.value.retryable and llm_server.chat_count == 1


def _error_in_200() -> Any:
    from support.llm_server import Reply, chat_body

    body = chat_body("", prompt_tokens=43, completion_tokens=10, cost=0.0)
    body["error"] = {"code": 400, "message": "Token limit reached"}
    return Reply(body=body)


def test_unusable_answer_keeps_the_tokens_and_cost_it_spent(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.answer("I cannot help with that.", prompt_tokens=80, completion_tokens=7,
                      cost=0.0004)
    with pytest.raises(UnusableAnswer) as caught:
        _generate(_generator(llm_server, tmp_path))
    call = caught.value.call
    assert (call.prompt_tokens, call.completion_tokens, call.cost_usd, call.ok) == (
        80, 7, 0.0004, False)


def test_hang_past_the_timeout_is_a_provider_timeout(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.hang(3)
    with pytest.raises(ProviderTimeout, match=r"no answer within 0\.3s"):
        _generate(_generator(llm_server, tmp_path, request_timeout_s=0.3))


def test_connection_refused_is_provider_unavailable(tmp_path: Path) -> None:
    server = LLMServer().start()
    server.stop()
    with pytest.raises(ProviderUnavailable, match="request failed"):
        _generate(_generator(server, tmp_path))


def test_streamed_answer_is_parsed(llm_server: LLMServer, tmp_path: Path) -> None:
    llm_server.answer_code(CODE, prompt_tokens=17, completion_tokens=6, cost=0.0001025)
    config = Config(api_base=llm_server.url, model="test/model", cache_dir=str(tmp_path))
    gen = make(config, {"OPENROUTER_API_KEY": KEY}, repo=tmp_path, stream=True)
    candidate = _generate(gen)
    assert llm_server.chat_requests[0].json["stream"] is True
    assert candidate.code == CODE
    assert candidate.calls[0].cost_usd == 0.0001025 and candidate.calls[0].completion_tokens == 6


def test_repeated_failures_demote_the_model_for_later_requests(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    gen = _generator(llm_server, tmp_path, fallback_models=("next/model",))
    for _ in range(DEMOTE_AFTER):
        llm_server.error(500)
        with pytest.raises(ProviderUnavailable):
            _generate(gen)
    llm_server.answer_code(CODE)
    assert _generate(gen).model == "next/model"
    assert llm_server.chat_requests[-1].json["model"] == "next/model"


def test_injected_client_is_not_closed(llm_server: LLMServer, tmp_path: Path) -> None:
    llm_server.answer_code(CODE)

    async def go() -> bool:
        async with httpx.AsyncClient() as client:
            config = Config(api_base=llm_server.url, model="test/model", cache_dir=str(tmp_path))
            gen = make(config, {"OPENROUTER_API_KEY": KEY}, repo=tmp_path, client=client)
            await gen.generate(GenerationRequest(TASK))
            await gen.aclose()
            return client.is_closed

    assert asyncio.run(go()) is False


def test_concurrent_first_requests_load_the_catalog_once(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.answer_code(CODE)
    llm_server.answer_code(CODE)
    gen = _generator(llm_server, tmp_path)

    async def go() -> list[Candidate]:
        try:
            return list(await asyncio.gather(*(gen.generate(GenerationRequest(TASK))
                                               for _ in range(2))))
        finally:
            await gen.aclose()

    assert len(asyncio.run(go())) == 2
    assert [r.path for r in llm_server.requests].count("/v1/models") == 1


def test_secrets_of_the_environment_never_reach_the_prompt(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    token = "ghp_0123456789abcdefSECRET"
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_pricing.py").write_text(f"TOKEN = {token!r}\n")
    llm_server.answer_code(CODE)
    llm_server.answer_code(CODE)
    config = Config(api_base=llm_server.url, model="test/model", cache_dir=str(tmp_path))
    gen = make(config, {"OPENROUTER_API_KEY": KEY, "GITHUB_TOKEN": token}, repo=tmp_path)
    first = _generate(gen)
    _generate(gen, GenerationRequest(TASK, 2, first, f"E  assert {token!r} == {KEY!r}"))
    for request in llm_server.chat_requests:
        assert token.encode() not in request.body and KEY.encode() not in request.body
    assert "TOKEN = '***'" in llm_server.chat_requests[0].json["messages"][1]["content"]
