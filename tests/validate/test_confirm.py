"""tta_ci.validate.confirm (gate 8): a plain pytest + coverage run, read from outside, must agree
with the verdict; a verdict forged inside the test process does not survive it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tta_ci.core.types import TestVerdict, Verdict
from tta_ci.sandbox.isolation import bwrap_works
from tta_ci.validate.confirm import (
    PlainProcess,
    PlainRun,
    PlainServer,
    confirmed,
    disagreement,
    plain_run,
)

SOURCE = "def f(x):\n    if x > 0:\n        return 1\n    return 0\n"
TESTS = ("from hypothesis import given, strategies as st\n\nfrom calc import f\n\n\n"
         "def test_pos():\n    assert f(1) == 1\n\n\n"
         "def test_wrong():\n    assert f(0) == 1\n\n\nclass TestZero:\n"
         "    def test_zero(self):\n        assert f(-1) == 0\n\n\n"
         "@given(st.integers(max_value=0))\ndef test_never_positive(x):\n    assert f(x) == 0\n")


LEVELS = ["fallback"] + (["bwrap"] if bwrap_works() else [])
ENV = {"PATH": os.defpath}
CALC = "def double(x):\n    return x * 2\n"
# its module code runs when pytest imports it: a file in the workspace says that it did
LOUD = ("from pathlib import Path\n\nfrom calc import double\n\nPath('imported').touch()\n\n\n"
        "def test_double():\n    assert double(2) == 4\n")


def verdict(*accepted: str, covered: tuple[int, ...] = (3,)) -> Verdict:
    tests = {n: TestVerdict(status="accepted", reason="accepted") for n in accepted}
    return Verdict(accepted=True, reason="accepted", tests=tests, code="...",
                   covered_lines=covered)


def test_agreement_and_each_kind_of_disagreement() -> None:
    run = PlainRun(outcomes={"test_pos": "passed", "TestZero::test_zero": "passed"},
                   lines={"test_pos": {2, 3}, "TestZero::test_zero": {2, 4}},
                   arcs={"test_pos": {(2, 3)}, "TestZero::test_zero": {(2, 4)}})
    changed = {2, 3, 4}
    assert disagreement(verdict("test_pos", "TestZero::test_zero"), run, changed) is None
    assert disagreement(verdict("test_pos", "test_gone"), run, changed) == (
        "test_gone did not run")
    failing = PlainRun({**run.outcomes, "test_pos": "failed"}, run.lines, run.arcs)
    assert disagreement(verdict("test_pos"), failing, changed) == (
        "test_pos failed when run plainly")
    assert disagreement(verdict("test_pos", "TestZero::test_zero", covered=(3, 9)), run,
                        changed) == "line 9 of the target did not run"
    assert disagreement(verdict("test_pos"), run, changed) == (
        "TestZero::test_zero runs but was not judged")
    assert disagreement(verdict("test_pos", "TestZero::test_zero"), run, {9}) == (
        "test_pos runs no changed line")
    broken = PlainRun({}, {}, {}, problem="its reports could not be read (x)")
    assert disagreement(verdict("test_pos"), broken, changed) == broken.problem


def test_a_disagreement_rejects_the_file_with_the_reason() -> None:
    rejected = confirmed(verdict("test_pos"), "test_pos failed when run plainly")
    assert not rejected.accepted and rejected.code is None
    assert rejected.reason == "re-check disagrees: test_pos failed when run plainly"
    assert rejected.tests["test_pos"].status == "rejected"
    assert not rejected.checks["recheck"].ok
    kept = confirmed(verdict("test_pos"), None)
    assert kept.accepted and kept.checks["recheck"].ok


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["fallback"] + (["bwrap"] if bwrap_works() else []))
def test_the_plain_run_is_read_from_outside(tmp_path: Path, isolation: str) -> None:
    (tmp_path / "calc.py").write_text(SOURCE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_calc.py").write_text(TESTS)
    names = ["test_pos", "test_wrong", "TestZero::test_zero", "test_never_positive"]
    run = asyncio.run(plain_run(tmp_path, "tests/test_calc.py", "calc.py", names,
                                environ={"PATH": os.defpath}, python_path=(".",),
                                isolation=isolation, timeout_s=120))
    assert run.problem is None
    assert run.outcomes == {"test_pos": "passed", "test_wrong": "failed",
                            "TestZero::test_zero": "passed", "test_never_positive": "passed"}
    assert run.lines["test_pos"] >= {2, 3} and 3 not in run.lines["TestZero::test_zero"]
    # Hypothesis runs the test body under its own test_function: the lines still count
    assert run.lines["test_never_positive"] >= {2, 4}
    # what a forged verdict claimed — a failing test passed, a line ran — does not hold
    forged = verdict("test_pos", "test_wrong", "TestZero::test_zero", "test_never_positive",
                     covered=(3,))
    assert disagreement(forged, run, {2, 3, 4}) == "test_wrong failed when run plainly"


@pytest.mark.slow
@pytest.mark.parametrize("isolation", LEVELS)
def test_the_waiting_interpreter_runs_nothing_of_the_workspace_before_its_go(
        tmp_path: Path, isolation: str) -> None:
    (tmp_path / "calc.py").write_text(CALC)
    (tmp_path / "test_calc.py").write_text(LOUD)

    async def scenario() -> tuple[bool, bool, dict[str, str]]:
        async with PlainProcess(tmp_path, environ=ENV, python_path=(".",), isolation=isolation,
                                timeout_s=60) as process:
            await asyncio.sleep(3)  # long enough to import pytest, collect and run
            early = (tmp_path / "imported").exists()
            run = await process.run("test_calc.py", "calc.py", ["test_double"])
            return early, (tmp_path / "imported").exists(), run.outcomes

    early, late, outcomes = asyncio.run(scenario())
    assert not early and late
    assert outcomes == {"test_double": "passed"}


@pytest.mark.slow
def test_a_run_past_its_time_limit_is_no_confirmation(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(CALC)
    (tmp_path / "test_calc.py").write_text("import time\n\nfrom calc import double\n\n\n"
                                           "def test_slow():\n    time.sleep(60)\n"
                                           "    assert double(1) == 2\n")

    async def scenario() -> tuple[str | None, int | None]:
        async with PlainProcess(tmp_path, environ=ENV, python_path=(".",),
                                isolation="fallback", timeout_s=3) as process:
            run = await process.run("test_calc.py", "calc.py", ["test_slow"])
        assert process._proc is not None
        return run.problem, process._proc.returncode

    problem, returncode = asyncio.run(scenario())
    assert problem == "it did not finish within 3s"
    assert returncode is not None  # ended with the block


@pytest.mark.slow
def test_warnings_as_errors_do_not_fail_the_plugins_imported_while_waiting(
        tmp_path: Path) -> None:
    # the waiting interpreter imports the installed pytest plugins and Hypothesis before
    # pytest can rewrite them; a project that turns warnings into errors still gets its run
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\n'  # (pytest-asyncio's own deprecation aside)
        'filterwarnings = ["error", "ignore::pytest.PytestDeprecationWarning"]\n')
    (tmp_path / "calc.py").write_text(SOURCE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_calc.py").write_text(TESTS)
    run = asyncio.run(plain_run(tmp_path, "tests/test_calc.py", "calc.py", ["test_pos"],
                                environ=ENV, python_path=(".",), isolation=LEVELS[-1],
                                timeout_s=120))
    assert run.problem is None
    assert run.outcomes["test_pos"] == "passed"
    assert run.outcomes["test_never_positive"] == "passed"


GOOD = "from calc import double\n\n\ndef test_pos():\n    assert double(1) == 2\n"
PLANT = ("from pathlib import Path\n\nfrom calc import double\n\n\n"
         "def test_plants_a_conftest():\n"
         "    Path('conftest.py').write_text('raise SystemExit(0)')\n"
         "    assert double(2) == 4\n\n\n"
         "def test_plants_an_ini_above():\n"
         "    Path('../pytest.ini').write_text('[pytest]\\npython_files = none\\n')\n"
         "    assert double(2) == 4\n")


@pytest.mark.slow
@pytest.mark.skipif(not bwrap_works(), reason="the shared plain interpreter needs bubblewrap")
def test_one_plain_interpreter_re_checks_files_one_after_another(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(CALC)
    (tmp_path / "tests").mkdir()

    @contextlib.asynccontextmanager
    async def workspace() -> AsyncIterator[Path]:
        yield tmp_path

    server = PlainServer(workspace, environ=ENV, isolation="bwrap", timeout_s=60)

    async def scenario() -> list[PlainRun]:
        try:
            server.begin()
            runs = [await server.run(code, "tests/test_calc.py", "calc.py", names,
                                     python_path=(".",))
                    for code, names in ((PLANT, ["test_plants_a_conftest",
                                                 "test_plants_an_ini_above"]),
                                        (LOUD, ["test_double"]), (GOOD, ["test_pos"]))]
        finally:
            await server.close()
        return runs

    planted, loud, calc = asyncio.run(scenario())
    # the workspace is read-only in the sandbox: the test cannot leave a file for the next
    assert planted.outcomes == {"test_plants_a_conftest": "failed",
                                "test_plants_an_ini_above": "failed"}
    assert not (tmp_path / "conftest.py").exists() and not (tmp_path / "imported").exists()
    assert not (tmp_path.parent / "pytest.ini").exists()
    # nor can a module level that writes `imported`: the file does not even import
    assert disagreement(verdict("test_double", covered=(2,)), loud, {2}) == (
        "test_double did not run")
    assert calc.problem is None and calc.outcomes == {"test_pos": "passed"}
    assert calc.lines["test_pos"] == {2}
    assert sorted(p.name for p in (tmp_path / "tests").iterdir()) == []  # each file removed
