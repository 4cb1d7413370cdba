"""tta_ci.generators.openhands.prompt: what the agent is told, first and on a repair attempt."""

from __future__ import annotations

from pathlib import Path

from tta_ci.core.types import Candidate, Task
from tta_ci.generators.openhands.prompt import agent_prompt

TASK = Task(
    id="pkg/calc.py::add", file="pkg/calc.py", symbol="add", kind="function",
    changed_lines=(2, 3, 5), test_file="tests/test_calc.py", start_line=1, end_line=5,
    source="def add(a, b):\n    if a < 0:\n        return -1\n\n    return a + b\n",
    module="pkg.calc",
)


def test_openhands_prompt_names_target_lines_and_the_one_test_file() -> None:
    prompt = agent_prompt(TASK, Path("/w/repo"))
    assert "checked out at /w/repo." in prompt
    assert "Test file: /w/repo/tests/test_calc.py\n" in prompt
    assert "`add` (function) in `pkg/calc.py`" in prompt
    assert "changed lines (2-3, 5)" in prompt
    assert "    2 >>     if a < 0:" in prompt and "\n    4\n" in prompt
    assert "from pkg.calc import add" in prompt
    assert "do not create, modify or delete any other file" in prompt
    assert "repair attempt" not in prompt


def test_openhands_repair_prompt_carries_the_feedback_and_previous_file() -> None:
    previous = Candidate(code="def test_old():\n    assert add(1, 1) == 3\n", generator="openhands")
    prompt = agent_prompt(TASK, Path("/w/repo"), previous=previous,
                          feedback="test_old: AssertionError: assert 2 == 3")
    assert "repair attempt" in prompt
    assert "assert add(1, 1) == 3" in prompt
    assert "AssertionError: assert 2 == 3" in prompt
