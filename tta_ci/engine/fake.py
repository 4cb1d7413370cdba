"""A fake generator and validator for tests and benchmarks (not reachable from the CLI).

The generator sleeps a configurable latency, reports configurable tokens and cost, and can be
told to fail: ``failures`` maps a task id to a list of exceptions raised on its first calls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tta_ci.core.types import Candidate, LLMCall, Task, Verdict
from tta_ci.generators.base import GenerationRequest

__all__ = ["FakeGenerator", "FakeValidator"]


@dataclass
class FakeGenerator:
    latency_s: float = 0.0
    model: str = "fake/model"
    prompt_tokens: int = 100
    completion_tokens: int = 50
    cost_usd: float = 0.001
    failures: dict[str, list[BaseException]] = field(default_factory=dict)
    code: Callable[[GenerationRequest], str] = lambda r: f"def test_{r.attempt}():\n    assert 1\n"
    name: str = "fake"
    provider: str = "fake"
    calls: list[tuple[str, float]] = field(default_factory=list)  # (task id, start time)

    async def generate(self, request: GenerationRequest) -> Candidate:
        await request.rate_limit()
        self.calls.append((request.task.id, time.monotonic()))
        pending = self.failures.get(request.task.id)
        if pending:
            raise pending.pop(0)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        call = LLMCall(
            model=self.model,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost_usd=self.cost_usd,
            latency_s=self.latency_s,
        )
        return Candidate(
            code=self.code(request), generator=self.name, model=self.model, calls=(call,)
        )

    async def aclose(self) -> None:
        return None


@dataclass
class FakeValidator:
    """Accepts a candidate when ``accept(task, code)`` says so (default: always)."""

    accept: Callable[[Task, str], bool] = lambda task, code: True
    seen: list[str] = field(default_factory=list)

    async def validate(self, task: Task, code: str,
                       evidence: Mapping[str, str] | None = None) -> Verdict:
        self.seen.append(code)
        ok = self.accept(task, code)
        return Verdict(
            accepted=ok,
            reason="accepted" if ok else "failed",
            code=code if ok else None,
            feedback="" if ok else "AssertionError: the test failed",
            covered_lines=task.changed_lines if ok else (),
            isolation="none",
        )
