"""tta_ci.generators.llm.chat replaying OpenRouter traffic recorded by other projects (vcrpy
cassettes in tests/cassettes)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
import yaml
from support import CASSETTES

from tta_ci.core.config import Config
from tta_ci.core.errors import RateLimited
from tta_ci.core.types import Candidate, Task
from tta_ci.generators.base import GenerationRequest
from tta_ci.generators.llm.catalog import load_catalog
from tta_ci.generators.llm.chat import make
from tta_ci.generators.llm.wire import UnusableAnswer, UpstreamRateLimited

KEY = "sk-or-v1-cassette-0123456789"
REPLAY = vcr.VCR(cassette_library_dir=str(CASSETTES), record_mode="none")
TASK = Task(
    id="shop/pricing.py::price",
    file="shop/pricing.py",
    symbol="price",
    kind="function",
    changed_lines=(2,),
    test_file="tests/test_pricing.py",
    end_line=2,
    source="def price(amount, tax):\n    return amount * (1 + tax)\n",
    module="shop.pricing",
)


def _run(config: Config, repo: Path, *, stream: bool = False) -> Candidate:
    async def go() -> Candidate:
        gen = make(config, {"OPENROUTER_API_KEY": KEY}, repo=repo, stream=stream)
        try:
            return await gen.generate(GenerationRequest(TASK))
        finally:
            await gen.aclose()

    return asyncio.run(go())


def _config(tmp_path: Path, **values: Any) -> Config:
    return Config(cache_dir=str(tmp_path / "cache"), **values)


def _catalog_cached(tmp_path: Path) -> None:
    """Fill the catalog cache from the recorded /models listing, so that no GET is replayed."""

    async def go() -> None:
        async with httpx.AsyncClient() as client:
            await load_catalog(client, "https://openrouter.ai/api/v1", {},
                               cache_dir=tmp_path / "cache", ttl_h=24, timeout_s=5)

    with REPLAY.use_cassette("openrouter_models.yaml"):
        asyncio.run(go())


def test_usage_cost_is_taken_from_the_answer(tmp_path: Path) -> None:
    _catalog_cached(tmp_path)
    with REPLAY.use_cassette("openrouter_usage_cost.yaml") as cassette:
        candidate = _run(_config(tmp_path, model="openai/gpt-5-mini"), tmp_path)
    assert cassette.play_count == 1
    assert "def test_price_adds_tax" in candidate.code
    (call,) = candidate.calls
    assert (call.prompt_tokens, call.completion_tokens) == (17, 2177)
    assert call.cost_usd == 0.00435825 and call.model == "openai/gpt-5-mini"


def test_recorded_prose_answer_is_unusable_but_its_cost_is_kept(tmp_path: Path) -> None:
    _catalog_cached(tmp_path)
    with REPLAY.use_cassette("openrouter_usage_cost.yaml", allow_playback_repeats=False) as c:
        c.play_response(c.requests[0])  # skip the first (code) answer
        with pytest.raises(UnusableAnswer, match="no fenced") as caught:
            _run(_config(tmp_path, model="openai/gpt-5-mini"), tmp_path)
    assert caught.value.call.cost_usd == 0.00435825


def test_upstream_429_on_free_model_with_no_fallback_is_rate_limited(tmp_path: Path) -> None:
    _catalog_cached(tmp_path)
    with (
        REPLAY.use_cassette("openrouter_free_429.yaml"),
        pytest.raises(UpstreamRateLimited) as caught,
    ):
        _run(_config(tmp_path, model="google/gemini-2.0-flash-exp:free"), tmp_path)
    error = caught.value
    assert isinstance(error, RateLimited) and error.retryable and error.status == 429
    assert "temporarily rate-limited upstream" in str(error)
    assert error.retry_after is None  # the recording has no Retry-After: the engine backs off


def test_upstream_429_on_free_model_moves_to_the_next_model(tmp_path: Path) -> None:
    _catalog_cached(tmp_path)
    config = _config(tmp_path, model="google/gemini-2.0-flash-exp:free",
                     fallback_models=("openai/gpt-5-mini",))
    with REPLAY.use_cassette("openrouter_free_429_fallback.yaml") as cassette:
        candidate = _run(config, tmp_path)
    assert cassette.play_count == 2
    assert [json.loads(r.body)["model"] for r in cassette.requests] == [
        "google/gemini-2.0-flash-exp:free", "openai/gpt-5-mini"]
    assert candidate.model == "openai/gpt-5-mini"
    assert [c.ok for c in candidate.calls] == [False, True]


def test_error_inside_a_200_stream_is_a_bad_response_that_keeps_usage(tmp_path: Path) -> None:
    _catalog_cached(tmp_path)
    with (
        REPLAY.use_cassette("openrouter_stream_error.yaml"),
        pytest.raises(UnusableAnswer, match="Token limit reached") as caught,
    ):
        _run(_config(tmp_path, model="minimax/minimax-m2:free"), tmp_path, stream=True)
    call = caught.value.call
    assert (call.prompt_tokens, call.completion_tokens, call.cost_usd) == (43, 10, 0.0)


SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "x-api-key", "api-key"}


@pytest.mark.parametrize("path", sorted(CASSETTES.glob("*.yaml")), ids=lambda p: p.name)
def test_no_cassette_stores_a_key_or_cookie(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    for interaction in data["interactions"]:
        for side in ("request", "response"):
            names = {n.lower() for n in interaction[side].get("headers", {})}
            assert not names & SECRET_HEADERS, (path.name, side, names & SECRET_HEADERS)
    text = path.read_text()
    for marker in ("Bearer ", "sk-or-", "sk-proj-", "__cf_bm", KEY):
        assert marker not in text, (path.name, marker)
