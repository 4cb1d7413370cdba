"""tta_ci.engine.fake: the fake generator and validator that the engine's tests and the
benchmarks drive."""

from __future__ import annotations

import asyncio

import pytest

from tta_ci.core.errors import RateLimited
from tta_ci.core.types import Task
from tta_ci.engine.fake import FakeGenerator, FakeValidator
from tta_ci.generators.base import GenerationRequest

TASK = Task(id="m.py::f", file="m.py", symbol="f", kind="function", changed_lines=(3, 4),
            test_file="tests/test_m.py")


def test_generator_reports_its_usage_and_code_per_attempt() -> None:
    gen = FakeGenerator(prompt_tokens=7, completion_tokens=3, cost_usd=0.5, model="x/y")
    candidate = asyncio.run(gen.generate(GenerationRequest(TASK, attempt=2)))
    assert candidate.code == "def test_2():\n    assert 1\n"
    assert (candidate.generator, candidate.model) == ("fake", "x/y")
    (call,) = candidate.calls
    assert (call.prompt_tokens, call.completion_tokens, call.cost_usd) == (7, 3, 0.5)
    assert [task_id for task_id, _ in gen.calls] == ["m.py::f"]


def test_generator_raises_the_scripted_failures_first() -> None:
    gen = FakeGenerator(failures={TASK.id: [RateLimited("429")]})
    with pytest.raises(RateLimited):
        asyncio.run(gen.generate(GenerationRequest(TASK)))
    assert asyncio.run(gen.generate(GenerationRequest(TASK))).code.startswith("def test_1")
    assert len(gen.calls) == 2


def test_validator_accepts_as_told() -> None:
    validator = FakeValidator(accept=lambda task, code: "good" in code)
    good = asyncio.run(validator.validate(TASK, "def test_good(): pass\n"))
    bad = asyncio.run(validator.validate(TASK, "def test_bad(): pass\n"))
    assert (good.accepted, good.code, good.covered_lines) == (True, "def test_good(): pass\n",
                                                              (3, 4))
    assert (bad.accepted, bad.code, bad.covered_lines, bad.reason) == (False, None, (), "failed")
    assert bad.feedback and validator.seen == ["def test_good(): pass\n", "def test_bad(): pass\n"]
