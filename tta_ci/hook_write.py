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

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tta_ci.publish.files import (
    AcceptedTest,
    merge_test_code,
    render_header,
    write_accepted_tests,
)
from tta_ci.report import MetricsDocument

__all__ = ["Routing", "accepted_tests", "route_tests", "sibling_path", "write_routed"]


@dataclass
class Routing:
    """The tests to write (with their final ``test_file``) and what to tell the user."""

    tests: list[AcceptedTest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # files that already hold their tests


def accepted_tests(doc: MetricsDocument) -> list[AcceptedTest]:
    """The accepted tests of a run, as the files writer takes them."""
    return [
        AcceptedTest(
            target=t.id, test_file=t.test_file, code=t.code, covered_lines=tuple(t.covered_lines),
            generator=t.generator, model=t.model, cost_usd=t.cost_usd,
        )
        for t in doc.tasks
        if t.status == "accepted" and t.code and t.test_file
    ]


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
    existing = _read(repo, test_file)
    merged = merge_test_code(existing, [t.code for t in group], render_header(group))
    return merged != existing


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
