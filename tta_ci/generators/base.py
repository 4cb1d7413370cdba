"""The ``Generator`` seam: every backend turns a task (and feedback) into a candidate test file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from tta_ci.core.types import Candidate, Task

__all__ = ["GenerationRequest", "Generator", "no_rate_limit"]


async def no_rate_limit() -> None:
    return None


@dataclass(frozen=True)
class GenerationRequest:
    """What a generator is asked for.

    ``attempt`` counts from 1. On a repair attempt, ``previous`` is the candidate that the
    validator rejected and ``feedback`` the trimmed reason (failure output, uncovered lines).
    ``rate_limit`` must be awaited before every request the generator sends to its provider.
    """

    task: Task
    attempt: int = 1
    previous: Candidate | None = None
    feedback: str | None = None
    rate_limit: Callable[[], Awaitable[None]] = field(default=no_rate_limit)


class Generator(Protocol):
    """A test-generation backend.

    ``generate`` raises ``SkipTask`` when it has nothing to offer for the task, and a
    ``ProviderError`` (retryable or not) when its provider fails.
    """

    name: str
    provider: str  # the rate-limit key: requests to one provider share one limit

    async def generate(self, request: GenerationRequest) -> Candidate: ...

    async def aclose(self) -> None: ...
