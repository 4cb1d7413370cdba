"""The LLM backend: OpenAI-compatible chat completions over one ``httpx.AsyncClient``.

OpenRouter by default; any base URL speaking ``POST {api_base}/chat/completions`` works (a local
llama.cpp, vLLM or Ollama server). One ``generate()`` sends one request; the engine retries.
The one exception: an upstream 429 on a ``:free`` model waits a short ``Retry-After`` and asks
that model again, or moves on to the next model of the selection that ``fallback.next_model``
allows (never from free to paid unless the configuration allows paid models), within the same
call; each request sent again counts as a retry. Provider failures are mapped to the
``ProviderError`` tree (see ``tta_ci.core.errors``) at this seam; their messages never contain
the API key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tta_ci.core.config import Config
from tta_ci.core.errors import (
    AuthError,
    BadResponse,
    CreditsError,
    GitError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from tta_ci.core.secrets import Redactor, api_key
from tta_ci.core.types import Candidate, LLMCall
from tta_ci.generators.base import GenerationRequest
from tta_ci.generators.llm.catalog import ModelSelector, load_catalog
from tta_ci.generators.llm.context import evidence_of
from tta_ci.generators.llm.fallback import free_wait, next_model, upstream_free_429
from tta_ci.generators.llm.prompts import (
    build_messages,
    extract_code,
    messages_tokens,
    repair_message,
)
from tta_ci.generators.llm.wire import (
    Reply,
    UnusableAnswer,
    error_for_status,
    one_line,
    parse_reply,
)

__all__ = ["APP_TITLE", "APP_URL", "OpenRouterGenerator", "make"]

APP_URL = "https://github.com/tta/openhands-action"
APP_TITLE = "tta-ci"
MAX_FILE_CHARS = 200_000  # module or test file larger than this is not read into a prompt

RateLimit = Callable[[], Awaitable[None]]


def make(config: Config, environ: Mapping[str, str], *, repo: Path,
         base: str | None = None, **options: Any) -> OpenRouterGenerator:
    """The registry's factory. The key is read from ``environ[config.api_key_env]``;
    ``options`` are the generator's (``client``, ``selector``, ``stream``, ``ref``); the
    base commit is not used by this backend."""
    key = api_key(config, environ)
    return OpenRouterGenerator(config, key, repo=repo,
                               redact=Redactor.from_env(environ, config), **options)


class OpenRouterGenerator:
    """A ``Generator`` over chat completions. Constructing it does no I/O."""

    name = "openrouter"

    def __init__(
        self,
        config: Config,
        api_key: str,
        *,
        repo: Path,
        client: httpx.AsyncClient | None = None,
        selector: ModelSelector | None = None,
        stream: bool = False,
        redact: Callable[[str], str] | None = None,
        ref: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self.ref = ref  # the commit under test; None reads the working tree
        self._redact_env = redact or Redactor([api_key])
        self.repo = repo
        self.stream = stream
        self.provider = urlsplit(config.api_base).hostname or config.api_base
        self._key = api_key
        self._client = client
        self._owns_client = client is None
        self.selector = selector
        self._catalog_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"OpenRouterGenerator(api_base={self.config.api_base!r})"

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = httpx.Timeout(self.config.request_timeout_s)
            self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._key}",
            "HTTP-Referer": APP_URL,
            "X-OpenRouter-Title": APP_TITLE,
            "X-Title": APP_TITLE,
        }

    def _redact(self, text: str) -> str:
        """``text`` without the key or any other secret of the environment."""
        text = text.replace(self._key, "***") if self._key else text
        return self._redact_env(text)

    def _clean(self, message: dict[str, Any]) -> dict[str, Any]:
        return {**message, "content": self._redact(str(message.get("content") or ""))}

    async def _selector(self, rate_limit: RateLimit) -> ModelSelector:
        async with self._catalog_lock:  # concurrent first requests load the catalog once
            return await self._load_selector(rate_limit)

    async def _load_selector(self, rate_limit: RateLimit) -> ModelSelector:
        if self.selector is None:
            cache_dir = Path(self.config.cache_dir)
            catalog = await load_catalog(
                self.client,
                self.config.api_base,
                self._headers(),
                cache_dir=cache_dir if cache_dir.is_absolute() else self.repo / cache_dir,
                ttl_h=self.config.catalog_ttl_h,
                timeout_s=self.config.request_timeout_s,
                before_request=rate_limit,
            )
            self.selector = ModelSelector(self.config, catalog)
        return self.selector

    def _read(self, relative: str) -> str:
        if self.ref is not None:
            return self._read_at_ref(relative)
        path = self.repo / relative
        try:
            if path.is_file() and path.stat().st_size <= MAX_FILE_CHARS:
                return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return ""

    def _read_at_ref(self, relative: str) -> str:
        from tta_ci.git import repo as gitops

        try:
            text = gitops.show(gitops.open_repo(self.repo), self.ref or "HEAD", relative)
        except GitError:
            return ""
        return text if text is not None and len(text) <= MAX_FILE_CHARS else ""

    def _first_messages(self, request: GenerationRequest) -> list[dict[str, Any]]:
        task = request.task
        return build_messages(
            task,
            module_source=self._read(task.file),
            existing_tests=self._read(task.test_file),
        )

    async def generate(self, request: GenerationRequest) -> Candidate:
        selector = await self._selector(request.rate_limit)
        if request.previous is not None:
            selector.report(request.previous.model, ok=False)
            feedback = self._redact(request.feedback or "")
            messages = [*request.previous.messages, repair_message(feedback)]
        else:
            messages = [self._clean(m) for m in self._first_messages(request)]
        selection = selector.select(messages_tokens(messages))
        reply, call, calls = await self._answer(selection.model, list(selection.fallbacks),
                                                messages, request, selector)
        code = self._code(reply, call)
        reason = selection.reason
        if call.model != selection.model and calls:
            reason += f"; moved to {call.model}: {selection.model} was rate-limited upstream"
        return Candidate(
            code=code,
            generator=self.name,
            model=call.model,
            model_reason=reason,
            calls=(*calls, call),
            messages=(*messages, {"role": "assistant", "content": reply.content}),
            # a repair answer that keeps its expectation says why: the evidence of its tests
            evidence=evidence_of(reply.content, code, self._redact) if request.previous else {},
        )

    async def _answer(self, model: str, queue: list[str], messages: list[dict[str, Any]],
                      request: GenerationRequest, selector: ModelSelector
                      ) -> tuple[Reply, LLMCall, list[LLMCall]]:
        """One answer; an upstream 429 on a free model waits a short Retry-After and asks the
        same model again, else moves on as ``fallback.next_model`` allows."""
        calls: list[LLMCall] = []
        waited: set[str] = set()
        while True:
            try:
                reply, call = await self._complete(model, messages, request.rate_limit)
                self._code(reply, call)
                return reply, call, calls
            except ProviderError as exc:
                upstream = upstream_free_429(exc, model)
                if upstream or not isinstance(exc, RateLimited | AuthError | CreditsError):
                    selector.report(model, ok=False)
                if not upstream:
                    raise
                wait = free_wait(exc)
                if wait is not None and model not in waited:
                    waited.add(model)
                    calls.append(LLMCall(model=model, ok=False))
                    await self._sleep(wait)
                    continue
                moved, queue = next_model(self.config, selector.catalog, model, queue)
                if moved is None:
                    raise
                calls.append(LLMCall(model=model, ok=False))
                model = moved

    def _code(self, reply: Reply, call: LLMCall) -> str:
        try:
            if reply.error:
                raise BadResponse(f"error inside the answer: {reply.error}")
            if reply.finish_reason == "length":
                raise BadResponse("the answer was cut off (finish_reason: length)")
            if not reply.content.strip():
                raise BadResponse("the answer is empty")
            return extract_code(reply.content)
        except BadResponse as exc:
            message = f"{self.provider}: unusable answer from {call.model}: {exc}"
            failed = call.model_copy(update={"ok": False})
            raise UnusableAnswer(self._redact(one_line(message)), call=failed) from exc

    def _body(self, model: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "temperature": 0.2,
            "usage": {"include": True},
        }
        fallbacks = [m for m in self.config.fallback_models if m != model]
        if fallbacks:
            body["models"] = [model, *fallbacks]
        if self.config.provider:
            body["provider"] = self.config.provider
        if self.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def _complete(
        self, model: str, messages: list[dict[str, Any]], rate_limit: RateLimit
    ) -> tuple[Reply, LLMCall]:
        body = self._body(model, messages)
        await rate_limit()
        started = time.perf_counter()
        response = await self._post(body, model)
        latency = time.perf_counter() - started
        if response.status_code != 200:
            raise error_for_status(
                response,
                model=model,
                host=self.provider,
                key_env=self.config.api_key_env,
                redact=self._redact,
            )
        reply = parse_reply(response, model=model, host=self.provider, redact=self._redact)
        served = reply.model if reply.model and reply.model in body.get("models", ()) else model
        cost = reply.cost
        if cost is None:
            info = self.selector.catalog.get(served) if self.selector else None
            cost = info.cost(reply.prompt_tokens, reply.completion_tokens) if info else None
        call = LLMCall(
            model=served,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            cost_usd=cost or 0.0,
            latency_s=round(latency, 4),
        )
        return reply, call

    async def _post(self, body: dict[str, Any], model: str) -> httpx.Response:
        url = f"{self.config.api_base}/chat/completions"
        where = f"{self.provider}: model {model}"
        try:
            return await self.client.post(
                url, json=body, headers=self._headers(), timeout=self.config.request_timeout_s
            )
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(
                f"{where}: no answer within {self.config.request_timeout_s:g}s "
                f"({type(exc).__name__})",
                model=model,
            ) from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(
                f"{where}: request failed: {self._redact(type(exc).__name__ + ': ' + str(exc))}",
                model=model,
            ) from exc
