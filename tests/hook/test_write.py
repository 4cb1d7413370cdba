"""tta_ci.hook.write: never into a file that holds uncommitted work; reruns do nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.core.types import Task
from tta_ci.git.cli import protected_paths
from tta_ci.hook.write import (
    already_written,
    load_written,
    record_written,
    route_tests,
    sibling_path,
    write_routed,
)
from tta_ci.publish.files import AcceptedTest

CODE = "import pkg.calc\n\n\ndef test_add() -> None:\n    assert pkg.calc.add(1, 2) == 3\n"
USER_TESTS = "def test_mine() -> None:\n    assert 1 + 1 == 2\n"


def _accepted(test_file: str = "tests/test_calc.py", code: str = CODE) -> AcceptedTest:
    return AcceptedTest(target="pkg/calc.py::add", test_file=test_file, code=code)


def _task(source: str = "def add(a, b):\n    return a + b\n") -> Task:
    return Task(id="pkg/calc.py::add", file="pkg/calc.py", symbol="add", kind="function",
                changed_lines=(1, 2), test_file="tests/test_calc.py", source=source)


@pytest.mark.parametrize(
    ("test_file", "sibling"),
    [
        pytest.param("tests/test_calc.py", "tests/test_calc_tta.py", id="test-prefix"),
        pytest.param("pkg/calc_test.py", "pkg/calc_tta_test.py", id="test-suffix"),
        pytest.param("test_top.py", "test_top_tta.py", id="top-level"),
    ],
)
def test_sibling_keeps_a_test_file_name(test_file: str, sibling: str) -> None:
    assert sibling_path(test_file) == sibling


def test_clean_committed_test_file_is_written_into(git_repo: Path, commit: CommitFn) -> None:
    commit({"tests/test_calc.py": USER_TESTS})
    routing = route_tests(git_repo, [_accepted()], protected_paths(git_repo))
    assert write_routed(git_repo, routing) == ["tests/test_calc.py"]
    text = (git_repo / "tests/test_calc.py").read_text()
    assert USER_TESTS in text and "def test_add" in text and "import pkg.calc" in text
    assert routing.notes == []


@pytest.mark.parametrize("stage", [True, False], ids=["staged", "unstaged-edit"])
def test_a_test_file_with_uncommitted_work_is_never_modified(
    git_repo: Path, commit: CommitFn, stage: bool
) -> None:
    commit({"tests/test_calc.py": USER_TESTS})
    edited = USER_TESTS + "\n\ndef test_more() -> None:\n    assert 2 * 2 == 4\n"
    write(git_repo, {"tests/test_calc.py": edited})
    if stage:
        git(git_repo, "add", "tests/test_calc.py")
    index_before = git(git_repo, "diff", "--cached")
    routing = route_tests(git_repo, [_accepted()], protected_paths(git_repo))
    assert write_routed(git_repo, routing) == ["tests/test_calc_tta.py"]
    assert (git_repo / "tests/test_calc.py").read_text() == edited
    assert git(git_repo, "diff", "--cached") == index_before
    assert "def test_add" in (git_repo / "tests/test_calc_tta.py").read_text()
    assert routing.notes == [
        "tests/test_calc.py holds uncommitted changes; wrote tests/test_calc_tta.py instead"]


def test_nothing_is_written_when_the_sibling_is_protected_too(git_repo: Path) -> None:
    write(git_repo, {"tests/test_calc.py": USER_TESTS, "tests/test_calc_tta.py": USER_TESTS})
    git(git_repo, "add", "tests")
    routing = route_tests(git_repo, [_accepted()], protected_paths(git_repo))
    assert write_routed(git_repo, routing) == []
    assert (git_repo / "tests/test_calc.py").read_text() == USER_TESTS
    assert (git_repo / "tests/test_calc_tta.py").read_text() == USER_TESTS
    assert "not written" in routing.notes[0]


def test_an_invalid_staged_test_file_sends_tests_to_the_sibling(git_repo: Path) -> None:
    write(git_repo, {"tests/test_calc.py": "def broken(:\n"})
    git(git_repo, "add", "tests")
    routing = route_tests(git_repo, [_accepted()], protected_paths(git_repo))
    assert write_routed(git_repo, routing) == ["tests/test_calc_tta.py"]
    assert (git_repo / "tests/test_calc.py").read_text() == "def broken(:\n"


def test_tests_already_present_are_not_written_again(git_repo: Path) -> None:
    first = route_tests(git_repo, [_accepted()], set())
    assert write_routed(git_repo, first) == ["tests/test_calc.py"]
    git(git_repo, "add", "tests/test_calc.py")  # the user reviewed and staged it
    again = route_tests(git_repo, [_accepted()], protected_paths(git_repo))
    assert write_routed(git_repo, again) == []
    assert again.present == ["tests/test_calc.py"]


def test_records_let_a_rerun_skip_tasks_whose_tests_were_kept(git_repo: Path) -> None:
    records = git_repo / ".tta-ci/cache/hook-written.json"
    routing = route_tests(git_repo, [_accepted()], set())
    write_routed(git_repo, routing)
    record_written(records, [_task()], routing.tests)
    codes = load_written(records, [_task()])
    assert codes == {"pkg/calc.py::add": ("tests/test_calc.py", CODE)}
    assert already_written(git_repo, codes) == {"pkg/calc.py::add": "tests/test_calc.py"}
    # the function changed again: the record no longer applies
    assert load_written(records, [_task("def add(a, b):\n    return b + a\n")]) == {}
    # the user deleted the written tests: the task runs again
    (git_repo / "tests/test_calc.py").unlink()
    assert already_written(git_repo, codes) == {}


def test_unreadable_records_are_no_records(tmp_path: Path) -> None:
    (tmp_path / "hook-written.json").write_text("{not json")
    assert load_written(tmp_path / "hook-written.json", [_task()]) == {}
    assert load_written(tmp_path / "missing.json", [_task()]) == {}


