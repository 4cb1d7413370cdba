"""Generator backends, registered by name. ``make_generator`` builds one from the config;
``precheck_for`` gives a backend's plan-time check, so that ``tta-ci plan`` lists the tasks
the backend would skip, and the run never queues them."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tta_ci.core.errors import ConfigError
from tta_ci.core.types import Precheck, Skip, Task
from tta_ci.generators.base import GenerationRequest, Generator

if TYPE_CHECKING:
    from tta_ci.core.config import Config

__all__ = [
    "GENERATORS",
    "PRECHECKS",
    "GenerationRequest",
    "Generator",
    "Precheck",
    "choose_backend",
    "make_generator",
    "precheck_for",
]

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

# name → "module:function"; function(task) -> the reason the backend would skip the task, or
# None. Optional: a backend without an entry is asked about each task when it runs it.
PRECHECKS: dict[str, str] = {
    "offline": "tta_ci.generators.offline.planner:offline_skip_reason",
}


def _load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


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
    generator: Generator = _load(target)(config, environ, repo=repo, **options)
    return generator


def precheck_for(backend: str) -> Precheck | None:
    """The plan-time check of ``backend``: a task → its ``Skip`` (naming the backend), or None
    when the backend would try it. None for a backend without a check."""
    target = PRECHECKS.get(backend)
    if target is None:
        return None
    reason_of: Callable[[Task], str | None] = _load(target)

    def check(task: Task) -> Skip | None:
        reason = reason_of(task)
        if reason is None:
            return None
        return Skip(file=task.file, symbol=task.symbol, reason=reason, backend=backend)

    return check


def choose_backend(config: Config, environ: Mapping[str, str]) -> tuple[str, str]:
    """The backend to use and why: ``auto`` means OpenRouter with a key, offline without."""
    if config.backend != "auto":
        return config.backend, f"backend {config.backend!r} from {config.source('backend')}"
    if environ.get(config.api_key_env):
        return "openrouter", f"backend auto: {config.api_key_env} is set"
    return "offline", f"backend auto: {config.api_key_env} is not set, so no LLM is used"
