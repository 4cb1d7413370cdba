"""Plain values passed between the stages: plan → engine → generator → validator → publish."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tta_ci.core.lines import spans

__all__ = [
    "BehaviourChange",
    "Candidate",
    "CheckResult",
    "LLMCall",
    "MutationScore",
    "Outcome",
    "PlanResult",
    "PossibleBug",
    "Precheck",
    "Skip",
    "Survivor",
    "Task",
    "TaskKind",
    "TaskPriority",
    "TaskStatus",
    "TestVerdict",
    "Verdict",
]


class TaskPriority(enum.StrEnum):
    """Queue priority; HIGH runs first, FIFO within one priority."""

    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {TaskPriority.HIGH: 0, TaskPriority.NORMAL: 1, TaskPriority.LOW: 2}


class TaskStatus(enum.StrEnum):
    """Where a task is in the engine. COMPLETED tasks carry an ``Outcome``."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def done(self) -> bool:
        return self not in (TaskStatus.QUEUED, TaskStatus.RUNNING)


# The status of a task in metrics.json.
Outcome = Literal["accepted", "rejected", "possible_bug", "skipped", "failed", "cancelled"]
TaskKind = Literal["function", "method", "class", "module"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Task(_Frozen):
    """One test-generation task: a symbol of a file whose lines changed.

    Paths are POSIX and relative to the repository root.
    """

    id: str  # "pkg/mod.py::Class.method"
    file: str
    symbol: str  # "func", "Class.method", "Class", "<module>"
    kind: TaskKind
    changed_lines: tuple[int, ...]  # sorted line numbers of ``file`` (head side)
    test_file: str  # where the tests for this symbol go
    test_file_exists: bool = False
    priority: TaskPriority = TaskPriority.NORMAL
    hash: str = ""  # content hash of everything that decides the result
    start_line: int = 1  # the symbol's span in ``file`` (decorators included)
    end_line: int = 1
    source: str = ""  # the symbol's source on head
    base_source: str | None = None  # the symbol's source on base, when it existed there
    imports: str = ""  # the import statements of the module
    module: str = ""  # dotted import name of ``file``, e.g. "pkg.mod"
    import_root: str = ""  # the directory to put on sys.path to import ``module`` ("" = root)
    description: str = ""

    @property
    def changed_ranges(self) -> list[tuple[int, int]]:
        """``changed_lines`` folded into inclusive (start, end) ranges."""
        return spans(self.changed_lines)

    def plan_json(self) -> dict[str, Any]:
        """The task as ``tta-ci plan --json`` shows it."""
        return self.model_dump(
            mode="json", exclude={"source", "base_source", "imports", "description"}
        )


class Skip(_Frozen):
    """A file or symbol the planner or engine left out, and why."""

    file: str
    reason: str
    symbol: str | None = None
    backend: str | None = None  # the generator backend that would skip it (None: the planner)

    @property
    def where(self) -> str:
        """``file::symbol``, or the file alone."""
        return f"{self.file}::{self.symbol}" if self.symbol else self.file

    def describe(self) -> str:
        """One line for a person: where, which backend, why."""
        by = f" ({self.backend} backend)" if self.backend else ""
        return f"{self.where}{by}: {self.reason}"


# A generator backend's plan-time check: the ``Skip`` of a task it would not try, or None.
Precheck = Callable[[Task], Skip | None]


class PlanResult(_Frozen):
    tasks: tuple[Task, ...] = ()
    skipped: tuple[Skip, ...] = ()
    base: str | None = None  # resolved SHAs
    head: str | None = None
    # tasks the backend's plan-time check skips (their ``Skip`` is in ``skipped``): never
    # queued, recorded as skipped tasks by the run
    prechecked: tuple[Task, ...] = ()

    def headline(self) -> str:
        """``4 tasks, 2 skipped (abc1234..def5678)``; ``index`` for the staged side."""
        count = f"{len(self.tasks)} task{'s' * (len(self.tasks) != 1)}"
        refs = f"{_short(self.base)}..{_short(self.head)}"
        return f"{count}, {len(self.skipped)} skipped ({refs})"

    def to_json(self) -> dict[str, Any]:
        return {
            "tasks": [t.plan_json() for t in self.tasks],
            "skipped": [s.model_dump(mode="json", exclude_none=True) for s in self.skipped],
        }


def _short(sha: str | None) -> str:
    return sha[:7] if sha else "index"


class LLMCall(_Frozen):
    """One request to a model, as measured: tokens and cost from the API's ``usage``."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    ok: bool = True


class Candidate(_Frozen):
    """A generated test file for one task, before validation."""

    code: str
    generator: str
    model: str | None = None
    model_reason: str = ""  # why the selector chose ``model``
    calls: tuple[LLMCall, ...] = ()
    # The conversation so far, so that a repair attempt can continue it.
    messages: tuple[dict[str, Any], ...] = ()
    strategy: str | None = None  # offline: "ghostwriter.fuzz", "doctest", ...
    notes: tuple[str, ...] = ()  # shown in the summary (e.g. discarded files)
    behaviour_changes: tuple[BehaviourChange, ...] = ()  # where base and head differ
    # Where a test function's expectation comes from, by test name ("Class::test" in a
    # class): "doctest: ...", "existing test: ...", "model: ...". A failing test is a possible
    # bug only with an entry here; a generator's own guess has none.
    evidence: dict[str, str] = Field(default_factory=dict)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.calls)

    @property
    def cost_usd(self) -> float:
        return sum(c.cost_usd for c in self.calls)


class CheckResult(_Frozen):
    ok: bool
    detail: str = ""


class TestVerdict(_Frozen):
    """The fate of one test function of a candidate."""

    __test__ = False  # not a pytest class

    status: Literal["accepted", "rejected", "possible_bug"]
    reason: str
    message: str = ""


class PossibleBug(_Frozen):
    """A test whose expectation the project states, and which the head contradicts."""

    test: str
    message: str  # the failure on the head
    reason: str = ""  # the evidence: what the project (or the model, kept after the failure) says
    file: str = ""
    line: int | None = None


class BehaviourChange(_Frozen):
    """An input on which the base and the head of a changed function differ.

    ``before`` and ``after`` are what a reviewer reads: a value's repr, ``raises X('...')``, or
    the argument's state after the call (``items == [1, 2]``).
    """

    call: str  # "parse_size('1.5K')"
    before: str
    after: str


class Survivor(_Frozen):
    """A mutant of the changed lines that no test kills."""

    line: int
    operator: str  # "`<` → `<=`"
    code: str  # the mutated line


class MutationScore(_Frozen):
    """The changed lines' mutants, as ``metrics.json`` records them per task."""

    tried: int = 0
    killed_by_existing: int = 0
    killed_with_accepted: int = 0  # by the existing tests and the accepted ones together
    survivors: tuple[Survivor, ...] = ()


class Verdict(_Frozen):
    """The validator's judgement of one candidate file."""

    accepted: bool
    reason: str
    checks: dict[str, CheckResult] = Field(default_factory=dict)
    tests: dict[str, TestVerdict] = Field(default_factory=dict)
    code: str | None = None  # the accepted test code, pruned to the good functions
    possible_bugs: tuple[PossibleBug, ...] = ()
    covered_lines: tuple[int, ...] = ()  # changed lines newly covered by the accepted tests
    uncovered_lines: tuple[int, ...] = ()  # changed lines still not covered
    isolation: str = ""  # "bwrap" or "fallback"
    mutation: MutationScore | None = None  # None: mutation testing did not run
    feedback: str = ""  # trimmed failure text for a repair attempt
    duration_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The document ``tta-ci validate --json`` prints."""
        return self.model_dump(mode="json", exclude={"code", "feedback"})
