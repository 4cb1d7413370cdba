"""Where the hook writes accepted tests: never into a file holding uncommitted user work.

Plan, then apply. ``route_tests`` decides, per test file, one of:

* the tests are already in the file (an earlier run wrote them, the user staged them):
  nothing to write;
* the file is clean (committed, unchanged) or does not exist: write into it;
* the file is staged, edited or untracked: write into its sibling ``test_x_tta.py``
  (``x_tta_test.py`` for ``x_test.py``) instead, unless that one is protected too, in which
  case nothing is written and a note says so.

``write_routed`` then hands the routed tests to the files writer, which merges every file
before writing any and replaces each atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tta_ci.core.paths import make_dirs
from tta_ci.core.types import Task
from tta_ci.publish.files import (
    AcceptedTest,
    TestFileError,
    render_header,
    write_accepted_tests,
)

__all__ = [
    "Routing",
    "already_written",
    "load_written",
    "record_written",
    "route_tests",
    "sibling_path",
    "write_routed",
]


@dataclass
class Routing:
    """The tests to write (with their final ``test_file``) and what to tell the user."""

    tests: list[AcceptedTest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # files that already hold their tests


def sibling_path(test_file: str) -> str:
    """``tests/test_calc.py`` → ``tests/test_calc_tta.py``; ``x_test.py`` → ``x_tta_test.py``."""
    path = PurePosixPath(test_file)
    stem = path.stem
    name = f"{stem[:-5]}_tta_test.py" if stem.endswith("_test") else f"{stem}_tta.py"
    return (path.parent / name).as_posix()


def _read(repo: Path, test_file: str) -> str | None:
    path = repo / test_file
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as f:
        return f.read()


def _changes(repo: Path, test_file: str, group: Sequence[AcceptedTest]) -> bool:
    """Whether merging ``group`` into ``test_file`` would change it."""
    from tta_ci.publish.testcode import merge_test_code  # libcst: only when a test is routed

    existing = _read(repo, test_file)
    try:
        merged = merge_test_code(existing, [t.code for t in group], render_header(group))
    except TestFileError:  # not valid Python: the writer refuses it, or a sibling is used
        return True
    return merged != existing


def already_written(repo: Path, codes: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Task id → the file that already holds that task's accepted test.

    ``codes`` maps a task id to (its test file, the accepted code a run cached for it); the
    test file and its sibling are looked at, so that a rerun after ``git add`` has nothing to do.
    """
    found: dict[str, str] = {}
    for task_id, (test_file, code) in codes.items():
        test = AcceptedTest(target=task_id, test_file=test_file, code=code)
        for candidate in (test_file, sibling_path(test_file)):
            if (repo / candidate).is_file() and not _changes(repo, candidate, [test]):
                found[task_id] = candidate
                break
    return found


def route_tests(
    repo: Path, tests: Sequence[AcceptedTest], protected: Collection[str]
) -> Routing:
    """Decide where each group of tests goes (see the module docstring)."""
    groups: dict[str, list[AcceptedTest]] = {}
    for test in tests:
        groups.setdefault(test.test_file, []).append(test)
    routing = Routing()
    for test_file, group in groups.items():
        if not _changes(repo, test_file, group):
            routing.present.append(test_file)
            continue
        target = test_file
        if test_file in protected:
            target = sibling_path(test_file)
            if not _changes(repo, target, group):
                routing.present.append(target)
                continue
            if target in protected:
                routing.notes.append(
                    f"{test_file} and {target} hold uncommitted changes; "
                    f"{len(group)} accepted test module(s) not written"
                )
                continue
            routing.notes.append(f"{test_file} holds uncommitted changes; wrote {target} instead")
        routing.tests.extend(t.model_copy(update={"test_file": target}) for t in group)
    return routing


def write_routed(repo: Path, routing: Routing) -> list[str]:
    """Write the routed tests; the repository-relative files written, sorted."""
    return sorted(set(write_accepted_tests(repo, routing.tests)))


# -- what earlier runs wrote --------------------------------------------------------------


def _source_hash(task: Task) -> str:
    return hashlib.sha256(f"{task.file}\0{task.source}".encode()).hexdigest()


def load_written(path: Path, tasks: Sequence[Task]) -> dict[str, tuple[str, str]]:
    """Task id → (test file, code) of the tests an earlier run wrote for the same source.

    A missing or unreadable record file is an empty record: the run then simply generates.
    """
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(records, dict):
        return {}
    found: dict[str, tuple[str, str]] = {}
    for task in tasks:
        record = records.get(task.id)
        if (isinstance(record, dict) and record.get("source") == _source_hash(task)
                and isinstance(record.get("test_file"), str)
                and isinstance(record.get("code"), str)):
            found[task.id] = (record["test_file"], record["code"])
    return found


def record_written(path: Path, tasks: Sequence[Task], tests: Sequence[AcceptedTest]) -> None:
    """Remember the accepted tests of this run, keyed by task id and the task's source."""
    by_id = {t.id: t for t in tasks}
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        records = {}
    if not isinstance(records, dict):
        records = {}
    for test in tests:
        task = by_id.get(test.target)
        if task is not None:
            records[test.target] = {"source": _source_hash(task), "test_file": test.test_file,
                                    "code": test.code}
    make_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
