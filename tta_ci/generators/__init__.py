"""Generator backends, registered by name. ``make_generator`` builds one from the config."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tta_ci.core.errors import ConfigError
from tta_ci.generators.base import GenerationRequest, Generator

if TYPE_CHECKING:
    from tta_ci.core.config import Config

__all__ = ["GENERATORS", "GenerationRequest", "Generator", "choose_backend", "make_generator"]

# name → "module:factory"; a factory is
#   factory(config, environ, *, repo: Path, ref: str | None = None, base: str | None = None,
#           **options) -> Generator
# where ``ref`` is the commit under test (None: the working tree) and ``base`` the commit it
# is compared with (None: no base; the offline backend then observes the head only).
# Modules are imported on use, so that an optional backend costs nothing when unused.
GENERATORS: dict[str, str] = {
    "offline": "tta_ci.generators.offline.generator:make",
    "openrouter": "tta_ci.generators.llm.chat:make",
    "openhands": "tta_ci.generators.openhands.generator:make",
}


def make_generator(
    name: str,
    config: Config,
    environ: Mapping[str, str],
    *,
    repo: Path,
    **options: Any,
) -> Generator:
    try:
        target = GENERATORS[name]
    except KeyError:
        raise ConfigError(
            f"unknown backend {name!r} (allowed: {', '.join(sorted(GENERATORS))})"
        ) from None
    module_name, _, factory_name = target.partition(":")
    module = importlib.import_module(module_name)
    generator: Generator = getattr(module, factory_name)(config, environ, repo=repo, **options)
    return generator


def choose_backend(config: Config, environ: Mapping[str, str]) -> tuple[str, str]:
    """The backend to use and why: ``auto`` means OpenRouter with a key, offline without."""
    if config.backend != "auto":
        return config.backend, f"backend {config.backend!r} from {config.source('backend')}"
    if environ.get(config.api_key_env):
        return "openrouter", f"backend auto: {config.api_key_env} is set"
    return "offline", f"backend auto: {config.api_key_env} is not set, so no LLM is used"
