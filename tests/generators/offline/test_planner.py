"""tta_ci.generators.offline.planner: the plan-time check and the head side's request."""

from __future__ import annotations

import pytest

from tta_ci.core.types import Task
from tta_ci.generators.offline.planner import offline_skip_reason, probe_request

SOURCE = '''\
def shipping_cost(total: int) -> int:
    """The shipping cost.

    >>> shipping_cost(1200)
    495
    """
    if total >= FREE_FROM:
        return 0
    return 495
'''


def _task(**fields: object) -> Task:
    values: dict[str, object] = {
        "id": "shop/pricing.py::shipping_cost", "file": "shop/pricing.py",
        "symbol": "shipping_cost", "kind": "function", "changed_lines": (17,),
        "test_file": "tests/test_pricing.py", "start_line": 11, "end_line": 19,
        "source": SOURCE, "module": "shop.pricing",
        "base_source": SOURCE.replace(">= FREE_FROM", "> FREE_FROM"),
    }
    values.update(fields)
    return Task(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fields", "reason"), [
    pytest.param({"kind": "class", "symbol": "Cart"}, "Cart is a class body", id="class"),
    pytest.param({"kind": "module", "symbol": "<module>"}, "module-level code", id="module"),
    pytest.param({"module": ""}, "not an importable module", id="no module"),
    pytest.param({"symbol": "missing"}, "missing not found in its source", id="not found"),
    pytest.param({"source": "async def shipping_cost(total):\n    pass\n"}, "is async",
                 id="async"),
])
def test_what_the_offline_generator_cannot_try(fields: dict[str, object], reason: str) -> None:
    found = offline_skip_reason(_task(**fields))
    assert found is not None and found.startswith("no offline strategy: ") and reason in found


def test_untyped_code_without_examples_is_tried() -> None:
    assert offline_skip_reason(_task()) is None
    untyped = "def scale_prices(prices, factor):\n    return [p * factor for p in prices]\n"
    assert offline_skip_reason(_task(symbol="scale_prices", source=untyped)) is None


def test_the_request_gathers_doctests_existing_calls_neighbours_and_boundaries() -> None:
    tests = {"tests/test_pricing.py": (
        "from shop.pricing import shipping_cost\n\n\n"
        "def test_big():\n    assert shipping_cost(9000) == 0\n")}
    probe = probe_request(_task(), tests, budget_s=30.0)
    origins = [(c.origin, c.expr) for c in probe.calls]
    assert origins[:2] == [("doctest", "shipping_cost(1200)"),
                           ("existing tests/test_pricing.py::test_big", "shipping_cost(9000)")]
    assert ("neighbour", "shipping_cost(8999)") in origins
    assert [(b.line, b.left, b.op, b.right) for b in probe.boundaries] == [
        (17, "total", ">=", "FREE_FROM")]  # the base's comparison is not a constant one
    assert probe.targets[0].ref == "shipping_cost" and probe.budget_s == 30.0
    assert probe.member == "call" and [p.name for p in probe.params] == ["total"]
