"""tta_ci.validate.verdict: one candidate's Verdict from its static report and the batch's
runs (scripted run reports, no sandbox)."""

from __future__ import annotations

from tta_ci.core.mutants import Mutant
from tta_ci.core.types import MutationScore, Survivor, Task, TestVerdict, Verdict
from tta_ci.validate.behaviour import NOTHING
from tta_ci.validate.gates import StaticReport
from tta_ci.validate.gates import check_static as _check_static
from tta_ci.validate.imports import ImportPolicy
from tta_ci.validate.judge import Coverage
from tta_ci.validate.mutation import BASE_OPERATOR, Planned
from tta_ci.validate.runner import RunReport, TestRecord
from tta_ci.validate.verdict import Batch, build_verdict

TASK = Task(id="calc.py::f", file="calc.py", symbol="f", kind="function", changed_lines=(2, 3),
            test_file="tests/test_calc.py")
SOURCE = ["def f(x):", "    if x:", "        return 1", "    return 0"]
CODE = ("from calc import f\n\n\ndef test_one():\n    assert f(1) == 1\n\n\n"
        "def test_zero():\n    assert f(0) == 0\n\n\ndef test_weak():\n    assert True\n")
PATH = "tests/test_tta_0.py"
SECRET = "sk-or-v1-verdict-secret"


def check_static(code: str) -> StaticReport:
    return _check_static(code, policy=ImportPolicy(project=frozenset({"calc"})))


def batch(*reports: RunReport, **fields: object) -> Batch:
    values: dict[str, object] = {"task": TASK, "isolation": "bwrap", "changed": {2, 3},
                                 "paths": {0: PATH}, "source_lines": SOURCE,
                                 "reports": list(reports),
                                 "redact": lambda text: text.replace(SECRET, "***")}
    values.update(fields)
    return Batch(**values)  # type: ignore[arg-type]


def run(outcomes: dict[str, str], coverage: dict[str, list[int]] | None = None,
        **fields: object) -> RunReport:
    results = {f"{PATH}::{n}": TestRecord(nodeid=f"{PATH}::{n}", outcome=o,
                                          exc_type="AssertionError" if o == "failed" else "",
                                          message=f"assert {SECRET}" if o == "failed" else "",
                                          longrepr=f"E  assert {SECRET}" if o == "failed" else "")
               for n, o in outcomes.items()}
    contexts = {f"{PATH}::{n}": {"lines": lines, "arcs": []}
                for n, lines in (coverage or {}).items()}
    return RunReport(results=results, coverage=contexts, **fields)  # type: ignore[arg-type]


def test_accepted_tests_are_kept_and_the_rest_pruned() -> None:
    report = run({"test_one": "passed", "test_zero": "passed"},
                 {"test_one": [1, 2, 3], "test_zero": [1, 2, 4]})
    verdict = build_verdict(0, CODE, check_static(CODE), batch(report, report), 1.23456)
    assert verdict.accepted and verdict.reason == "accepted"
    assert {n: v.status for n, v in verdict.tests.items()} == {
        "test_weak": "rejected", "test_one": "accepted", "test_zero": "rejected"}
    assert verdict.tests["test_weak"].reason == "trivial assertion"
    # test_zero runs line 2 only, which test_one runs too: it adds nothing
    assert verdict.tests["test_zero"].reason == NOTHING
    assert verdict.code is not None and "test_weak" not in verdict.code
    assert "def test_one" in verdict.code and "def test_zero" not in verdict.code
    assert (verdict.covered_lines, verdict.uncovered_lines) == ((2, 3), ())
    assert (verdict.isolation, verdict.duration_s) == ("bwrap", 1.235)
    assert verdict.checks["coverage"].ok and verdict.checks["pass"].detail == "3/3 pass"
    assert verdict.mutation is None and "mutation" not in verdict.checks


def test_a_test_that_covers_nothing_new_is_rejected() -> None:
    report = run({"test_one": "passed", "test_zero": "passed"}, {"test_one": [2, 3]})
    verdict = build_verdict(0, CODE, check_static(CODE),
                            batch(report, baseline=Coverage(lines={2, 3})), 0)
    assert not verdict.accepted and verdict.reason == NOTHING
    assert verdict.code is None and not verdict.checks["coverage"].ok


def planned(line: int, operator: str) -> Planned:
    mutant = Mutant(line=line, description=f"line {line}: {operator}", source="")
    return Planned(mutant=mutant, operator=operator, code=f"mutated {line}",
                   reach=frozenset({line}))


def test_a_test_that_kills_a_mutant_the_existing_tests_miss_is_kept() -> None:
    """The boundary case: every changed line is covered already, yet one test pins it."""
    report = run({"test_one": "passed", "test_zero": "passed"},
                 {"test_one": [2, 3], "test_zero": [2, 4]})
    mutants = [planned(2, "`x` → `not x`"), planned(3, "`1` → `2`"), planned(3, BASE_OPERATOR)]
    found = batch(report, baseline=Coverage(lines={2, 3}), planned=mutants,
                  killed_by_existing={0}, kills={f"{PATH}::test_zero": {0},
                                                 f"{PATH}::test_one": {0, 2}})
    verdict = build_verdict(0, CODE, check_static(CODE), found, 0)
    assert verdict.accepted and verdict.covered_lines == ()
    assert verdict.tests["test_one"].status == "accepted"
    assert verdict.tests["test_zero"].reason == NOTHING  # kills only what the old tests kill
    assert verdict.mutation == MutationScore(
        tried=3, killed_by_existing=1, killed_with_accepted=2,
        survivors=(Survivor(line=3, operator="`1` → `2`", code="mutated 3"),))
    assert verdict.checks["mutation"].detail == (
        "3 mutants, 1 killed by the existing tests, 1 more by the kept tests: "
        f"line 3: {BASE_OPERATOR}")
    assert "- line 3: `1` → `2`: mutated 3" in verdict.feedback


def test_the_smallest_set_that_kills_the_most_is_kept() -> None:
    code = CODE.replace("assert True", "assert f(2) == 1")
    report = run({"test_one": "passed", "test_zero": "passed", "test_weak": "passed"},
                 {"test_one": [2, 3], "test_zero": [2, 4], "test_weak": [2, 3]})
    kills = {f"{PATH}::test_one": {0}, f"{PATH}::test_zero": {1}, f"{PATH}::test_weak": {0, 1}}
    found = batch(report, baseline=Coverage(lines={2, 3}),
                  planned=[planned(2, "a"), planned(3, "b")], kills=kills)
    verdict = build_verdict(0, code, check_static(code), found, 0)
    assert [n for n, v in verdict.tests.items() if v.status == "accepted"] == ["test_weak"]
    assert verdict.mutation is not None and verdict.mutation.killed_with_accepted == 2


def test_a_consistent_failure_is_a_possible_bug_only_with_evidence() -> None:
    report = run({"test_one": "failed", "test_zero": "failed"},
                 {"test_one": [2, 3], "test_zero": [2, 4]})
    evidence = {PATH: {"test_one": f"doctest: >>> f(1) gives 1 {SECRET}"}}
    verdict = build_verdict(0, CODE, check_static(CODE),
                            batch(report, report, evidence=evidence), 0)
    assert not verdict.accepted and verdict.reason == "possible bug"
    (bug,) = verdict.possible_bugs
    assert (bug.test, bug.message, bug.file, bug.reason) == (
        "test_one", "AssertionError: assert ***", "tests/test_calc.py",
        "doctest: >>> f(1) gives 1 ***")
    assert verdict.tests["test_zero"].reason == "failed"  # the generator's own guess
    assert SECRET not in verdict.feedback and "### test_one: possible bug" in verdict.feedback
    guessed = build_verdict(0, CODE, check_static(CODE), batch(report, report), 0)
    assert guessed.reason == "failed" and not guessed.possible_bugs


def test_an_import_error_is_the_reason() -> None:
    report = RunReport(collect_errors={PATH: "ImportError while importing\nE   ModuleNotFound"
                                             "Error: No module named 'calcx'\n"})
    verdict = build_verdict(0, CODE, check_static(CODE), batch(report), 0)
    assert verdict.reason == "import error: ModuleNotFoundError: No module named 'calcx'"
    assert not verdict.checks["collect"].ok and "pass" not in verdict.checks
    assert verdict.feedback == verdict.reason


def test_a_file_the_static_gates_refuse_never_runs() -> None:
    code = "import socket\n" + CODE
    verdict = build_verdict(0, code, check_static(code), batch(), 0)
    assert (verdict.accepted, verdict.reason) == (False, "forbidden call: socket (line 1)")
    assert verdict.uncovered_lines == (2, 3)
    assert verdict.feedback == "forbidden call: socket (line 1)"


def test_a_dead_file_and_a_polluter() -> None:
    dead = build_verdict(0, CODE, check_static(CODE), batch(RunReport(), dead={PATH: "timeout"}),
                         0)
    assert dead.reason == "timeout"
    report = run({"test_one": "passed", "test_zero": "passed"}, {"test_one": [2, 3]})
    polluter = build_verdict(0, CODE, check_static(CODE),
                             batch(report, polluters={PATH: "tests/test_old.py::test_a"}), 0)
    assert polluter.reason == "pollutes existing tests"
    assert polluter.checks["pollution"].detail == "breaks tests/test_old.py::test_a"


def test_what_the_module_level_tried_rejects_the_file() -> None:
    report = run({"test_one": "passed", "test_zero": "passed"},
                 {"test_one": [2, 3], "test_zero": [2, 4]},
                 file_violations={PATH: "reads outside the workspace: /root/.git-credentials"})
    verdict = build_verdict(0, CODE, check_static(CODE), batch(report), 0)
    assert not verdict.accepted and verdict.code is None
    assert verdict.reason == "reads outside the workspace: /root/.git-credentials"
    assert {v.reason for v in verdict.tests.values() if v.reason != "trivial assertion"} == {
        verdict.reason}
    after = run({"test_one": "passed"}, {"test_one": [2, 3]}, guarded=(PATH,),
                exit_violation="forbidden call: subprocess")
    late = build_verdict(0, CODE, check_static(CODE), batch(after), 0)
    assert late.reason == "forbidden call: subprocess (after the tests ended)"


def test_nothing_secret_leaves_in_any_field() -> None:
    from tta_ci.core.types import CheckResult, PossibleBug
    from tta_ci.validate.verdict import redacted

    leaky = Verdict(accepted=False, reason=f"import error: {SECRET}",
                    checks={"collect": CheckResult(ok=False, detail=SECRET)},
                    tests={"t": TestVerdict(status="rejected", reason=SECRET, message=SECRET)},
                    possible_bugs=(PossibleBug(test="t", message=SECRET),), feedback=SECRET)
    clean = redacted(leaky, lambda text: text.replace(SECRET, "***"))
    assert SECRET not in clean.model_dump_json() and "***" in clean.reason
