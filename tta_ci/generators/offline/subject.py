"""The changed symbol as the sandbox finds it in the imported module, and the boundary values
recorded where its changed lines run."""

from __future__ import annotations

import ast
import contextlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tta_ci.generators.offline.guard import Tracer
from tta_ci.generators.offline.model import Boundary, Probe, Target
from tta_ci.generators.offline.session import Session

__all__ = ["Edge", "Edges", "Subject", "find_subject"]

MAX_EDGE_VALUES = 6


@dataclass(frozen=True)
class Edge:
    """One run of a boundary's line: its right side's value, the left side's, and the values
    of the parameters the right side reads (to pass them as they were)."""

    right: Any
    left: Any = None
    bound: tuple[tuple[str, Any], ...] = ()


@dataclass
class Edges:
    """The runs of each boundary's line (or its constant)."""

    values: dict[int, list[Edge]] = field(default_factory=dict)  # boundary index → runs

    def add(self, index: int, edge: Edge) -> None:
        found = self.values.setdefault(index, [])
        plain = (int, float, str, tuple, frozenset)
        if isinstance(edge.right, plain) and len(found) < MAX_EDGE_VALUES and all(
                repr(edge) != repr(e) for e in found):
            found.append(edge)


@dataclass
class Subject:
    obj: Any  # the function, or the class of a method
    func: Callable[..., Any]  # the function whose parameters the calls fill
    filename: str
    ref: Target
    member: str  # FunctionInfo.member
    name: str  # the function's or method's name
    cls: type | None = None

    @property
    def receiver_name(self) -> str:
        return self.cls.__name__ if self.cls is not None else "value"

    def edge_recorder(self, tracer: Tracer, boundaries: Sequence[Boundary]) -> Edges:
        """Record each boundary's right side where its line runs (constants at once)."""
        edges = Edges()
        for index, boundary in enumerate(boundaries):
            if boundary.literal or not boundary.line:
                with contextlib.suppress(ValueError, TypeError, SyntaxError, MemoryError,
                                         RecursionError):
                    edges.add(index, Edge(ast.literal_eval(boundary.right)))
                continue
            probe = _probe(edges, index, boundary)
            tracer.probes.setdefault(boundary.line, []).append(probe)
        return edges


def _probe(edges: Edges, index: int, boundary: Boundary) -> Callable[[dict[str, Any]], None]:
    right = compile(boundary.right, "<boundary>", "eval")
    try:
        left: Any = compile(boundary.left, "<boundary>", "eval")
    except SyntaxError:
        left = None

    def record(namespace: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):  # not every run of the line has it defined
            value = eval(right, namespace)
            seen = eval(left, namespace) if left is not None and boundary.left.isidentifier() \
                else None
            bound = tuple((p, namespace[p]) for p in boundary.right_params if p in namespace)
            edges.add(index, Edge(value, seen, bound))

    return record


def _underlying(raw: Any) -> Callable[..., Any] | None:
    if isinstance(raw, staticmethod | classmethod):
        raw = raw.__func__
    if isinstance(raw, property):
        raw = raw.fget
    return inspect.unwrap(raw) if callable(raw) else None


def _lookup(session: Session, symbol: str) -> Any:
    obj: Any = session.module
    for part in symbol.split("."):
        obj = inspect.getattr_static(obj, part)
    return obj


def find_subject(session: Session, request: Probe) -> Subject | str:
    """The subject, or why it cannot be called."""
    parts = request.symbol.split(".")
    try:
        raw = _lookup(session, request.symbol)
        owner = _lookup(session, ".".join(parts[:-1])) if request.kind == "method" else None
    except AttributeError:
        return f"{request.module} has no attribute {request.symbol}"
    func = _underlying(raw)
    if func is None:
        return f"{request.symbol} is not callable"
    obj = owner if owner is not None else raw
    module, name = session.module.__name__, parts[0]
    defaults = [Target(imports=(f"from {session.prefer} import {name}",), ref=name),
                Target(imports=(f"from {module} import {name}",), ref=name)]
    tail = ".".join(parts[1:-1] if owner is not None else parts[1:])
    ref = session.resolve([*request.targets, *defaults], obj if owner is None or not tail
                          else _lookup(session, parts[0]))
    if ref is None:
        return f"{request.symbol} cannot be imported from {module} by its name"
    if tail:
        ref = ref.model_copy(update={"ref": f"{ref.ref}.{tail}"})
    return Subject(obj=obj, func=func, filename=getattr(session.module, "__file__", "") or "",
                   ref=ref, member=request.member or "call", name=parts[-1],
                   cls=owner if isinstance(owner, type) else None)
