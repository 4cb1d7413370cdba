"""tta_ci.generators.llm.context: the class a method needs, and the ``Possible bug:`` line."""

from __future__ import annotations

import pytest

from tta_ci.core.types import Task
from tta_ci.generators.llm.context import (
    MAX_REASON,
    class_context,
    evidence_of,
    possible_bug_line,
    test_names,
)

MODULE = '''\
class Cart:
    """A shopping cart."""

    def __init__(self, owner):
        self.owner = owner
        self.items = []

    def add(self, price, quantity=1):
        self.items.append((price, quantity))

    def total(self):
        return sum(p * q for p, q in self.items)

    def clear(self):
        self.items = []

    def _audit(self):
        return len(self.items)
'''
TASK = Task(id="shop.py::Cart.total", file="shop.py", symbol="Cart.total", kind="method",
            changed_lines=(12,), test_file="tests/test_shop.py")


def test_a_method_gets_init_the_setup_methods_and_public_signatures() -> None:
    existing = "def test_add():\n    cart = Cart('me')\n    cart.add(2.0, 3)\n"
    text = class_context(MODULE, TASK, existing)
    assert text.startswith('class Cart:\n    """A shopping cart."""\n'
                           '    def __init__(self, owner):')
    assert "        self.items.append((price, quantity))" in text  # add: called by the tests
    assert "    def clear(self): ..." in text  # public, not called: its signature only
    assert "def total" not in text and "_audit" not in text


@pytest.mark.parametrize("task", [
    pytest.param(TASK.model_copy(update={"kind": "function", "symbol": "total"}), id="function"),
    pytest.param(TASK.model_copy(update={"symbol": "Missing.total"}), id="no-such-class"),
])
def test_no_class_context(task: Task) -> None:
    assert class_context(MODULE, task) == ""
    assert class_context("def (:", TASK) == ""


@pytest.mark.parametrize(("answer", "expected"), [
    pytest.param("Possible bug: the docstring says f(1) == 2", "Possible bug: the docstring says "
                 "f(1) == 2", id="plain"),
    pytest.param("**Possible bug:** `f(1)` is *documented* as 2\n",
                 "Possible bug: `f(1)` is *documented* as 2", id="as-written"),
    pytest.param("```python\n# Possible bug: inside the code\n```\n", None, id="inside-code"),
    pytest.param("I fixed the test.", None, id="none"),
    pytest.param("Possible bug:\n", None, id="empty"),
])
def test_possible_bug_line(answer: str, expected: str | None) -> None:
    assert possible_bug_line(answer) == expected


def test_possible_bug_line_is_one_capped_line() -> None:
    line = possible_bug_line("Possible bug: " + "x " * 400)
    assert line is not None and len(line) <= len("Possible bug: ") + MAX_REASON
    assert "\n" not in line and line.endswith("…")


def test_evidence_of_names_every_test_and_is_redacted() -> None:
    code = ("def test_a():\n    assert 1\n\n\nclass TestB:\n    def test_c(self):\n"
            "        assert 1\n\n    def helper(self):\n        pass\n")
    assert test_names(code) == ["test_a", "TestB::test_c"]
    answer = "Kept.\n\nPossible bug: doc says ghp_se_cret is fine"  # redacted
    assert evidence_of(answer, code, lambda t: t.replace("ghp_se_cret", "[secret]")) == {
        "test_a": "Possible bug: doc says [secret] is fine",
        "TestB::test_c": "Possible bug: doc says [secret] is fine"}
    assert evidence_of("Fixed.", code, str) == {}
