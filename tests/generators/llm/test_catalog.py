"""tta_ci.generators.llm.catalog: the model catalog (fetched, cached, built in) and the
model selector."""

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
from support.llm_server import LLMServer

from tta_ci import ModelSelector as ExportedSelector
from tta_ci.core.config import Config
from tta_ci.core.errors import ConfigError
from tta_ci.generators.llm.catalog import (
    DEMOTE_AFTER,
    Catalog,
    ModelInfo,
    ModelSelector,
    builtin_catalog,
    catalog_cache_path,
    load_catalog,
    parse_catalog,
)


def _recorded_listing() -> dict[str, Any]:
    """The /models body recorded from OpenRouter (the cassette's response)."""
    data = yaml.safe_load((CASSETTES / "openrouter_models.yaml").read_text())
    body: dict[str, Any] = json.loads(data["interactions"][0]["response"]["body"]["string"])
    return body


def _catalog(*models: ModelInfo) -> Catalog:
    return Catalog(models=models, source="api")


M = 1e-6  # a price of $1 per million tokens, per token
CHEAP = ModelInfo(id="acme/cheap", context_length=8_000, prompt_price=0.1 * M,
                  completion_price=0.4 * M)
BIG = ModelInfo(id="acme/big", context_length=200_000, prompt_price=3 * M, completion_price=15 * M)
FREE = ModelInfo(id="acme/open:free", context_length=32_000, prompt_price=0.0,
                 completion_price=0.0)


def test_selector_is_exported_from_the_package() -> None:
    assert ExportedSelector is ModelSelector


def test_parse_recorded_listing_reads_string_prices_and_context() -> None:
    models = {m.id: m for m in parse_catalog(_recorded_listing())}
    mini = models["openai/gpt-4.1-mini"]
    assert mini.context_length == 1_047_576
    assert mini.prompt_price == pytest.approx(0.0000004)
    assert mini.completion_price == pytest.approx(0.0000016)
    assert mini.cost(1000, 500) == pytest.approx(1000 * 0.0000004 + 500 * 0.0000016)
    assert not mini.free


def test_parse_listing_of_a_local_server_without_prices() -> None:
    (model,) = parse_catalog({"object": "list", "data": [{"id": "qwen2.5-coder", "object": "m"}]})
    assert model.context_length is None and model.cost(10, 10) is None
    with pytest.raises(ValueError, match="data"):
        parse_catalog({"models": []})


def test_free_models_by_suffix_or_zero_price() -> None:
    assert ModelInfo(id="x/y:free").free
    assert FREE.free and not CHEAP.free


def _load(server: LLMServer, cache: Path, *, ttl_h: float = 24.0, now: float = 1000.0) -> Catalog:
    async def go() -> Catalog:
        async with httpx.AsyncClient() as client:
            return await load_catalog(client, server.url, {"Authorization": "Bearer k"},
                                      cache_dir=cache, ttl_h=ttl_h, timeout_s=5, now=now)

    return asyncio.run(go())


def test_catalog_is_fetched_cached_and_reused_within_the_ttl(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.models = _recorded_listing()["data"]
    first = _load(llm_server, tmp_path)
    assert first.source == "api" and first.get("openai/gpt-4.1-mini") is not None
    assert catalog_cache_path(tmp_path, llm_server.url).is_file()
    second = _load(llm_server, tmp_path, now=1000.0 + 3600)
    assert second.source == "cache" and second.models == first.models
    assert len(llm_server.requests) == 1
    assert llm_server.requests[0].path == "/v1/models"


def test_expired_cache_is_refreshed(llm_server: LLMServer, tmp_path: Path) -> None:
    llm_server.models = [{"id": "a/one", "context_length": 1000}]
    _load(llm_server, tmp_path)
    llm_server.models = [{"id": "a/two", "context_length": 1000}]
    fresh = _load(llm_server, tmp_path, ttl_h=1, now=1000.0 + 7200)
    assert [m.id for m in fresh.models] == ["a/two"] and fresh.source == "api"


def test_no_models_endpoint_falls_back_to_stale_cache_then_builtin(
    llm_server: LLMServer, tmp_path: Path
) -> None:
    llm_server.models = None  # 404, like many local servers
    assert _load(llm_server, tmp_path).source == "builtin"
    llm_server.models = [{"id": "a/one"}]
    _load(llm_server, tmp_path)
    llm_server.models = None
    stale = _load(llm_server, tmp_path, ttl_h=1, now=1000.0 + 7200)
    assert stale.source == "stale cache" and [m.id for m in stale.models] == ["a/one"]


def test_unreachable_endpoint_gives_the_builtin_list(tmp_path: Path) -> None:
    server = LLMServer().start()
    server.stop()  # nothing listens on that port any more
    catalog = _load(server, tmp_path)
    assert catalog.source == "builtin"
    assert all(m.prompt_price is None for m in catalog.models)  # no price tables


def test_explicit_model_is_used_with_its_fallbacks() -> None:
    config = Config(model="acme/big", fallback_models=("acme/cheap",))
    selection = ModelSelector(config, _catalog(CHEAP, BIG)).select(1000)
    assert selection.model == "acme/big"
    assert selection.fallbacks == ("acme/cheap",)
    assert "configured model" in selection.reason


def test_explicit_model_too_small_for_the_prompt_moves_to_a_fallback() -> None:
    config = Config(model="acme/cheap", fallback_models=("acme/big",))
    selection = ModelSelector(config, _catalog(CHEAP, BIG)).select(50_000)
    assert selection.model == "acme/big"
    assert "skipped acme/cheap" in selection.reason


def test_preferred_model_first_then_cheapest() -> None:
    selector = ModelSelector(Config(), _catalog(BIG, CHEAP), preferred=("acme/big",))
    assert selector.select(100).model == "acme/big"
    selector = ModelSelector(Config(), _catalog(BIG, CHEAP), preferred=())
    selection = selector.select(100)
    assert selection.model == "acme/cheap" and "cheapest" in selection.reason
    assert selection.fallbacks == ("acme/big",)


def test_context_length_rules_out_small_models() -> None:
    selector = ModelSelector(Config(), _catalog(CHEAP, BIG), preferred=())
    assert selector.select(7_000).model == "acme/big"


def test_free_only_and_price_ceiling() -> None:
    catalog = _catalog(BIG, CHEAP, FREE)
    assert ModelSelector(Config(free_only=True), catalog, preferred=()).select(100).model == (
        "acme/open:free"
    )
    capped = ModelSelector(Config(max_price_per_mtok=1.0), _catalog(BIG, CHEAP), preferred=())
    assert capped.select(100).model == "acme/cheap"
    assert "max $1.0/Mtok" in capped.select(100).reason
    with pytest.raises(ConfigError, match="no model of the api catalog passes"):
        ModelSelector(Config(max_price_per_mtok=0.01), _catalog(BIG, CHEAP)).select(100)


def test_repeated_failures_demote_a_model_for_the_run() -> None:
    selector = ModelSelector(Config(), _catalog(CHEAP, BIG), preferred=("acme/cheap", "acme/big"))
    for _ in range(DEMOTE_AFTER - 1):
        selector.report("acme/cheap", ok=False)
    assert selector.select(100).model == "acme/cheap"
    selector.report("acme/cheap", ok=True)  # a success resets the streak
    for _ in range(DEMOTE_AFTER - 1):
        selector.report("acme/cheap", ok=False)
    assert selector.select(100).model == "acme/cheap"
    selector.report("acme/cheap", ok=False)
    selection = selector.select(100)
    assert selection.model == "acme/big" and "acme/cheap" in selection.reason


def test_demoted_configured_model_gives_way_to_its_fallback() -> None:
    selector = ModelSelector(Config(model="acme/cheap", fallback_models=("acme/big",)),
                             _catalog(CHEAP, BIG))
    for _ in range(DEMOTE_AFTER):
        selector.report("acme/cheap", ok=False)
    assert selector.select(100).model == "acme/big"


def test_builtin_catalog_offers_free_models() -> None:
    selection = ModelSelector(Config(free_only=True), builtin_catalog()).select(1000)
    assert selection.model.endswith(":free")


REPLAY = vcr.VCR(cassette_library_dir=str(CASSETTES), record_mode="none")


def test_recorded_models_listing_fills_the_catalog(tmp_path: Path) -> None:
    async def go() -> list[str]:
        async with httpx.AsyncClient() as client:
            catalog = await load_catalog(client, "https://openrouter.ai/api/v1", {},
                                         cache_dir=tmp_path, ttl_h=24, timeout_s=5)
        assert catalog.source == "api"
        return [m.id for m in catalog.models]

    with REPLAY.use_cassette("openrouter_models.yaml") as cassette:
        ids = asyncio.run(go())
    assert "openai/gpt-4.1-mini" in ids and cassette.play_count == 1
