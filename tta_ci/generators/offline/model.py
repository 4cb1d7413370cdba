"""The values both sides of the offline generator exchange (as JSON, across the sandbox).

The planner outside builds a ``Probe`` request from the task alone: the candidate calls it found
(``Call``), how the tests refer to the symbol (``Target``) and the boundaries of the changed
lines (``Boundary``). The sandbox side answers with one ``Observed`` per call it kept: what the
head did, the example test that states it, which changed lines it ran and which mutants it kills.
The same calls are then replayed on the base (``Replayed``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Boundary",
    "Call",
    "Observed",
    "Param",
    "Probe",
    "ProbeAnswer",
    "Replay",
    "ReplayAnswer",
    "Replayed",
    "Target",
]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class Param(_Value):
    """A parameter of the changed function, as its source declares it (``self`` left out)."""

    name: str
    kind: str = "positional"  # "positional", "keyword" (keyword-only), "star", "starstar"
    default: str | None = None  # the default's source
    annotation: str | None = None  # the annotation's source


class Target(_Value):
    """How a test refers to the changed symbol: ``imports`` bind ``ref``.

    For a function ``ref`` is the function (``mi.chunked``); for a method it is the class
    (``Version``) and ``member`` the method's name. The sandbox keeps the first option that
    resolves to the symbol itself.
    """

    imports: tuple[str, ...]
    ref: str


class Call(_Value):
    """One candidate call: ``setup`` statements, then ``expr``, which holds the target's call.

    ``func`` is the callee's text inside ``expr`` (``mi.chunked``; ``.bump_build`` for a method
    called on any receiver; ``Bits`` for a constructor), so that arguments can be replaced.
    ``free`` are names the sandbox must bind (a doctest's names); ``expected`` the output a
    docstring example documents.
    """

    origin: str  # "existing tests/test_x.py::test_y", "doctest", "boundary", "neighbour", ...
    expr: str
    func: str = ""
    imports: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()
    free: tuple[str, ...] = ()
    expected: str | None = None


class Boundary(_Value):
    """A comparison on a changed line: ``left op right``; ``params`` are the parameters whose
    values flow into ``left``. ``right`` is evaluated where the line runs, when it is plain."""

    line: int
    left: str
    op: str
    right: str
    params: tuple[str, ...]
    literal: bool = False  # ``right`` is a constant
    right_params: tuple[str, ...] = ()  # parameters ``right`` reads directly (``2 ** len_``)


class Probe(_Value):
    """The head side's request."""

    module: str
    symbol: str
    kind: str  # "function" or "method"
    file: str  # the module's path in the workspace
    changed_lines: tuple[int, ...]
    params: tuple[Param, ...]
    member: str = ""  # how the symbol is used: "call", "property", or a dunder's name
    targets: tuple[Target, ...] = ()
    calls: tuple[Call, ...] = ()
    boundaries: tuple[Boundary, ...] = ()
    strings: tuple[str, ...] = ()  # string literals of the changed lines
    subclass: bool = False  # the changed lines build ``type(self)``: try a subclass's receivers
    max_calls: int = 160
    max_mutants: int = 24
    call_cpu_s: float = 0.5
    budget_s: float = 60.0


class Observed(_Value):
    """One call the head ran cleanly, and the test that states what it did."""

    origin: str
    setup: tuple[str, ...] = ()
    expr: str  # the call, as the test makes it
    call: str  # the call as a reviewer reads it: "chunked('ABCDE', -1)"
    test: str  # a test function's body (pytest style), self-contained but for ``imports``
    imports: tuple[str, ...]
    shown: str  # what the head did: "'1.0 MB'", "raises ValueError('...')", "items == [1]"
    raises: bool = False
    lines: tuple[int, ...] = ()  # changed lines it ran
    kills: tuple[int, ...] = ()  # indexes of the mutants its test fails on
    contradicts: str | None = None  # a test of the documented output the head does not give
    rank: int = 0  # lower is preferred among equals


class ProbeAnswer(_Value):
    observed: tuple[Observed, ...] = ()
    mutants: tuple[str, ...] = ()  # descriptions, indexed by ``Observed.kills``
    notes: tuple[str, ...] = ()
    tried: int = 0
    kept: int = 0  # calls with a test (``observed`` also holds attribute forms of some)


class Replay(_Value):
    """The base side's request: the head's tests, to run as they are."""

    module: str
    tests: tuple[Observed, ...]
    call_cpu_s: float = 0.5
    budget_s: float = 60.0


class Replayed(_Value):
    passed: bool
    shown: str  # what the base did with the same call


class ReplayAnswer(_Value):
    replayed: tuple[Replayed, ...] = ()
    notes: tuple[str, ...] = ()
