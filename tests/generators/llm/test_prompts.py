"""tta_ci.generators.llm.prompts: the first and the repair messages, and the code taken out of
an answer."""

from __future__ import annotations

import pytest

from tta_ci.core.errors import BadResponse
from tta_ci.core.types import Task
from tta_ci.generators.llm.prompts import (
    SYSTEM_PROMPT,
    build_messages,
    callee_signatures,
    estimate_tokens,
    extract_code,
    import_line,
    mark_changed_lines,
    repair_message,
    trim_lines,
)

MODULE = '''\
import math
from decimal import Decimal


def _round(value: float, places: int = 2) -> float:
    """Round half away from zero."""
    return float(Decimal(value).quantize(Decimal(10) ** -places))


class Rate:
    """A tax rate."""


def unused(x): ...


def price(amount: float, tax: float) -> float:
    total = amount * (1 + tax)
    if total < 0:
        raise ValueError("negative")
    return _round(math.fsum([total]))
'''
SOURCE = MODULE[MODULE.index("def price") :]


def _task(**overrides: object) -> Task:
    values: dict[str, object] = {
        "id": "shop/pricing.py::price",
        "file": "shop/pricing.py",
        "symbol": "price",
        "kind": "function",
        "changed_lines": (19, 20, 22),
        "test_file": "tests/test_pricing.py",
        "start_line": 17,
        "end_line": 21,
        "source": SOURCE,
        "imports": "import math\nfrom decimal import Decimal",
        "module": "shop.pricing",
    }
    values.update(overrides)
    return Task.model_validate(values)


def test_changed_lines_are_numbered_and_marked() -> None:
    text = mark_changed_lines("a = 1\nb = 2\nc = 3\n", 10, [11])
    assert text.splitlines() == ["   10    a = 1", "   11 >> b = 2", "   12    c = 3"]


def test_callee_signatures_lists_only_what_the_symbol_calls() -> None:
    text = callee_signatures(MODULE, SOURCE)
    assert "def _round(value: float, places: int=2) -> float: ...  # Round half" in text
    assert "unused" not in text and "class Rate" not in text


def test_callee_signatures_of_unparsable_source_is_empty() -> None:
    assert callee_signatures("def (:", SOURCE) == ""


def test_first_prompt_holds_source_imports_signatures_path_and_import_line() -> None:
    system, user = build_messages(_task(), module_source=MODULE, existing_tests="")
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    text = user["content"]
    assert "   19 >>     if total < 0:" in text
    assert "   18        total = amount * (1 + tax)" in text
    assert "(19-20, 22)" in text
    assert "from decimal import Decimal" in text
    assert "def _round(" in text
    assert "`tests/test_pricing.py`" in text
    assert "from shop.pricing import price" in text
    assert "Existing tests" not in text


def test_the_prompt_states_the_goal_and_shows_the_version_before_the_change() -> None:
    assert "Goal: pin the changed behaviour, including its boundaries" in SYSTEM_PROMPT
    assert "fail if the\nchange were reverted or broken" in SYSTEM_PROMPT
    base = SOURCE.replace("    if total < 0:\n        raise ValueError(\"negative\")\n", "")
    _, user = build_messages(_task(base_source=base), module_source=MODULE)
    text = user["content"]
    assert "Before the change (tests should fail on this version):" in text
    assert text.index("Before the change") > text.index("Source:")
    _, same = build_messages(_task(base_source=SOURCE), module_source=MODULE)
    assert "Before the change" not in same["content"]


def test_a_method_prompt_shows_its_class() -> None:
    module = "class Rate:\n    def __init__(self, pct):\n        self.pct = pct\n\n" \
             "    def apply(self, x):\n        return x * self.pct\n"
    task = _task(symbol="Rate.apply", kind="method", source=module.split("\n\n")[1],
                 start_line=5, end_line=6, changed_lines=(6,))
    _, user = build_messages(task, module_source=module)
    assert "The class (how to build an instance" in user["content"]
    assert "    def __init__(self, pct):\n        self.pct = pct" in user["content"]


def test_the_repair_turn_asks_to_fix_or_keep_with_a_possible_bug_line() -> None:
    text = repair_message("### test_x: failed\nE  assert 25.0 == 20.0")["content"]
    assert "exactly one choice: fix the test" in text
    assert "starts with `Possible bug:` followed by the documented behaviour" in text
    assert "E  assert 25.0 == 20.0" in text


def test_existing_tests_are_trimmed_to_the_budget() -> None:
    tests = "\n".join(f"def test_{i}():\n    assert price({i}, 0) == {i}\n" for i in range(2000))
    _, user = build_messages(_task(), existing_tests=tests, budget_tokens=1500)
    text = user["content"]
    assert "Existing tests in `tests/test_pricing.py`" in text
    assert "def test_0():" in text and "def test_1999():" not in text
    assert "lines trimmed" in text
    assert estimate_tokens(text) < 1600


def test_existing_tests_dropped_when_the_source_fills_the_budget() -> None:
    _, user = build_messages(_task(), existing_tests="def test_a(): pass", budget_tokens=10)
    assert "Existing tests" not in user["content"]


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        pytest.param("price", "from shop.pricing import price", id="function"),
        pytest.param("Cart.total", "from shop.pricing import Cart", id="method"),
        pytest.param("<module>", "import shop.pricing", id="module"),
    ],
)
def test_import_line(symbol: str, expected: str) -> None:
    assert import_line(_task(symbol=symbol)) == expected


def test_repair_message_keeps_head_and_tail_of_long_feedback() -> None:
    feedback = "\n".join(["FAILED test_x"] + [f"line {i}" for i in range(5000)] + ["E   boom"])
    message = repair_message(feedback, budget_tokens=200)
    assert message["role"] == "user"
    assert "FAILED test_x" in message["content"] and "E   boom" in message["content"]
    assert "lines trimmed" in message["content"]
    assert estimate_tokens(message["content"]) < 400


def test_trim_lines_leaves_short_text_alone() -> None:
    assert trim_lines("a\nb", 100) == "a\nb"


CODE = "def test_x():\n    assert 1 + 1 == 2\n"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(f"```python\n{CODE}```", id="bare"),
        pytest.param(f"Sure! Here it is:\n\n```python\n{CODE}```\n\nHope it helps.", id="prose"),
        pytest.param(f"```py\n{CODE}```", id="py-tag"),
        pytest.param(f"```\n{CODE}```", id="no-tag"),
    ],
)
def test_extract_code_accepts_one_python_block(answer: str) -> None:
    assert extract_code(answer) == CODE


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        pytest.param("def test_x():\n    assert True\n", "no fenced", id="no-block"),
        pytest.param(f"```python\n{CODE}```\n```python\n{CODE}```", "2 code blocks", id="two"),
        pytest.param(f"```python\n{CODE}", "unclosed", id="truncated"),
        pytest.param("```bash\nrm -rf /\n```", "'bash', not python", id="bash"),
        pytest.param("```python\n\n```", "empty", id="empty"),
    ],
)
def test_extract_code_rejects_anything_else_with_a_reason(answer: str, reason: str) -> None:
    with pytest.raises(BadResponse, match=reason):
        extract_code(answer)
