"""The model catalog and the ``ModelSelector``.

The catalog comes from ``GET {api_base}/models`` (OpenRouter's listing: context length and
per-token pricing as strings), cached on disk for ``catalog_ttl_h`` hours. When the endpoint is
unreachable or has no ``/models`` (local servers often do not), a stale cache is used, else the
built-in list of model ids (no prices: cost then comes only from the API's ``usage.cost``).

The selector picks one model per request: the configured ``model`` (then ``fallback_models``)
when set; otherwise the first model of the preference list, then the cheapest of the catalog,
that fits the prompt in its context and passes ``free_only`` and ``max_price_per_mtok``.
A model that fails ``DEMOTE_AFTER`` times in a row (provider errors, rejected output) is
demoted for the rest of the run.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict

from tta_ci.core.config import Config
from tta_ci.core.errors import ConfigError
from tta_ci.core.paths import make_dirs

__all__ = [
    "BUILTIN_MODELS",
    "DEMOTE_AFTER",
    "PREFERRED_MODELS",
    "Catalog",
    "ModelInfo",
    "ModelSelector",
    "Selection",
    "builtin_catalog",
    "catalog_cache_path",
    "fetch_catalog",
    "load_catalog",
    "parse_catalog",
]

DEMOTE_AFTER = 3
COMPLETION_RESERVE = 4096  # tokens kept free in the context for the answer
# The order in which models are tried when the configuration names none.
PREFERRED_MODELS = (
    "openai/gpt-4.1-mini",
    "anthropic/claude-sonnet-4",
    "google/gemini-2.5-flash",
    "deepseek/deepseek-chat-v3-0324:free",
    "meta-llama/llama-3.3-70b-instruct:free",
)
# Model id → context length, for offline use. Prices are deliberately absent.
BUILTIN_MODELS = {
    "openai/gpt-4.1-mini": 1_047_576,
    "anthropic/claude-sonnet-4": 1_000_000,
    "google/gemini-2.5-flash": 1_048_576,
    "deepseek/deepseek-chat-v3-0324:free": 163_840,
    "meta-llama/llama-3.3-70b-instruct:free": 65_536,
}


class ModelInfo(BaseModel):
    """One model of the catalog. Prices are USD per token; ``None`` when unknown."""

    model_config = ConfigDict(frozen=True)

    id: str
    context_length: int | None = None
    prompt_price: float | None = None
    completion_price: float | None = None

    @property
    def free(self) -> bool:
        return self.id.endswith(":free") or (self.prompt_price == 0 and self.completion_price == 0)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        if self.prompt_price is None or self.completion_price is None:
            return None
        return prompt_tokens * self.prompt_price + completion_tokens * self.completion_price

    def fits(self, prompt_tokens: int) -> bool:
        limit = self.context_length
        return limit is None or prompt_tokens + min(COMPLETION_RESERVE, limit // 4) <= limit

    def price_per_mtok(self) -> float | None:
        """The higher of the prompt and completion prices, in USD per million tokens."""
        if self.prompt_price is None or self.completion_price is None:
            return None
        return max(self.prompt_price, self.completion_price) * 1_000_000


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True)

    models: tuple[ModelInfo, ...] = ()
    source: Literal["api", "cache", "stale cache", "builtin"] = "builtin"
    fetched_at: float = 0.0

    def get(self, model_id: str) -> ModelInfo | None:
        return next((m for m in self.models if m.id == model_id), None)


def _price(value: Any) -> float | None:
    try:
        price = float(value)
    except (TypeError, ValueError):
        return None
    return price if price >= 0 else None  # OpenRouter uses -1 for "varies" (routers)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_catalog(document: Mapping[str, Any]) -> tuple[ModelInfo, ...]:
    """The models of a ``/models`` response (OpenRouter's or any OpenAI-compatible one)."""
    entries = document.get("data")
    if not isinstance(entries, list):
        raise ValueError("no 'data' list in the /models response")
    models = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        pricing = _mapping(entry.get("pricing"))
        context = entry.get("context_length")
        models.append(
            ModelInfo(
                id=entry["id"],
                context_length=context if isinstance(context, int) and context > 0 else None,
                prompt_price=_price(pricing.get("prompt")),
                completion_price=_price(pricing.get("completion")),
            )
        )
    return tuple(models)


def builtin_catalog() -> Catalog:
    models = tuple(ModelInfo(id=k, context_length=v) for k, v in BUILTIN_MODELS.items())
    return Catalog(models=models, source="builtin")


def catalog_cache_path(cache_dir: Path, api_base: str) -> Path:
    digest = hashlib.sha256(api_base.encode()).hexdigest()[:16]
    return cache_dir / f"models-{digest}.json"


def _read_cache(path: Path) -> Catalog | None:
    try:
        return Catalog.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_cache(path: Path, catalog: Catalog) -> None:
    """Atomic write; a cache that cannot be written is only a missed optimisation."""
    try:
        make_dirs(path.parent)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(catalog.model_dump_json(), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        return


async def _no_wait() -> None:
    return None


async def fetch_catalog(
    client: httpx.AsyncClient,
    api_base: str,
    headers: Mapping[str, str],
    timeout_s: float,
    before_request: Callable[[], Awaitable[None]] = _no_wait,
) -> tuple[ModelInfo, ...] | None:
    """The models listed by ``GET {api_base}/models``; None when there is no usable listing."""
    await before_request()
    try:
        response = await client.get(f"{api_base}/models", headers=dict(headers), timeout=timeout_s)
        if response.status_code != 200:
            return None
        return parse_catalog(response.json()) or None
    except (httpx.HTTPError, ValueError):
        return None


async def load_catalog(
    client: httpx.AsyncClient,
    api_base: str,
    headers: Mapping[str, str],
    *,
    cache_dir: Path,
    ttl_h: float,
    timeout_s: float,
    now: float | None = None,
    before_request: Callable[[], Awaitable[None]] = _no_wait,
) -> Catalog:
    """Fresh cache, else the API (then cached), else a stale cache, else the built-in list."""
    now = time.time() if now is None else now
    path = catalog_cache_path(cache_dir, api_base)
    cached = _read_cache(path)
    if cached is not None and now - cached.fetched_at < ttl_h * 3600:
        return cached.model_copy(update={"source": "cache"})
    models = await fetch_catalog(client, api_base, headers, timeout_s, before_request)
    if models:
        catalog = Catalog(models=models, source="api", fetched_at=now)
        _write_cache(path, catalog)
        return catalog
    if cached is not None:
        return cached.model_copy(update={"source": "stale cache"})
    return builtin_catalog()


class Selection(BaseModel):
    """The model for one request, why, and the models to fall back to."""

    model_config = ConfigDict(frozen=True)

    model: str
    reason: str
    fallbacks: tuple[str, ...] = ()


class ModelSelector:
    """Chooses the model of each request; remembers failures within one run."""

    def __init__(
        self,
        config: Config,
        catalog: Catalog | None = None,
        preferred: Sequence[str] = PREFERRED_MODELS,
    ) -> None:
        self.config = config
        self.catalog = catalog if catalog is not None else builtin_catalog()
        self.preferred = tuple(preferred)
        self._failures: dict[str, int] = {}
        self.demoted: set[str] = set()

    def report(self, model: str | None, ok: bool) -> None:
        """Record one outcome of ``model``; ``DEMOTE_AFTER`` failures in a row demote it."""
        if not model:
            return
        if ok:
            self._failures[model] = 0
            return
        self._failures[model] = self._failures.get(model, 0) + 1
        if self._failures[model] >= DEMOTE_AFTER:
            self.demoted.add(model)

    def select(self, prompt_tokens: int) -> Selection:
        if self.config.model:
            return self._configured(prompt_tokens)
        return self._from_catalog(prompt_tokens)

    def _info(self, model_id: str) -> ModelInfo:
        return self.catalog.get(model_id) or ModelInfo(id=model_id)

    def _configured(self, prompt_tokens: int) -> Selection:
        assert self.config.model is not None
        names = (self.config.model, *self.config.fallback_models)
        usable = [n for n in names if n not in self.demoted and self._info(n).fits(prompt_tokens)]
        if not usable:
            return Selection(
                model=names[0],
                reason=f"configured model {names[0]} (every configured model is demoted or "
                f"too small for ~{prompt_tokens} prompt tokens)",
                fallbacks=names[1:],
            )
        chosen = usable[0]
        if chosen == names[0]:
            reason = f"configured model ({self.config.source('model')})"
        else:
            skipped = ", ".join(n for n in names[: names.index(chosen)])
            reason = f"configured fallback; skipped {skipped} (demoted or context too small)"
        return Selection(model=chosen, reason=reason, fallbacks=tuple(usable[1:]))

    def _eligible(self, prompt_tokens: int) -> list[ModelInfo]:
        ceiling = self.config.max_price_per_mtok
        out = []
        for info in self.catalog.models:
            if info.id in self.demoted or not info.fits(prompt_tokens):
                continue
            if self.config.free_only and not info.free:
                continue
            price = info.price_per_mtok()
            if ceiling is not None and not info.free and (price is None or price > ceiling):
                continue
            out.append(info)
        return out

    def _ranked(self, eligible: list[ModelInfo]) -> list[ModelInfo]:
        rank = {m: i for i, m in enumerate(self.preferred)}
        preferred = sorted((m for m in eligible if m.id in rank), key=lambda m: rank[m.id])
        rest = [m for m in eligible if m.id not in rank]
        rest.sort(key=lambda m: (m.price_per_mtok() is None, m.price_per_mtok() or 0.0, m.id))
        return preferred + rest

    def _from_catalog(self, prompt_tokens: int) -> Selection:
        ranked = self._ranked(self._eligible(prompt_tokens))
        filters = self._filters_text(prompt_tokens)
        if not ranked:
            raise ConfigError(
                f"no model of the {self.catalog.source} catalog passes {filters}; set `model` "
                "(TTA_MODEL or --model) or relax free_only / max_price_per_mtok"
            )
        chosen = ranked[0]
        how = "preferred" if chosen.id in self.preferred else "cheapest"
        reason = f"{how} model of the {self.catalog.source} catalog that passes {filters}"
        return Selection(
            model=chosen.id, reason=reason, fallbacks=tuple(m.id for m in ranked[1:3])
        )

    def _filters_text(self, prompt_tokens: int) -> str:
        parts = [f"context for ~{prompt_tokens} prompt tokens"]
        if self.config.free_only:
            parts.append("free_only")
        if self.config.max_price_per_mtok is not None:
            parts.append(f"max ${self.config.max_price_per_mtok}/Mtok")
        if self.demoted:
            parts.append(f"not demoted ({', '.join(sorted(self.demoted))})")
        return ", ".join(parts)
