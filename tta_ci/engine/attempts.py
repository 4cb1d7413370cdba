"""One task, start to end: generate → validate → repair, with retries and a timeout.

The result is a ``TaskResult`` whatever happens; only cancellation escapes.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from tta_ci.core import progress as report
from tta_ci.core.config import Config
from tta_ci.core.errors import ProviderError, SkipTask
from tta_ci.core.types import Candidate, LLMCall, Outcome, PossibleBug, Task, TaskStatus, Verdict
from tta_ci.generators.base import GenerationRequest, Generator

__all__ = ["Attempts", "TaskResult", "Validator"]

log = logging.getLogger("tta_ci.engine")

MAX_RETRY_AFTER_S = 300.0
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0


class Validator(Protocol):
    async def validate(self, task: Task, code: str,
                       evidence: Mapping[str, str] | None = None) -> Verdict: ...


PinnedCheck = Callable[[Task], Awaitable[Verdict | None]]


class TaskResult(BaseModel):
    """What became of one submitted task."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    status: TaskStatus
    outcome: Outcome
    reason: str = ""
    task: Task | None = None
    candidate: Candidate | None = None  # the last candidate generated
    verdict: Verdict | None = None  # the validator's judgement of it
    attempts: int = 0
    retries: int = 0
    calls: tuple[LLMCall, ...] = ()
    possible_bugs: tuple[PossibleBug, ...] = ()
    cached: bool = False
    started_s: float = 0.0
    finished_s: float = 0.0

    @property
    def accepted_code(self) -> str | None:
        if self.outcome == "accepted" and self.verdict is not None:
            return self.verdict.code
        return None


@dataclass
class _Progress:
    attempts: int = 0
    retries: int = 0
    calls: list[LLMCall] = field(default_factory=list)
    candidate: Candidate | None = None
    verdict: Verdict | None = None
    bugs: dict[str, PossibleBug] = field(default_factory=dict)


def _normalise(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


@dataclass
class Attempts:
    """Runs tasks through one generator and one validator; shared by all workers.

    ``rate_limit`` is awaited before every provider request, ``on_call`` sees every measured
    request, and ``should_stop_repairs`` ends a repair loop once a budget is spent.
    """

    config: Config
    generator: Generator
    validator: Validator
    rate_limit: Callable[[], Awaitable[None]]
    on_call: Callable[[LLMCall], None]
    should_stop_repairs: Callable[[], bool]
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random | None = None
    _jitter: Callable[[RetryCallState], float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._jitter = (
            _SeededJitter(self.rng)
            if self.rng is not None
            else wait_random_exponential(multiplier=BACKOFF_BASE_S, max=BACKOFF_CAP_S)
        )

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return float(min(max(retry_after, 0.0), MAX_RETRY_AFTER_S))
        return float(self._jitter(state))

    async def _generate(self, request: GenerationRequest, progress: _Progress) -> Candidate:
        """One generator call; retryable errors go to the backoff loop (the slow path)."""
        try:
            candidate = await self._call(request, progress)
        except ProviderError as exc:
            if not exc.retryable or self.config.max_retries == 0:
                raise
            candidate = await self._retry(request, progress, exc)
        for call in candidate.calls:
            self._record_call(progress, call)
        # requests the generator itself sent again (a rate-limited model waited for or left)
        progress.retries += sum(not c.ok for c in candidate.calls)
        return candidate

    async def _call(self, request: GenerationRequest, progress: _Progress) -> Candidate:
        try:
            return await self.generator.generate(request)
        except ProviderError as exc:
            # an unusable answer is still billed: the error may carry the measured call
            call = getattr(exc, "call", None)
            if isinstance(call, LLMCall):
                self._record_call(progress, call.model_copy(update={"ok": False}))
            elif exc.model:
                self._record_call(progress, LLMCall(model=exc.model, ok=False))
            raise

    async def _retry(
        self, request: GenerationRequest, progress: _Progress, first: ProviderError
    ) -> Candidate:
        def count_retry(state: RetryCallState) -> None:
            progress.retries += 1
            exc = state.outcome.exception() if state.outcome else first
            log.info("retrying %s after %s", request.task.id, exc)

        pending: list[ProviderError] = [first]  # the failure of attempt 1, already made
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.max_retries + 1),
            retry=retry_if_exception(_retryable),
            wait=self._wait,
            sleep=self.sleep,
            before_sleep=count_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if pending:
                    raise pending.pop()
                candidate = await self._call(request, progress)
        return candidate

    def _record_call(self, progress: _Progress, call: LLMCall) -> None:
        progress.calls.append(call)
        self.on_call(call)

    async def _pinned(self, task: Task, progress: _Progress) -> None:
        """Ends the task as skipped when the existing tests already pin the change."""
        check: PinnedCheck | None = getattr(self.validator, "pinned", None)
        verdict = await check(task) if check is not None else None
        if verdict is not None:
            progress.verdict = verdict
            raise SkipTask(verdict.reason)

    async def run(self, task: Task, progress: _Progress) -> tuple[Outcome, str]:
        """The repair loop. Returns the outcome and its reason."""
        await self._pinned(task, progress)
        seen: dict[str, Verdict] = {}
        previous: Candidate | None = None
        feedback: str | None = None
        for attempt in range(1, self.config.max_attempts + 1):
            progress.attempts = attempt
            report.stage("generating" if attempt == 1 else
                         f"repairing (attempt {attempt}/{self.config.max_attempts})")
            request = GenerationRequest(task, attempt, previous, feedback, self.rate_limit)
            try:
                candidate = await self._generate(request, progress)
            except SkipTask:
                if previous is None:
                    raise
                break  # the generator has nothing more to try
            key = _normalise(candidate.code) + "\0" + repr(sorted(candidate.evidence.items()))
            verdict = seen.get(key)
            if verdict is None:
                report.stage("validating")
                verdict = seen[key] = await self.validator.validate(
                    task, candidate.code, candidate.evidence)
            progress.candidate, progress.verdict = candidate, verdict
            _note_bugs(progress.bugs, verdict)
            if verdict.accepted:
                return "accepted", verdict.reason or "accepted"
            if verdict.possible_bugs:
                break  # an expectation the project states, kept: a result, not a guess to fix
            previous, feedback = candidate, verdict.feedback or verdict.reason
            if self.should_stop_repairs():
                break
        last = progress.verdict.reason if progress.verdict else "no candidate"
        if progress.bugs:
            bug = next(iter(progress.bugs.values()))
            said = bug.reason or bug.message
            return "possible_bug", said if said.lower().startswith("possible bug") else (
                f"possible bug: {said}")
        return "rejected", last


def _note_bugs(bugs: dict[str, PossibleBug], verdict: Verdict) -> None:
    """Possible bugs of the latest verdict; one that a later answer fixed (the test passes
    now) is dropped: a corrected answer is never a possible bug."""
    for name, test in verdict.tests.items():
        if test.status == "accepted":
            bugs.pop(name, None)
    for bug in verdict.possible_bugs:
        bugs[bug.test] = bug


class _SeededJitter:
    """Full jitter from a seeded generator (tests)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def __call__(self, state: RetryCallState) -> float:
        exp = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (state.attempt_number - 1))
        return self._rng.uniform(0, exp)
