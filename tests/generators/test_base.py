"""tta_ci.generators.base: the request every backend is given."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from tta_ci.core.types import Candidate, Task
from tta_ci.generators.base import GenerationRequest, no_rate_limit

TASK = Task(id="m.py::f", file="m.py", symbol="f", kind="function", changed_lines=(1,),
            test_file="tests/test_m.py")


def test_a_first_request_has_no_feedback_and_no_rate_limit() -> None:
    request = GenerationRequest(TASK)
    assert (request.attempt, request.previous, request.feedback) == (1, None, None)
    assert request.rate_limit is no_rate_limit
    assert asyncio.run(request.rate_limit()) is None


def test_a_repair_request_carries_the_rejected_candidate() -> None:
    previous = Candidate(code="def test_f(): assert 0\n", generator="fake")
    request = GenerationRequest(TASK, 2, previous, "assert 0")
    assert (request.attempt, request.previous, request.feedback) == (2, previous, "assert 0")
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.attempt = 3  # type: ignore[misc]
