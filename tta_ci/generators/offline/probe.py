"""The head side (in the sandbox): observe every candidate call, make more, find the kills.

Order: the planner's calls (doctests, the existing tests' calls, their neighbours); then the
edges of each boundary around the values its right side took where the seeds ran it, and the
changed lines' strings put into string arguments; then receivers crossed with argument sets
(methods); then derandomized examples from the type hints (plain values for untyped
parameters). Every kept call's test runs once more on the head: a test that does not pass
again (time, randomness, state) is dropped. Last, each mutant of the changed lines is swapped
in, and the tests that reach its line run against it.
"""

from __future__ import annotations

import ast
import doctest
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tta_ci.core.mutants import mutants
from tta_ci.generators.offline.cases import Case, body_imports
from tta_ci.generators.offline.guard import Tracer
from tta_ci.generators.offline.model import Call, Observed, Probe, ProbeAnswer
from tta_ci.generators.offline.more import more_calls
from tta_ci.generators.offline.mutate import compiled, live_functions, swapped
from tta_ci.generators.offline.session import Session
from tta_ci.generators.offline.subject import Subject, find_subject
from tta_ci.generators.offline.watch import Seen, compile_body, observe_case, run_case

__all__ = ["Runner", "probe"]

MISUSE = ("TypeError", "AttributeError")  # what made-up arguments of the wrong type raise
ORIGIN_RANK = {"doctest": 0, "existing": 1, "boundary": 2, "neighbour": 3, "string": 3,
               "receiver": 4, "hint": 5}


def _rank(origin: str) -> int:
    return ORIGIN_RANK.get(origin.split(" ", 1)[0], 6)


class Runner:
    """Observes calls of one subject, once each."""

    def __init__(self, session: Session, request: Probe, subject: Subject,
                 deadline: float) -> None:
        self.session, self.request, self.subject = session, request, subject
        self.deadline = deadline
        self.tracer = Tracer(subject.filename, set(request.changed_lines))
        self.observed: dict[str, Observed] = {}
        self.sources: dict[str, Call] = {}  # test body → the call it came from
        self.tried: set[str] = set()
        self.cases: dict[str, Callable[[], Any] | None] = {}  # test body → compiled

    @property
    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline or len(self.tried) >= self.request.max_calls

    def observe(self, call: Call) -> Observed | None:
        key = "\n".join([*call.setup, call.expr])
        if key in self.tried or self.out_of_time:
            return None
        self.tried.add(key)
        try:
            return self._observe(self._styled(call))
        except Exception:  # the PR's code broke the observation itself: no example
            return None

    def _styled(self, call: Call) -> Call:
        """A doctest's bare ``chunked(...)`` written the way the tests refer to it."""
        ref, name = self.subject.ref, self.request.symbol.split(".")[0]
        if name not in call.free or ref.ref == name:
            return call
        expr = _renamed(call.expr, name, ref.ref, "eval")
        setup = tuple(_renamed(s, name, ref.ref, "exec") for s in call.setup)
        free = tuple(f for f in call.free if f != name)
        return call.model_copy(update={"expr": expr, "setup": setup, "free": free,
                                       "imports": (*call.imports, *ref.imports),
                                       "func": _renamed(call.func, name, ref.ref, "eval")
                                       if call.func and not call.func.startswith(".")
                                       else call.func})

    def _observe(self, call: Call) -> Observed | None:
        made = self.session.namespace(call.imports, call.free)
        if made is None:
            return None
        namespace, imports = made
        seen = observe_case(namespace, list(call.setup), call.expr, call.func,
                            self.subject.receiver_name, self.session.prefer,
                            self.request.call_cpu_s, self.tracer.tracing)
        if seen is None:
            return None
        return self._keep(call, seen, imports)

    def _keep(self, call: Call, seen: Seen, imports: list[str]) -> Observed | None:
        body = seen.case.body()
        if body in self.observed:
            return None
        if seen.case.kind == "raises" and seen.case.exc in MISUSE and _rank(
                call.origin) >= ORIGIN_RANK["neighbour"]:
            return None
        display = "; ".join([*(s for s in seen.case.setup if not s.startswith("class ")),
                             seen.case.expr])
        observed = Observed(
            origin=call.origin, setup=seen.case.setup, expr=seen.case.expr,
            call=display if len(display) <= 200 else display[:199] + "…", test=body,
            imports=tuple(dict.fromkeys([*imports, *seen.imports, *body_imports(body)])),
            shown=seen.shown, raises=seen.case.kind == "raises",
            lines=tuple(sorted(self.tracer.seen)), rank=_rank(call.origin),
            contradicts=_documented(call, seen))
        self.observed[body] = observed
        self.sources[body] = call
        for case, shown in seen.alternatives:
            text = case.body()
            if text not in self.observed:
                self.observed[text] = observed.model_copy(update={
                    "expr": case.expr, "call": f"{observed.call}.{case.expr.rsplit('.', 1)[1]}",
                    "test": text, "shown": shown, "contradicts": None,
                    "imports": tuple(dict.fromkeys([*imports, *body_imports(text)]))})
                self.sources[text] = call
        return observed

    def passes(self, observed: Observed) -> bool:
        """Whether the observed call's test passes now (compiled once)."""
        if observed.test not in self.cases:
            made = self.session.namespace(observed.imports)
            self.cases[observed.test] = compile_body(made[0], observed.test) if made else None
        return run_case(self.cases[observed.test], self.request.call_cpu_s)


def _renamed(source: str, name: str, ref: str, mode: str) -> str:
    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.expr:
            if node.id == name and isinstance(node.ctx, ast.Load):
                return ast.parse(ref, mode="eval").body
            return node

    return ast.unparse(Rename().visit(ast.parse(source, mode=mode)))


def _documented(call: Call, seen: Seen) -> str | None:
    """A test of the documented output, when the head's value contradicts its docstring."""
    want = call.expected
    if not want or seen.got is None or seen.case.kind not in ("eq", "is", "repr"):
        return None
    if doctest.OutputChecker().check_output(want, seen.got + "\n", 0):
        return None
    try:
        ast.literal_eval(want.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    value = want.strip()
    return Case(setup=seen.case.setup, expr=seen.case.expr,
                kind="is" if value in ("None", "True", "False") else "eq", value=value).body()


def _kills(runner: Runner, kept: list[Observed]) -> tuple[list[str], dict[str, list[int]]]:
    request = runner.request
    try:
        source = Path(request.file).read_text(encoding="utf-8")
    except OSError:
        return [], {}
    planned = mutants(source, request.changed_lines, limit=request.max_mutants)
    live = live_functions(runner.session.module)
    kills: dict[str, list[int]] = {o.test: [] for o in kept}
    for index, mutant in enumerate(planned):
        if time.monotonic() > runner.deadline + request.budget_s * 0.3:
            break
        codes = compiled(mutant, runner.subject.filename)
        with swapped(live, codes) as changed:
            if not changed:
                continue
            for observed in kept:
                if mutant.line in observed.lines and not runner.passes(observed):
                    kills[observed.test].append(index)
    return [m.description for m in planned], kills


def probe(request: Probe, deadline: float) -> ProbeAnswer:
    loaded = Session.load(request.module, request.call_cpu_s)
    if isinstance(loaded, str):
        return ProbeAnswer(notes=(loaded,))
    subject = find_subject(loaded, request)
    if isinstance(subject, str):
        return ProbeAnswer(notes=(subject,))
    runner = Runner(loaded, request, subject, deadline)
    edges = subject.edge_recorder(runner.tracer, request.boundaries)
    for call in request.calls:
        runner.observe(call)
    for call in more_calls(runner, edges):
        runner.observe(call)
    kept = [o for o in runner.observed.values() if runner.passes(o)]
    descriptions, kills = _kills(runner, kept)
    final = [o.model_copy(update={"kills": tuple(kills.get(o.test, ()))}) for o in kept]
    notes = [] if final else [f"no call of {request.symbol} ran cleanly on the head "
                              f"({len(runner.tried)} tried)"]
    kept_calls = len({id(runner.sources[o.test]) for o in final})
    return ProbeAnswer(observed=tuple(final), mutants=tuple(descriptions), notes=tuple(notes),
                       tried=len(runner.tried), kept=kept_calls)

