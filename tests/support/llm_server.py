"""A scripted OpenAI-compatible server on 127.0.0.1, for tests.

It answers ``POST /v1/chat/completions`` from a queue of scripted replies, and
``GET /v1/models`` from ``server.models`` (``None``: 404, as many local servers do)::

    def test_something(llm_server):
        llm_server.answer_code("def test_x():\\n    assert 1 + 1 == 2\\n", cost=0.001)
        llm_server.rate_limited(retry_after=0.1)
        llm_server.error(500)
        llm_server.hang(seconds=2)          # longer than the client's timeout
        llm_server.malformed()
        ... point TTA_LLM_BASE_URL at llm_server.url ...
        assert llm_server.chat_count == 5
        assert llm_server.chat_requests[0].headers["authorization"] == "Bearer sk-test"

Replies are served in order. ``respond`` (a function of the request) answers when the queue
is empty; without it an unscripted request gets a 500 and is counted in ``unscripted``.
A request with ``"stream": true`` gets a text answer as server-sent events.
``reported`` sums the usage (tokens, cost) that the server sent in its 200 answers.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = ["LLMServer", "Received", "Reply", "Usage", "chat_body", "llm_server"]


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0


@dataclass
class Reply:
    """One scripted answer. ``body`` is sent as JSON unless it is ``bytes``."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait this long before answering (a hang, when past the timeout)
    text: str | None = None  # for streamed answers: the content to send as deltas


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def chat_body(
    text: str,
    *,
    model: str = "test/model",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    cost: float | None = 0.0001,
    finish_reason: str = "stop",
) -> dict[str, Any]:
    """A chat completion as OpenRouter sends it (``usage.cost`` included when not None)."""
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if cost is not None:
        usage["cost"] = cost
        usage["is_byok"] = False
    return {
        "id": f"gen-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "provider": "Test",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "native_finish_reason": finish_reason,
                "message": {"role": "assistant", "content": text, "refusal": None},
            }
        ],
        "usage": usage,
    }


def _sse(body: dict[str, Any]) -> bytes:
    """``body`` (a chat completion) as OpenRouter's stream: keep-alive, deltas, usage, DONE."""
    text = body["choices"][0]["message"]["content"]
    base = {k: body[k] for k in ("id", "model", "created", "provider")}
    chunks = [": OPENROUTER PROCESSING\n\n"]
    for i in range(0, len(text), 40):
        delta = {"role": "assistant", "content": text[i : i + 40]}
        chunk = {**base, "object": "chat.completion.chunk",
                 "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        chunks.append(f"data: {json.dumps(chunk)}\n\n")
    finish = body["choices"][0]["finish_reason"]
    last = {**base, "object": "chat.completion.chunk", "usage": body["usage"],
            "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
    chunks.append(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n")
    return "".join(chunks).encode()


class LLMServer:
    """The server; start with ``start()`` (or the ``llm_server`` fixture), stop with ``stop()``."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.respond: Callable[[Received], Reply] | None = None
        self.models: list[dict[str, Any]] | None = None
        self.requests: list[Received] = []
        self.unscripted = 0
        self.reported = Usage()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    # scripting -----------------------------------------------------------------------------
    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def answer(self, text: str, **usage: Any) -> None:
        """A 200 answer with ``text`` as content; keywords as in ``chat_body``."""
        self.enqueue(Reply(body=chat_body(text, **usage)))

    def answer_code(self, code: str, *, prose: str = "Here are the tests.", **usage: Any) -> None:
        self.answer(f"{prose}\n\n```python\n{code}```\n", **usage)

    def error(
        self,
        status: int,
        message: str = "Internal Server Error",
        *,
        headers: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        error: dict[str, Any] = {"code": status, "message": message}
        if metadata:
            error["metadata"] = metadata
        self.enqueue(Reply(status=status, body={"error": error}, headers=headers or {}))

    def rate_limited(self, retry_after: float = 0.1, **kwargs: Any) -> None:
        self.error(429, "Rate limit exceeded", headers={"Retry-After": f"{retry_after:g}"},
                   **kwargs)

    def hang(self, seconds: float) -> None:
        """Answer only after ``seconds`` (a 200 with no code): for client timeouts."""
        late = chat_body("too late", prompt_tokens=0, completion_tokens=0, cost=0.0)
        self.enqueue(Reply(body=late, delay_s=seconds))

    def malformed(self) -> None:
        self.enqueue(Reply(body=b'{"choices": [{"message": {"content": "unterminated'))

    # inspection ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL, as ``TTA_LLM_BASE_URL`` wants it."""
        assert self._httpd is not None, "the server is not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def chat_requests(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def chat_count(self) -> int:
        return len(self.chat_requests)

    # lifetime ------------------------------------------------------------------------------
    def start(self) -> LLMServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def _next(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
            if not received.path.endswith("/chat/completions"):
                return self._models_reply()
            if self.replies:
                return self.replies.popleft()
            if self.respond is None:
                self.unscripted += 1
                return Reply(500, {"error": {"code": 500, "message": "no scripted reply left"}})
        return self.respond(received)

    def _models_reply(self) -> Reply:
        if self.models is None:
            return Reply(404, {"error": {"code": 404, "message": "Not Found"}})
        return Reply(body={"data": self.models})

    def _record(self, reply: Reply, delivered: bool) -> None:
        body = reply.body
        if delivered and reply.status == 200 and isinstance(body, dict) and "usage" in body:
            with self._lock:
                usage = body["usage"]
                self.reported.prompt_tokens += usage.get("prompt_tokens", 0)
                self.reported.completion_tokens += usage.get("completion_tokens", 0)
                self.reported.cost_usd += usage.get("cost", 0.0) or 0.0
                self.reported.requests += 1


def _handler(server: LLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            received = Received(self.command, self.path, headers, body)
            reply = server._next(received)
            if reply.delay_s and server._stopping.wait(reply.delay_s):
                return
            payload, ctype = _payload(reply, received)
            try:
                self.send_response(reply.status)
                for name, value in {"Content-Type": ctype, **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
            except OSError:  # the client gave up (timeout): nothing was delivered
                server._record(reply, delivered=False)
                return
            server._record(reply, delivered=True)

        do_GET = _serve
        do_POST = _serve

    return Handler


def _payload(reply: Reply, received: Received) -> tuple[bytes, str]:
    if isinstance(reply.body, bytes):
        return reply.body, "application/json"
    try:
        wants_stream = bool((received.json or {}).get("stream"))
    except (ValueError, AttributeError):
        wants_stream = False
    answer = isinstance(reply.body, dict) and "choices" in reply.body
    if wants_stream and reply.status == 200 and answer:
        return _sse(reply.body), "text/event-stream"
    return json.dumps(reply.body).encode(), "application/json"


@pytest.fixture
def llm_server() -> Iterator[LLMServer]:
    """A started ``LLMServer``; stopped after the test."""
    server = LLMServer().start()
    try:
        yield server
    finally:
        server.stop()
