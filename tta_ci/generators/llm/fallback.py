"""Where a request goes after an upstream 429 on a free model (pure).

A short ``Retry-After`` (at most ``MAX_FREE_WAIT_S``) is waited once and the same model is asked
again. Moving on follows the selection's fallbacks (``fallback_models`` when configured), and
never from a free model to a paid one unless the configuration allows paid models: the paid
model is named in ``model``/``fallback_models``, or ``max_price_per_mtok`` sets a ceiling for
paid models.
"""

from __future__ import annotations

from collections.abc import Sequence

from tta_ci.core.config import Config
from tta_ci.core.errors import ProviderError
from tta_ci.generators.llm.catalog import Catalog, ModelInfo
from tta_ci.generators.llm.wire import UpstreamRateLimited

__all__ = ["MAX_FREE_WAIT_S", "free_wait", "is_free", "next_model", "upstream_free_429"]

MAX_FREE_WAIT_S = 10.0


def is_free(model: str, catalog: Catalog | None) -> bool:
    info = catalog.get(model) if catalog is not None else None
    return (info or ModelInfo(id=model)).free


def free_wait(exc: ProviderError) -> float | None:
    """Seconds to wait before asking the same free model again (None: do not wait)."""
    wait = exc.retry_after
    return wait if wait is not None and 0 <= wait <= MAX_FREE_WAIT_S else None


def _paid_allowed(config: Config, model: str) -> bool:
    named = model == config.model or model in config.fallback_models
    return not config.free_only and (named or bool(config.max_price_per_mtok))


def next_model(config: Config, catalog: Catalog | None, current: str,
               queue: Sequence[str]) -> tuple[str | None, list[str]]:
    """(the model to move to, the models left after it); None when no move is allowed."""
    left = list(queue)
    free_now = is_free(current, catalog)
    while left:
        model = left.pop(0)
        if not free_now or is_free(model, catalog) or _paid_allowed(config, model):
            return model, left
    return None, []


def upstream_free_429(exc: ProviderError, model: str) -> bool:
    """A 429 that the upstream provider of a ``:free`` model sent."""
    return isinstance(exc, UpstreamRateLimited) and model.endswith(":free")
