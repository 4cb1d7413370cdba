"""More calls, made in the sandbox once the seeds ran (see ``probe``).

* boundary edges: a seed's argument for a parameter that flows into a changed comparison,
  replaced by the values around what the comparison's right side was when the seed ran it;
* strings: the changed lines' string literals as (or appended to) string arguments;
* receivers: for a method, every receiver the seeds built crossed with every argument list;
* hints: derandomized examples of the parameters' types (plain values where untyped), for the
  function, or for a method on each known receiver and on receivers built from the class's
  own constructor.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from tta_ci.generators.offline.guard import OverBudget, guarded
from tta_ci.generators.offline.inputs import (
    POOL,
    argument_text,
    draw,
    edge_values,
    resolved_hints,
)
from tta_ci.generators.offline.model import Boundary, Call, Observed, Param, Probe
from tta_ci.generators.offline.source import DUNDER_FORMS
from tta_ci.generators.offline.values import literal
from tta_ci.generators.offline.variants import (
    arguments,
    replace_argument,
    replace_literal,
    target_call,
)

if TYPE_CHECKING:
    from tta_ci.generators.offline.session import Session
    from tta_ci.generators.offline.subject import Edge, Edges, Subject

__all__ = ["more_calls"]

MAX_RECEIVERS = 6
MAX_EDGE_SEEDS = 24
MAX_EDGE_CALLS = 80
_Made = tuple[str, tuple[str, ...]]  # (source, imports)
_Receiver = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # + setup, free
MAX_ARGUMENT_SETS = 8


class Runner(Protocol):
    """What of the probe's runner the extra calls read: the request, the live module, the
    calls observed so far (test body → its call) and the time left."""

    request: Probe
    session: Session
    subject: Subject
    observed: dict[str, Observed]
    sources: dict[str, Call]

    @property
    def out_of_time(self) -> bool: ...


def _seed_values(runner: Runner, call: Call) -> dict[str, Any]:
    """The seed's argument values, by parameter (only those its expression shows)."""
    try:
        node = target_call(ast.parse(call.expr, mode="eval"), call.func)
    except SyntaxError:
        return {}
    matched = arguments(node, runner.request.params) if node is not None else None
    made = runner.session.namespace(call.imports, call.free)
    if not matched or made is None:
        return {}
    namespace = made[0]
    found: dict[str, Any] = {}
    try:
        with guarded(runner.request.call_cpu_s):
            for line in call.setup:
                exec(compile(line, "<setup>", "exec"), namespace)  # sandbox
            for name, node_ in matched.items():
                found[name] = eval(compile(ast.unparse(node_), "<arg>", "eval"), namespace)
    except (Exception, OverBudget):  # arguments that do not evaluate
        return found
    return found


def _edges(runner: Runner, edges: Edges, seeds: list[Call]) -> Iterator[Call]:
    made: set[tuple[str, ...]] = set()
    for call in _edge_calls(runner, edges, seeds[:MAX_EDGE_SEEDS]):
        key = (*call.setup, call.expr)
        if key not in made:
            made.add(key)
            yield call
        if len(made) >= MAX_EDGE_CALLS:
            return


def _edge_calls(runner: Runner, edges: Edges, seeds: list[Call]) -> Iterator[Call]:
    params = runner.request.params
    for call in seeds:
        values = _seed_values(runner, call)
        observed = next((o for b, o in runner.observed.items() if runner.sources[b] is call),
                        None)
        for index, boundary in enumerate(runner.request.boundaries):
            if boundary.line and observed is not None and boundary.line not in observed.lines:
                continue
            yield from _traced(call, edges.values.get(index, []), boundary)
            for name in boundary.params:
                for edge in edges.values.get(index, []):
                    seed = values.get(name, edge.left)
                    if isinstance(edge.left, int | float) and not isinstance(seed, int | float):
                        seed = edge.left  # the parameter becomes a number on its way there
                    for value in edge_values(seed, edge.right, boundary):
                        yield from _replaced(call, params, name, value, "boundary", edge.bound)
        for name, seed in values.items():
            if isinstance(seed, str):
                yield from _string_calls(call, params, name, seed, values, runner.request.strings)


def _string_calls(call: Call, params: tuple[Param, ...], name: str, seed: str,
                  values: dict[str, Any], strings: tuple[str, ...]) -> Iterator[Call]:
    """A changed line's string as the argument, before or after the seed's text; and, where
    the call also passes a non-zero ``int`` (``parse(src, pos)``), that string at position
    0 with some text after it (``"\\x"`` + ``"abc"``: what follows an escape)."""
    zeros = tuple((n, 0) for n, v in values.items()
                  if n != name and type(v) is int and v != 0)
    for text in strings:
        for value in (text, seed + text, text + seed):
            yield from _replaced(call, params, name, value, "string")
        if zeros:
            tails = dict.fromkeys([seed, *(p for p in POOL if isinstance(p, str))])
            for tail in tails:
                yield from _replaced(call, params, name, text + tail, "string", zeros)


def _traced(call: Call, runs: list[Edge], boundary: Boundary) -> Iterator[Call]:
    """Where the compared value is a literal of the seed (``cart.add(250, 2)`` gives the count
    2 compared with 10), that literal moved to the boundary's edges."""
    for edge in runs:
        if isinstance(edge.left, int | float) and not isinstance(edge.left, bool):
            values = [literal(v) for v in edge_values(edge.left, edge.right, boundary)]
            yield from replace_literal(call, edge.left, [v for v in values if v], "boundary")


def _replaced(call: Call, params: tuple[Param, ...], name: str, value: Any, origin: str,
              bound: tuple[tuple[str, Any], ...] = ()) -> Iterator[Call]:
    new: Call | None = call
    for param, item in ((name, value), *bound):
        text = literal(item)
        if text is None or new is None:
            return
        new = replace_argument(new, params, param, text, origin)
    if new is not None:
        yield new


def _receivers(runner: Runner, seeds: list[Call]) -> list[tuple[str, Call]]:
    found: dict[str, tuple[str, Call]] = {}
    for call in seeds:
        try:
            node = target_call(ast.parse(call.expr, mode="eval"), call.func)
        except SyntaxError:
            continue
        if node is not None and isinstance(node.func, ast.Attribute):
            found.setdefault(ast.unparse(node.func.value), (ast.unparse(node.func.value), call))
    return list(found.values())[:MAX_RECEIVERS]


def _argument_sets(runner: Runner, seeds: list[Call], hinted: list[str]) -> list[str]:
    found: list[str] = []
    for call in seeds:
        try:
            node = target_call(ast.parse(call.expr, mode="eval"), call.func)
        except SyntaxError:
            continue
        if node is not None:
            found.append(", ".join(ast.unparse(a) for a in [*node.args, *node.keywords]))
    return list(dict.fromkeys([*found, *hinted]))[:MAX_ARGUMENT_SETS]


def _hinted(runner: Runner, count: int) -> list[_Made]:
    subject = runner.subject
    hints = resolved_hints(subject.func, runner.session.module)
    made: list[_Made] = []
    for values in draw(runner.request.params, hints, count):
        text = argument_text(runner.request.params, values, runner.session.prefer)
        if text is not None:
            made.append((text[0], tuple(text[1])))
    return list(dict.fromkeys(made))


def _constructed(runner: Runner) -> list[_Made]:
    """``Cls(...)`` receivers from the constructor's own hints."""
    cls = runner.subject.cls
    init = getattr(cls, "__init__", None)
    if cls is None or not inspect.isfunction(init):
        return []
    from tta_ci.generators.offline.source import parse_function

    try:
        info = parse_function(inspect.getsource(init), "__init__", method=True)
    except (OSError, TypeError):
        return []
    if info is None:
        return []
    hints = resolved_hints(init, runner.session.module)
    ref = runner.subject.ref.ref
    built: list[_Made] = []
    for values in draw(info.params, hints, 20):
        text = argument_text(info.params, values, runner.session.prefer)
        if text is not None:
            built.append((f"{ref}({text[0]})", (*runner.subject.ref.imports, *text[1])))
    return list(dict.fromkeys(built))[:MAX_RECEIVERS]


def _subclassed(subject: Subject, receiver: _Receiver) -> _Receiver | None:
    """The receiver built through a subclass defined in the test (``type(self)`` changed)."""
    name, ref = f"Sub{subject.cls.__name__ if subject.cls else 'Class'}", subject.ref.ref
    tree = ast.parse(receiver[0], mode="eval")
    found = False
    for node in ast.walk(tree):
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.expr) and ast.unparse(value) == ref:
                setattr(node, field, ast.Name(name, ast.Load()))
                found = True
    if not found:
        return None
    define = f"class {name}({ref}):\n    pass"
    return (ast.unparse(tree), (*receiver[1], *subject.ref.imports), (*receiver[2], define),
            receiver[3])


def _method_call(runner: Runner, receiver: str, arguments_text: str) -> str | None:
    subject = runner.subject
    member, name = subject.member, subject.name
    if member == "call":
        return f"{receiver}.{name}({arguments_text})"
    if member == "property":
        return f"{receiver}.{name}"
    form = DUNDER_FORMS.get(member)
    if form is None:
        return None
    if "{1}" in form:
        return form.format(f"({receiver})", f"({arguments_text})") if arguments_text else None
    return form.format(receiver)


def _calls_on(runner: Runner, receivers: list[_Receiver], argument_sets: list[str]
              ) -> Iterator[Call]:
    func = "." + runner.subject.name if runner.subject.member == "call" else ""
    for receiver, imports, setup, free in receivers:
        for text in argument_sets or [""]:
            expr = _method_call(runner, receiver, text)
            if expr is not None:
                yield Call(origin="receiver", expr=expr, func=func, imports=imports,
                           setup=setup, free=free)


def more_calls(runner: Runner, edges: Edges) -> Iterator[Call]:
    for call in _more(runner, edges):
        if runner.out_of_time:
            return
        yield call


def _more(runner: Runner, edges: Edges) -> Iterator[Call]:
    seeds = [runner.sources[b] for b in list(runner.observed)]
    yield from _edges(runner, edges, seeds)
    subject = runner.subject
    hinted = _hinted(runner, 40 if len(seeds) < 5 else 20)
    if subject.cls is None or subject.member == "init":
        ref = subject.ref
        for text, imports in hinted:
            yield Call(origin="hint", expr=f"{ref.ref}({text})", func=ref.ref,
                       imports=tuple(dict.fromkeys([*ref.imports, *imports])))
    else:
        known: list[_Receiver] = [(r, c.imports, c.setup, c.free)
                                  for r, c in _receivers(runner, seeds)]
        if runner.request.subclass:
            known += [s for r in known if (s := _subclassed(subject, r)) is not None]
        built: list[_Receiver] = [(e, i, (), ()) for e, i in _constructed(runner)]
        extra = [t for t, _ in hinted]
        yield from _calls_on(runner, known + built, _argument_sets(runner, seeds, extra))
    # A function no test or doctest calls has only made-up calls: they become seeds in turn,
    # so the changed lines' strings and edges reach it too (the ``"\\x"`` of a changed
    # ``if escape == "\\x":`` put into the text it parses).
    known_ids = {id(c) for c in seeds}
    made = [c for b in list(runner.observed) if id(c := runner.sources[b]) not in known_ids]
    made.sort(key=lambda c: len(c.expr))  # the plainest first: they read best in a test
    yield from _edges(runner, edges, made)
