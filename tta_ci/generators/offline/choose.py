"""Which observed calls become tests (pure).

First the calls on which the base and the head differ: they pin the change by definition (one
per distinct before/after pair, shortest first). Then a greedy set cover over the mutants of
the changed lines: the call whose test kills the most mutants not yet killed, until none adds
a kill. Then calls that run changed lines no chosen call ran. At most ``limit`` tests per task.
A head value that contradicts its docstring example also gets the documented test (it fails
on the head: evidence for a possible bug, with the docstring as its source).
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass, field

from tta_ci.core.types import BehaviourChange
from tta_ci.generators.offline.model import Observed, Replayed

__all__ = ["MAX_BEHAVIOUR_CHANGES", "MAX_TESTS", "Choice", "behaviour_changes", "choose"]

MAX_TESTS = 12
MAX_BEHAVIOUR_CHANGES = 10
MAX_PINNING = 5
MAX_COVERING = 2


@dataclass
class Choice:
    """The chosen tests, each with why it was chosen."""

    tests: list[tuple[Observed, str]] = field(default_factory=list)  # (observed, why)
    documented: list[Observed] = field(default_factory=list)  # contradicted docstrings
    killed: set[int] = field(default_factory=set)

    def names(self) -> set[str]:
        return {o.test for o, _ in self.tests}


MADE_UP_RANK = 4  # calls on receivers or with values no project text shows


def _order(observed: Observed) -> tuple[int, int, int, int]:
    """Preferred first: returns a value, comes from the project's own calls, reads short."""
    return (observed.raises, observed.rank >= MADE_UP_RANK,
            len(observed.call) + len(observed.shown), observed.rank)


def _differs(pairs: Sequence[tuple[Observed, Replayed | None]]) -> list[tuple[Observed, str]]:
    return sorted(((o, r.shown) for o, r in pairs if r is not None and not r.passed),
                  key=lambda item: _order(item[0]))


def behaviour_changes(pairs: Sequence[tuple[Observed, Replayed | None]]
                      ) -> list[BehaviourChange]:
    """Where base and head differ, shortest first, one per before/after pair."""
    found: dict[tuple[str, str], BehaviourChange] = {}
    for observed, before in _differs(pairs):
        key = (before, observed.shown)
        if key not in found and len(found) < MAX_BEHAVIOUR_CHANGES:
            found[key] = BehaviourChange(call=observed.call, before=before, after=observed.shown)
    return list(found.values())


def _kind(shown: str) -> str:
    """``raises ValueError`` for a raised exception, else ``value``."""
    return shown.split("(", 1)[0] if shown.startswith("raises ") else "value"


def _pinning(usable: Sequence[tuple[Observed, Replayed | None]], choice: Choice) -> None:
    """The shortest pinning call, and each further one that differs in kind (raises where the
    other returns...) or kills a mutant the chosen ones do not."""
    kinds: set[tuple[str, str]] = set()
    # a call the existing tests make pins the change for them already: others first
    differs = sorted(_differs(usable), key=lambda item: item[0].origin.startswith("existing"))
    for observed, before in differs:
        key = (_kind(before), _kind(observed.shown))
        if len(choice.tests) >= MAX_PINNING or (key in kinds and not (
                set(observed.kills) - choice.killed)):
            continue
        kinds.add(key)
        choice.tests.append((observed, "pins the change"))
        choice.killed |= set(observed.kills)


def _greedy(pool: list[Observed], choice: Choice, limit: int) -> None:
    while len(choice.tests) < limit:
        best = max(pool, key=lambda o: (len(set(o.kills) - choice.killed),
                                        [-x for x in _order(o)]), default=None)
        if best is None or not set(best.kills) - choice.killed:
            return
        gained = sorted(set(best.kills) - choice.killed)
        choice.tests.append((best, f"kills {len(gained)} mutant(s)"))
        choice.killed |= set(best.kills)
        pool.remove(best)


def _covering(pool: list[Observed], choice: Choice, limit: int, covered: set[int]) -> None:
    reached = covered | {line for o, _ in choice.tests for line in o.lines}
    for _ in range(MAX_COVERING):
        if len(choice.tests) >= limit:
            return
        best = max(pool, key=lambda o: (len(set(o.lines) - reached), [-x for x in _order(o)]),
                   default=None)
        if best is None or not set(best.lines) - reached:
            return
        choice.tests.append((best, f"runs changed line(s) {sorted(set(best.lines) - reached)}"))
        reached |= set(best.lines)
        pool.remove(best)


def choose(pairs: Sequence[tuple[Observed, Replayed | None]], *,
           exclude: Set[str] = frozenset(),
           limit: int = MAX_TESTS) -> Choice:
    """The tests to write from ``pairs`` (each head observation with its base replay, or
    None where the base was not run); ``exclude``: tests offered before."""
    usable = [(o, r) for o, r in pairs if o.test not in exclude]
    choice = Choice()
    _pinning(usable, choice)
    # what the existing tests' own calls kill and run, the existing tests check already
    copied = [o for o, _ in usable if o.origin.startswith("existing")]
    choice.killed |= {k for o in copied for k in o.kills}
    pool = [o for o, _ in usable if o.test not in choice.names() and o not in copied]
    _greedy(pool, choice, limit)
    _covering(pool, choice, limit, {line for o in copied for line in o.lines})
    choice.documented = [o for o, _ in usable if o.contradicts][:2]
    return choice
