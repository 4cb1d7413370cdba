"""The offline generator's plan for one task, made without importing anything (pure).

``offline_skip_reason`` says from the task alone whether the offline generator can try it
(the plan-time check); ``probe_request`` gathers what the sandbox should observe: the symbol's
doctest examples, the calls the existing tests make (and their neighbours), how those tests
refer to the symbol, and the boundaries and string literals of the changed lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tta_ci.core.types import Task
from tta_ci.generators.offline.boundaries import boundaries, changed_strings
from tta_ci.generators.offline.doctests import doctest_calls
from tta_ci.generators.offline.model import Call, Probe, Target
from tta_ci.generators.offline.scan import Subject, scan_tests
from tta_ci.generators.offline.source import FunctionInfo, function_node, parse_function
from tta_ci.generators.offline.variants import neighbours

__all__ = ["function_info", "offline_skip_reason", "probe_request", "subject_of"]

MAX_SEEDS = 120
_SUBCLASS = re.compile(r"\btype\(self\)|\bself\.__class__\b|\bcls\(")


def function_info(task: Task) -> FunctionInfo | None:
    return parse_function(task.source, task.symbol, method=task.kind == "method",
                          first_line=task.start_line)


def offline_skip_reason(task: Task) -> str | None:
    """Why the offline generator cannot try ``task`` (None: it can). Pure: the task alone."""
    if task.kind not in ("function", "method"):
        if task.kind == "class":
            return f"no offline strategy: {task.symbol} is a class body, with no function to call"
        return "no offline strategy: module-level code, with no function to call"
    if not task.module:
        return f"no offline strategy: {task.file} is not an importable module"
    info = function_info(task)
    if info is None:
        return f"no offline strategy: {task.symbol} not found in its source"
    if info.is_async:
        return f"no offline strategy: {task.symbol} is async (an event loop is not set up)"
    if task.kind == "function" and "." in task.symbol:
        return f"no offline strategy: {task.symbol} is nested in another function"
    return None


def subject_of(task: Task, info: FunctionInfo) -> Subject:
    if task.kind == "method":
        owner, _, method = task.symbol.rpartition(".")
        return Subject(task.module, owner.split(".")[0], method=method, member=info.member)
    return Subject(task.module, task.symbol, member=info.member)


def _existing(task: Task, subject: Subject, tests: Mapping[str, str]
              ) -> tuple[list[Call], list[Target]]:
    calls: list[Call] = []
    targets: list[Target] = []
    ordered = sorted(tests, key=lambda p: p != task.test_file)
    for path in ordered:
        found, refs = scan_tests(path, tests[path], subject)
        calls += found
        targets += [t for t in refs if t not in targets]
    return calls, targets


def probe_request(task: Task, tests: Mapping[str, str], **limits: float) -> Probe:
    """The head side's request for ``task``; ``tests``: path → text of the test files."""
    info = function_info(task)
    if info is None:
        raise ValueError(f"{task.symbol} is not in its source")
    subject = subject_of(task, info)
    seeds = doctest_calls(info.docstring, name=info.name, method=task.kind == "method")
    existing, targets = _existing(task, subject, tests)
    seeds += existing
    near = [n for call in seeds[:MAX_SEEDS] for n in neighbours(call, info.params)]
    node = function_node(task.source, info.name, task.start_line)
    base = function_node(task.base_source, info.name) if task.base_source else None
    names = [p.name for p in info.params]
    found = boundaries(node, names, task.changed_lines, base) if node else []
    strings = changed_strings(node, task.changed_lines) if node else []
    lines = task.source.splitlines()
    changed = [lines[n - task.start_line] for n in task.changed_lines
               if 0 <= n - task.start_line < len(lines)]
    return Probe(
        module=task.module, symbol=task.symbol, kind=task.kind, file=task.file,
        changed_lines=task.changed_lines, params=info.params, member=info.member,
        targets=tuple(targets), calls=tuple([*seeds[:MAX_SEEDS], *near]),
        boundaries=tuple(found), strings=tuple(strings), **limits,  # type: ignore[arg-type]
        subclass=task.kind == "method" and any(_SUBCLASS.search(line) for line in changed),
    )
