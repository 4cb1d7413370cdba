"""Gate 7: a test function is kept only if it adds something the existing tests do not check.

What a function adds: the changed lines and branches it runs that the existing tests miss, and
the mutants of the changed lines it kills that they do not kill. ``select`` keeps the smallest
set of functions that together add the most (greedy set cover, in file order on ties); every
other passing function adds nothing the kept ones and the existing tests do not already check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tta_ci.validate.judge import Coverage

__all__ = ["NOTHING", "PINNED", "Element", "contribution", "select"]

NOTHING = "adds nothing the existing tests do not check"
PINNED = "already pinned by your tests"

Element = tuple[str, object]  # ("line", 12), ("arc", (12, 14)), ("mutant", 3)


def contribution(coverage: Coverage, baseline: Coverage, killed: set[int],
                 open_mutants: set[int]) -> set[Element]:
    """What one function adds: new changed lines/branches and mutants only it kills."""
    added = coverage.minus(baseline)
    found: set[Element] = {("line", n) for n in added.lines}
    found |= {("arc", a) for a in added.arcs}
    found |= {("mutant", i) for i in killed & open_mutants}
    return found


def select(contributions: Mapping[str, set[Element]], order: Sequence[str]) -> list[str]:
    """The greedy cover: the names, in ``order``, of the functions worth keeping."""
    left = {name: set(found) for name, found in contributions.items() if found}
    chosen: list[str] = []
    while left:
        best = max(order, key=lambda n: (len(left.get(n, ())), -order.index(n)))
        gain = left.pop(best, set())
        if not gain:
            break
        chosen.append(best)
        for name in list(left):
            left[name] -= gain
            if not left[name]:
                del left[name]
    return [n for n in order if n in chosen]
