"""tta_ci.generators.offline.guard: a call's CPU time, output, file and process use, lines run.

The audit hook cannot be removed once installed, so the checks that need it run in a child
interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tta_ci.generators.offline.guard import OverBudget, Tracer, guarded

CHILD = '''
import os, subprocess, sys
from tta_ci.generators.offline.guard import guarded, install_audit

install_audit()
with open({path!r}, "w") as before:  # not watched: allowed
    before.write("x")
for name, action in [
    ("write", lambda: open({path!r}, "a")),
    ("remove", lambda: os.remove({path!r})),
    ("spawn", lambda: subprocess.run(["true"])),
    ("read", lambda: open({path!r}).read()),
]:
    try:
        with guarded(1.0) as printed:
            action()
    except PermissionError:
        pass
    print(name, printed.touched or "-", printed.clean)
'''


@pytest.mark.slow
def test_writes_removals_and_processes_are_refused_reads_are_not(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    done = subprocess.run([sys.executable, "-c", CHILD.format(path=str(path))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    assert lines[:4] == ["write open False", "remove os.remove False",
                         "spawn subprocess.Popen False", "read - True"]
    assert path.read_text() == "x"


def test_cpu_time_is_bounded() -> None:
    with pytest.raises(OverBudget), guarded(0.2):
        while True:
            pass


def test_output_is_captured_and_a_flood_is_flagged() -> None:
    with guarded(1.0) as small:
        print("hello")
    assert small.text == "hello\n" and small.clean
    with guarded(5.0) as flood:
        for _ in range(10_000):
            print("x" * 10)
    assert flood.big and not flood.clean


def _target(n: int) -> int:
    if n > 3:
        return 1
    return 0


def test_the_tracer_records_changed_lines_and_runs_probes() -> None:
    first = _target.__code__.co_firstlineno
    seen: list[int] = []
    tracer = Tracer(__file__, {first + 1, first + 2, first + 3})
    tracer.probes[first + 1] = [lambda namespace: seen.append(namespace["n"])]
    with tracer.tracing() as lines:
        _target(5)
    assert lines == {first + 1, first + 2} and seen == [5]
