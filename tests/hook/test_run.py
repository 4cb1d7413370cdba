"""tta_ci.hook.run: the hook's work past its no-op path, where no task needs a run (a run of the
whole hook is in tests/e2e/test_hook.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.core.config import Config
from tta_ci.hook.run import check, final_line, generate
from tta_ci.hook.write import record_written
from tta_ci.plan import plan_change
from tta_ci.publish.files import AcceptedTest, write_accepted_tests

CALC = "def add(a: int, b: int) -> int:\n    return a + b\n\n\ndef _h(x: int) -> int:\n" \
       "    return x\n"
CODE = "from calc import add\n\n\ndef test_add() -> None:\n    assert add(1, 2) == 3\n"


@pytest.mark.parametrize(
    ("written", "present", "environ", "expected"),
    [
        pytest.param(["tests/test_a.py"], [], {"PRE_COMMIT": "1"},
                     "wrote 1 test file(s); review them, then `git add tests/test_a.py` and "
                     "commit again", id="written-in-pre-commit"),
        pytest.param(["t/a.py", "t/b.py"], ["t/c.py"], {},
                     "wrote 2 test file(s); review them, then `git add t/a.py t/b.py`",
                     id="written-by-hand"),
        pytest.param([], ["t/a.py", "t/b.py"], {},
                     "the accepted tests are already in t/a.py, t/b.py; nothing to add",
                     id="already-present"),
        pytest.param([], [], {}, "no new test accepted; nothing to add", id="nothing"),
    ],
)
def test_final_line(written: list[str], present: list[str], environ: dict[str, str],
                    expected: str) -> None:
    assert final_line(written, present, environ) == expected


def test_nothing_staged_to_test(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(git_repo, {"README.md": "# calc\n"})
    git(git_repo, "add", "README.md")
    assert generate(git_repo, Config(), ["README.md"], {}) == 0
    assert capsys.readouterr().out == "tta-ci: nothing to test in the staged change\n"


def test_tests_kept_from_an_earlier_run_are_not_generated_again(
    git_repo: Path, commit: CommitFn, capsys: pytest.CaptureFixture[str]
) -> None:
    commit({"calc.py": CALC.replace("return a + b", "return 0")})
    write(git_repo, {"calc.py": CALC})
    git(git_repo, "add", "calc.py")
    config = Config()
    tasks = plan_change(git_repo, config, {}, staged=True, paths=["calc.py"]).tasks
    assert [t.id for t in tasks] == ["calc.py::add"]
    accepted = [AcceptedTest(target="calc.py::add", test_file="tests/test_calc.py", code=CODE)]
    write_accepted_tests(git_repo, accepted)
    record_written(git_repo / ".tta-ci/cache/hook-written.json", tasks, accepted)
    assert generate(git_repo, config, ["calc.py"], {"PRE_COMMIT": "1"}) == 0
    assert capsys.readouterr().out.splitlines() == [
        "tta-ci: ✔ accepted calc.py::add: already in tests/test_calc.py",
        "tta-ci: the accepted tests are already in tests/test_calc.py; nothing to add",
    ]


def test_check_of_a_private_only_change(git_repo: Path, commit: CommitFn,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    commit({"calc.py": CALC})
    write(git_repo, {"calc.py": CALC.replace("return x\n", "return x + 0\n")})
    git(git_repo, "add", "calc.py")
    assert check(git_repo, Config(), ["calc.py"], {}) == 0
    assert capsys.readouterr().out == "tta-ci: no changed public function to check\n"


def test_a_task_the_backend_would_not_try_is_named(
    git_repo: Path, commit: CommitFn, capsys: pytest.CaptureFixture[str]
) -> None:
    commit({"calc.py": "async def add(a, b):\n    return 0\n"})
    write(git_repo, {"calc.py": "async def add(a, b):\n    return a + b\n"})
    git(git_repo, "add", "calc.py")
    assert generate(git_repo, Config(backend="offline"), ["calc.py"], {}) == 0
    assert capsys.readouterr().out.splitlines() == [
        "tta-ci: - skipped calc.py::add (offline backend): no offline strategy: add is async "
        "(an event loop is not set up)",
        "tta-ci: nothing to test in the staged change",
    ]


def test_a_result_from_the_cache_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    from tta_ci.engine import TaskResult
    from tta_ci.hook.run import _on_result

    for cached in (True, False):
        _on_result(TaskResult(task_id="calc.py::add", status="completed", outcome="accepted",
                              cached=cached), 1, 1)
    assert capsys.readouterr().out.splitlines() == [
        "tta-ci: ✔ accepted calc.py::add (cached)", "tta-ci: ✔ accepted calc.py::add"]
