"""The base side (in the sandbox): the head's tests, run as they are on the code before the
change, and what the base did with each call (for the reviewer's before/after table)."""

from __future__ import annotations

import time

from tta_ci.generators.offline.model import Observed, Replay, ReplayAnswer, Replayed
from tta_ci.generators.offline.session import Session
from tta_ci.generators.offline.watch import observe_case, run_body

__all__ = ["replay"]


def _nothing() -> object:
    import contextlib

    return contextlib.nullcontext()


def _shown(session: Session, test: Observed, cpu_s: float) -> str:
    made = session.namespace(test.imports)
    if made is None:
        return "does not import"
    seen = observe_case(made[0], list(test.setup), test.expr, "", "value", session.prefer,
                        cpu_s, _nothing)
    return seen.shown if seen is not None else "no value"


def replay(request: Replay, deadline: float) -> ReplayAnswer:
    loaded = Session.load(request.module, request.call_cpu_s)
    if isinstance(loaded, str):
        return ReplayAnswer(notes=(loaded,))
    done: list[Replayed] = []
    for test in request.tests:
        if time.monotonic() > deadline:
            break
        made = loaded.namespace(test.imports)
        passed = made is not None and run_body(made[0], test.test, request.call_cpu_s)
        shown = test.shown if passed else _shown(loaded, test, request.call_cpu_s)
        done.append(Replayed(passed=passed, shown=shown))
    return ReplayAnswer(replayed=tuple(done))
