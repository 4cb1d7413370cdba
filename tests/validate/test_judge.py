"""tta_ci.validate.judge: one test function judged from its runs; coverage; pruning; feedback."""

from __future__ import annotations

import pytest

from tta_ci.core.types import TestVerdict
from tta_ci.validate.judge import (
    OUTPUT_LIMIT,
    Coverage,
    FunctionRuns,
    executable_lines,
    function_name,
    judge_function,
    merge_outcomes,
    prune,
    render_feedback,
)
from tta_ci.validate.runner import RunReport, TestRecord


def rec(outcome: str = "passed", **fields: object) -> TestRecord:
    return TestRecord(nodeid="t.py::test_x", outcome=outcome, **fields)  # type: ignore[arg-type]


FAIL = rec("failed", exc_type="AssertionError", message="assert 1 == 2")


@pytest.mark.parametrize(
    ("nodeid", "name"),
    [
        pytest.param("tests/t.py::test_b", "test_b", id="function"),
        pytest.param("tests/t.py::TestA::test_b[1-2]", "TestA::test_b", id="class-and-params"),
        pytest.param("t.py", "t.py", id="no-function"),
    ],
)
def test_function_name(nodeid: str, name: str) -> None:
    assert function_name(nodeid) == name


def test_executable_lines_leave_out_definitions() -> None:
    source = "import os\n\n\ndef f(x):\n    y = x\n    return y\n\n\nclass C:\n    z = 1\n"
    assert executable_lines(source) == {1, 5, 6, 10}
    assert executable_lines("def (:\n") == set()


def test_coverage_keeps_changed_lines_and_the_branches_leaving_them() -> None:
    cov = Coverage()
    cov.add({"lines": [1, 2, 3], "arcs": [[2, 3], [3, -1], [1, 2]]}, changed={2, 3})
    assert (cov.lines, cov.arcs) == ({2, 3}, {(2, 3), (3, -1)})
    rest = cov.minus(Coverage(lines={2}, arcs={(2, 3)}))
    assert (rest.lines, rest.arcs) == ({3}, {(3, -1)})
    assert cov and not Coverage()


@pytest.mark.parametrize(
    ("records", "covered", "expected"),
    [
        pytest.param([rec(), rec()], True, TestVerdict(status="accepted", reason="accepted"),
                     id="passes-every-run"),
        pytest.param([], True, TestVerdict(status="rejected", reason="not collected"),
                     id="never-ran"),
        pytest.param([rec(), None], True, None, id="missing-in-a-run-is-flaky"),
        pytest.param([rec(), FAIL], True, None, id="mixed-outcomes-are-flaky"),
        pytest.param([rec(violation="forbidden call: socket")], True,
                     TestVerdict(status="rejected", reason="forbidden call: socket"),
                     id="violation"),
        pytest.param([rec("timeout", message="exit status -9")], True,
                     TestVerdict(status="rejected", reason="timeout", message="exit status -9"),
                     id="timeout"),
        pytest.param([rec(output_bytes=OUTPUT_LIMIT + 1)], True,
                     TestVerdict(status="rejected", reason="too much output",
                                 message=f"{OUTPUT_LIMIT + 1} bytes captured"), id="output"),
        pytest.param([rec("skipped", message="no numpy")], True,
                     TestVerdict(status="rejected", reason="skipped", message="no numpy"),
                     id="skipped"),
        pytest.param([FAIL, FAIL], True,
                     TestVerdict(status="rejected", reason="failed",
                                 message="AssertionError: assert 1 == 2"),
                     id="same-assertion-without-evidence-is-a-wrong-guess"),
        pytest.param([FAIL, FAIL], False,
                     TestVerdict(status="rejected", reason="failed",
                                 message="AssertionError: assert 1 == 2"),
                     id="failure-without-coverage"),
        pytest.param([rec("failed", exc_type="TypeError", message="TypeError: bad")], True,
                     TestVerdict(status="rejected", reason="failed", message="TypeError: bad"),
                     id="error-is-a-failure"),
    ],
)
def test_judge_function(records: list[TestRecord | None], covered: bool,
                        expected: TestVerdict | None) -> None:
    runs = FunctionRuns(records=records, coverage=Coverage(lines={3} if covered else set()))
    verdict = judge_function(runs)
    if expected is None:
        assert (verdict.status, verdict.reason) == ("rejected", "flaky")
        assert verdict.message.startswith("outcomes [")
    else:
        assert verdict == expected


@pytest.mark.parametrize(
    ("records", "covered", "status"),
    [
        pytest.param([FAIL, FAIL], True, "possible_bug", id="same-failure-every-run"),
        pytest.param([rec("failed", exc_type="ValueError", message="ValueError: x")] * 2, True,
                     "possible_bug", id="same-exception-every-run"),
        pytest.param([FAIL, rec("failed", exc_type="AssertionError", message="assert 3 == 2")],
                     True, "rejected", id="different-failures"),
        pytest.param([rec("failed", phase="setup", exc_type="AssertionError",
                          message="AssertionError: assert 1 == 2")] * 2, True, "rejected",
                     id="fails-in-a-fixture"),
        pytest.param([FAIL, FAIL], False, "rejected", id="runs-no-changed-line"),
    ],
)
def test_a_possible_bug_needs_evidence(records: list[TestRecord], covered: bool,
                                       status: str) -> None:
    runs = FunctionRuns(records=records, coverage=Coverage(lines={3} if covered else set()))
    verdict = judge_function(runs, evidence="doctest: >>> f(1) gives 2")
    assert verdict.status == status
    assert judge_function(runs).status == "rejected"


def test_merge_keeps_the_worst_parametrized_case_per_run() -> None:
    reports = [
        RunReport(results={
            "a.py::test_x[1]": TestRecord(nodeid="a.py::test_x[1]", outcome="passed"),
            "a.py::test_x[2]": TestRecord(nodeid="a.py::test_x[2]", outcome="failed"),
            "b.py::test_x": TestRecord(nodeid="b.py::test_x", outcome="crashed"),
        }),
        RunReport(results={"a.py::test_x[1]": TestRecord(nodeid="a.py::test_x[1]",
                                                          outcome="passed")}),
    ]
    runs = merge_outcomes(reports, "a.py", ["test_x", "test_y"])
    assert [r.outcome if r else None for r in runs["test_x"].records] == ["failed", "passed"]
    assert runs["test_y"].records == [None, None]


def test_feedback_names_each_failure_and_the_uncovered_lines() -> None:
    tests = {"test_ok": TestVerdict(status="accepted", reason="accepted"),
             "test_bad": TestVerdict(status="rejected", reason="failed", message="short")}
    text = render_feedback(tests, {"test_bad": "E  assert 1 == 2"}, [2, 9],
                           ["def f():", "    return 1"])
    assert text == ("### test_bad: failed\nE  assert 1 == 2\n\n"
                    "### changed lines no test covers\n2:     return 1")
    long = render_feedback(tests, {"test_bad": "x" * 9000}, [], [], limit=500)
    assert len(long) <= 500 and long.endswith("\n... (truncated)")


def test_prune_keeping_everything_returns_the_code_as_it_is() -> None:
    code = ("import math\n\n\ndef test_a():\n    assert math.pi\n\n\n"
            "class TestB:\n    def test_c(self):\n        assert 1\n")
    assert prune(code, ["test_a", "TestB::test_c"]) is code
    nested = "def test_a():\n    def test_inner():\n        pass\n    assert 1\n"
    assert "test_inner" not in prune(nested, ["test_a"])  # as before: the careful way
    helper = "def helper():\n    return 1\n\n\ndef test_a():\n    assert 1\n"
    assert "helper" not in prune(helper, ["test_a"])  # every test stays, an unused helper goes
