"""tta_ci.generators: the registry's plan-time checks (``precheck_for``)."""

from __future__ import annotations

from tta_ci.core.types import Skip, Task
from tta_ci.generators import PRECHECKS, precheck_for


def task(symbol: str, source: str, kind: str = "function") -> Task:
    return Task(id=f"m.py::{symbol}", file="m.py", symbol=symbol, kind=kind, module="m",
                changed_lines=(2,), test_file="tests/test_m.py", source=source)


def test_the_offline_backend_knows_its_skips_before_it_runs() -> None:
    check = precheck_for("offline")
    assert check is not None and set(PRECHECKS) == {"offline"}
    assert check(task("f", "def f(a: int) -> int:\n    return a\n")) is None
    assert check(task("g", "async def g(a):\n    return a\n")) == Skip(
        file="m.py", symbol="g", backend="offline",
        reason="no offline strategy: g is async (an event loop is not set up)")
    assert check(task("h", "def h(a):\n    return a\n")) is None  # untyped: calls observed
    module = check(task("<module>", "X = 1\n", kind="module"))
    assert module is not None
    assert module.reason.endswith("module-level code, with no function to call")


def test_a_backend_without_a_check_tries_every_task() -> None:
    assert precheck_for("openrouter") is None
    assert precheck_for("openhands") is None
