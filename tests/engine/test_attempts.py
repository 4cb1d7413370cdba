"""tta_ci.engine.attempts: one task through generate → validate → repair, with its retries."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator, Mapping

import pytest

from tta_ci.core.config import Config
from tta_ci.core.errors import AuthError, BadResponse, ProviderUnavailable, RateLimited, SkipTask
from tta_ci.core.types import (
    LLMCall,
    MutationScore,
    PossibleBug,
    Task,
    TaskStatus,
    TestVerdict,
    Verdict,
)
from tta_ci.engine.attempts import Attempts, TaskResult, _note_bugs, _Progress
from tta_ci.engine.fake import FakeGenerator, FakeValidator
from tta_ci.generators.base import GenerationRequest
from tta_ci.generators.llm.wire import UnusableAnswer

TASK = Task(id="m.py::f", file="m.py", symbol="f", kind="function", changed_lines=(1, 2),
            test_file="tests/test_m.py")


class Run:
    """An ``Attempts`` with its sleeps and calls recorded."""

    def __init__(self, generator: object, validator: object | None = None,
                 stop: Iterator[bool] | None = None, **config: object) -> None:
        self.sleeps: list[float] = []
        self.calls: list[LLMCall] = []
        self.limits = 0

        async def sleep(delay: float) -> None:
            self.sleeps.append(delay)

        async def limit() -> None:
            self.limits += 1

        self.attempts = Attempts(
            Config(**config), generator, validator or FakeValidator(),  # type: ignore[arg-type]
            rate_limit=limit, on_call=self.calls.append,
            should_stop_repairs=(lambda: next(stop)) if stop else (lambda: False),
            sleep=sleep, rng=random.Random(3))
        self.progress = _Progress()

    def __call__(self) -> tuple[str, str]:
        return asyncio.run(self.attempts.run(TASK, self.progress))


def test_accepted_at_once() -> None:
    run = Run(FakeGenerator())
    assert run() == ("accepted", "accepted")
    assert (run.progress.attempts, run.progress.retries, run.limits) == (1, 0, 1)
    assert [c.model for c in run.calls] == ["fake/model"]


def test_rejected_after_every_attempt_with_the_feedback_passed_on() -> None:
    seen: list[GenerationRequest] = []

    class Recording(FakeGenerator):
        async def generate(self, request: GenerationRequest):  # type: ignore[no-untyped-def]
            seen.append(request)
            return await super().generate(request)

    run = Run(Recording(), FakeValidator(accept=lambda task, code: False), max_attempts=3)
    assert run() == ("rejected", "failed")
    assert [r.attempt for r in seen] == [1, 2, 3]
    assert seen[1].feedback == "AssertionError: the test failed"
    assert seen[1].previous is not None and seen[1].previous.code.startswith("def test_1")


def test_a_spent_budget_ends_the_repairs() -> None:
    run = Run(FakeGenerator(), FakeValidator(accept=lambda task, code: False),
              stop=iter([True]), max_attempts=3)
    assert run()[0] == "rejected"
    assert run.progress.attempts == 1


def test_retry_after_is_honoured_and_capped() -> None:
    gen = FakeGenerator(failures={TASK.id: [RateLimited("429", retry_after=2.0),
                                            RateLimited("429", retry_after=9999.0)]})
    run = Run(gen)
    assert run()[0] == "accepted"
    assert run.sleeps == [2.0, 300.0] and run.progress.retries == 2


def test_seeded_backoff_stays_under_the_exponential_ceiling() -> None:
    failures = [ProviderUnavailable("503") for _ in range(4)]
    run = Run(FakeGenerator(failures={TASK.id: failures}), max_retries=4)
    assert run()[0] == "accepted"
    assert len(run.sleeps) == 4
    assert all(0 <= delay <= 2**n for n, delay in enumerate(run.sleeps))


@pytest.mark.parametrize(
    ("error", "max_retries"),
    [
        pytest.param(AuthError("401"), 3, id="not-retryable"),
        pytest.param(ProviderUnavailable("503"), 0, id="no-retries-allowed"),
    ],
)
def test_errors_that_are_not_retried_escape(error: Exception, max_retries: int) -> None:
    run = Run(FakeGenerator(failures={TASK.id: [error]}), max_retries=max_retries)
    with pytest.raises(type(error)):
        run()
    assert run.sleeps == []


def test_an_unusable_answer_is_still_counted() -> None:
    spent = LLMCall(model="m/x", prompt_tokens=80, completion_tokens=7, cost_usd=0.01)
    gen = FakeGenerator(failures={TASK.id: [UnusableAnswer("no code", call=spent),
                                            BadResponse("empty", model="m/y")]})
    run = Run(gen)
    assert run()[0] == "accepted"
    assert [(c.model, c.ok, c.cost_usd) for c in run.calls] == [
        ("m/x", False, 0.01), ("m/y", False, 0.0), ("fake/model", True, 0.001)]


def test_skip_on_a_first_attempt_escapes_and_on_a_repair_ends_the_loop() -> None:
    run = Run(FakeGenerator(failures={TASK.id: [SkipTask("nothing to offer")]}))
    with pytest.raises(SkipTask):
        run()

    class SkipsRepairs(FakeGenerator):
        async def generate(self, request: GenerationRequest):  # type: ignore[no-untyped-def]
            if request.attempt > 1:
                raise SkipTask("nothing new")
            return await super().generate(request)

    run = Run(SkipsRepairs(), FakeValidator(accept=lambda task, code: False), max_attempts=3)
    assert run() == ("rejected", "failed")
    assert run.progress.attempts == 2


def test_a_possible_bug_outranks_a_rejection() -> None:
    bug = PossibleBug(test="test_f", message="f(0) raised ZeroDivisionError")

    class Buggy(FakeValidator):
        async def validate(self, task: Task, code: str,
                       evidence: Mapping[str, str] | None = None) -> Verdict:
            return Verdict(accepted=False, reason="failed", possible_bugs=(bug,))

    run = Run(FakeGenerator(), Buggy(), max_attempts=2)
    assert run() == ("possible_bug", "possible bug: f(0) raised ZeroDivisionError")
    assert list(run.progress.bugs) == ["test_f"]
    assert run.progress.attempts == 1  # an evidenced bug ends the repairs


def test_a_test_the_model_corrects_is_no_longer_a_possible_bug() -> None:
    """The evidence travels from the candidate to the validator; a later passing version of
    the same test drops the bug."""
    bug = PossibleBug(test="test_f", message="assert 1 == 2", reason="Possible bug: doc says 2")
    given: list[Mapping[str, str] | None] = []

    class Generator(FakeGenerator):
        async def generate(self, request: GenerationRequest):  # type: ignore[no-untyped-def]
            candidate = await super().generate(request)
            evidence = {"test_f": "Possible bug: doc says 2"} if request.attempt == 1 else {}
            return candidate.model_copy(update={"evidence": evidence,
                                                "code": f"# {request.attempt}\n"})

    class Validator(FakeValidator):
        async def validate(self, task: Task, code: str,
                           evidence: Mapping[str, str] | None = None) -> Verdict:
            given.append(evidence)
            if evidence:
                return Verdict(accepted=False, reason="possible bug", possible_bugs=(bug,),
                               tests={"test_f": TestVerdict(status="possible_bug",
                                                            reason="possible bug")})
            return Verdict(accepted=True, reason="accepted",
                           tests={"test_f": TestVerdict(status="accepted", reason="accepted")})

    bugs: dict[str, PossibleBug] = {"test_f": bug}
    _note_bugs(bugs, asyncio.run(Validator().validate(TASK, "", {})))
    assert bugs == {}
    given.clear()
    run = Run(Generator(), Validator(), max_attempts=2)
    assert run() == ("possible_bug", "Possible bug: doc says 2")
    assert given == [{"test_f": "Possible bug: doc says 2"}]


def test_a_change_the_existing_tests_pin_is_skipped_before_any_generation() -> None:
    pinned = Verdict(accepted=False, reason="already pinned by your tests",
                     mutation=MutationScore(tried=3, killed_by_existing=3))

    class Pinned(FakeValidator):
        async def pinned(self, task: Task) -> Verdict | None:
            return pinned

    generator = FakeGenerator()
    run = Run(generator, Pinned())
    with pytest.raises(SkipTask, match="already pinned by your tests"):
        run()
    assert run.progress.verdict == pinned and run.progress.attempts == 0 and run.calls == []


def test_requests_the_generator_sent_again_count_as_retries() -> None:
    class Moved(FakeGenerator):
        async def generate(self, request: GenerationRequest):  # type: ignore[no-untyped-def]
            candidate = await super().generate(request)
            return candidate.model_copy(update={"calls": (
                LLMCall(model="a:free", ok=False), LLMCall(model="a:free", ok=False),
                *candidate.calls)})

    run = Run(Moved())
    assert run()[0] == "accepted"
    assert run.progress.retries == 2 and len(run.calls) == 3


def test_accepted_code_only_for_an_accepted_result() -> None:
    verdict = Verdict(accepted=True, reason="accepted", code="def test_f(): pass\n")
    done = TaskResult(task_id="t", status=TaskStatus.COMPLETED, outcome="accepted",
                      verdict=verdict)
    assert done.accepted_code == "def test_f(): pass\n"
    assert done.model_copy(update={"outcome": "rejected"}).accepted_code is None
    assert TaskResult(task_id="t", status=TaskStatus.FAILED, outcome="failed").accepted_code is None
