"""tta_ci.validate.mutation, gate 8 (opt-in): judging the mutants, and the gate end to end."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git

from tta_ci.cli.main import main
from tta_ci.core.config import Config, load_config
from tta_ci.core.mutants import Mutant
from tta_ci.core.types import CheckResult, TestVerdict, Verdict
from tta_ci.plan.single import task_for_lines
from tta_ci.validate import ResultValidator
from tta_ci.validate.mutation import REJECTED, judge_mutants, mutation_gate
from tta_ci.validate.runner import RunReport, RunSpec, TestRecord

# -- judging and running, with scripted runs ---------------------------------------------------


def report(outcomes: dict[str, str]) -> RunReport:
    return RunReport(results={n: TestRecord(nodeid=n, outcome=o) for n, o in outcomes.items()})


MUTANTS = [Mutant(line=2, description=f"line 2: m{i}", source=f"x = {i}\n") for i in range(3)]


def test_judge_counts_only_mutants_the_existing_tests_miss() -> None:
    reports = [
        report({"new::t": "failed", "old::t": "failed"}),  # both kill
        report({"new::t": "failed", "old::t": "passed"}),  # only the candidate kills
        report({"new::t": "passed", "old::t": "passed"}),  # survives
    ]
    judged = judge_mutants(MUTANTS, reports, "new", frozenset({"old::t"}))
    assert judged.ok
    assert [m.description for m in judged.killed] == ["line 2: m0", "line 2: m1"]
    assert [m.description for m in judged.unique] == ["line 2: m1"]
    assert judged.check() == CheckResult(
        ok=True, detail="killed 2 of 3 mutants; 1 that the existing tests miss: line 2: m1")
    weak = judge_mutants(MUTANTS, [reports[0], reports[2], reports[2]], "new",
                         frozenset({"old::t"}))
    assert not weak.ok and weak.check().detail.startswith("killed 1 of 3 mutants; 0 that")
    feedback = weak.feedback(["", "x = 0"])
    assert feedback.startswith(f"### {REJECTED}\n")
    assert "- line 2: m1: x = 0\n- line 2: m2: x = 0" in feedback and "m0" not in feedback


def test_judge_counts_a_crash_or_missing_test_as_killed() -> None:
    dead = RunReport(dead_files={"new": "timeout"})
    judged = judge_mutants(MUTANTS[:1], [dead], "new", frozenset({"old::t"}))
    assert judged.killed and not judged.unique  # the existing test is missing: killed too
    alone = judge_mutants(MUTANTS[:1], [dead], "new", frozenset())
    assert alone.unique and alone.ok


def accepted(code: str) -> Verdict:
    return Verdict(accepted=True, reason="accepted", code=code,
                   tests={"test_x": TestVerdict(status="accepted", reason="accepted")})


def test_gate_restores_the_target_even_when_a_run_fails(tmp_path: Path) -> None:
    target = tmp_path / "mod.py"
    target.write_bytes(b"def f(a):\r\n    return a + 1\r\n")
    seen: list[bytes] = []

    async def run(spec: RunSpec) -> RunReport:
        seen.append(target.read_bytes())
        assert spec.files == ("test_new.py", "test_old.py") and spec.guarded == ("test_new.py",)
        if len(seen) == 2:
            raise RuntimeError("sandbox broke")
        return report({"test_new.py::test_x": "failed"})

    with pytest.raises(RuntimeError):
        asyncio.run(mutation_gate(tmp_path, "mod.py", [accepted("def test_x(): pass\n")],
                                  {0: "test_new.py"}, existing=["test_old.py"],
                                  passed=frozenset(), changed=[2], python_path=(".",),
                                  limit=5, run=run))
    assert target.read_bytes() == b"def f(a):\r\n    return a + 1\r\n"
    assert seen[0] == b"def f(a):\r\n    return (a - 1)\r\n"
    assert (tmp_path / "test_new.py").read_text() == "def test_x(): pass\n"


def test_gate_never_writes_through_a_symlinked_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("def f(a):\n    return a + 1\n")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "mod.py").symlink_to(outside)
    contents: list[str] = []

    async def run(spec: RunSpec) -> RunReport:
        contents.append((ws / "mod.py").read_text())
        assert outside.read_text() == "def f(a):\n    return a + 1\n"
        return report({"t.py::test_x": "failed"})

    asyncio.run(mutation_gate(ws, "mod.py", [accepted("def test_x(): pass\n")], {0: "t.py"},
                              existing=[], passed=frozenset(), changed=[2],
                              python_path=(".",), limit=1, run=run))
    assert contents == ["def f(a):\n    return (a - 1)\n"]
    assert outside.read_text() == "def f(a):\n    return a + 1\n"
    assert (ws / "mod.py").read_text() == outside.read_text()


def test_gate_rejects_with_feedback_and_leaves_others_alone(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("def f(a):\n    return a + 1\n")
    rejected = Verdict(accepted=False, reason="failed")
    runs: list[RunSpec] = []

    async def run(spec: RunSpec) -> RunReport:
        runs.append(spec)
        return report({"b.py::test_x": "passed"})

    out = asyncio.run(mutation_gate(
        tmp_path, "mod.py", [rejected, accepted("def test_x(): pass\n")], {0: "a.py", 1: "b.py"},
        existing=[], passed=frozenset(), changed=[2], python_path=(".",), limit=2, run=run,
        redact=lambda text: text.replace("a + 1", "***")))
    assert out[0] == rejected and len(runs) == 2 and runs[0] == runs[1]
    assert runs[0].files == ("b.py",) and runs[0].python_path == (".",)
    assert not out[1].accepted and out[1].reason == REJECTED and out[1].code is None
    assert out[1].tests["test_x"] == TestVerdict(status="rejected", reason=REJECTED)
    assert "line 2: `+` → `-`: return ***" in out[1].feedback
    assert out[1].checks["mutation"].detail == "killed 0 of 2 mutants; 0 that the existing " \
                                               "tests miss"


# -- end to end: a real repository, real sandboxed pytest runs ---------------------------------

BASE = "def double(x):\n    return x * 2\n\n\ndef passes(score):\n    return score > 50\n"
HEAD = BASE.replace("score > 50", "score >= 50")
EXISTING = "from pkg.grade import double\n\n\ndef test_double():\n    assert double(3) == 6\n"
STRONG = ("from pkg.grade import passes\n\n\ndef test_boundary():\n"
          "    assert passes(50) is True\n    assert passes(49) is False\n")
WEAK = ("from pkg.grade import passes\n\n\ndef test_weak():\n"
        "    assert passes(90) == passes(100)\n")


@pytest.fixture
def project(git_repo: Path, commit: CommitFn) -> Path:
    commit({"pkg/__init__.py": "", "pkg/grade.py": BASE, "tests/test_grade.py": EXISTING})
    commit({"pkg/grade.py": HEAD}, "boundary")
    return git_repo


def validate(repo: Path, codes: list[str], **flags: object) -> list[Verdict]:
    config = load_config(repo, {}, {"runs": 1, "validation_timeout_s": 60, **flags})
    task = task_for_lines(repo, config, "pkg/grade.py", [6])
    validator = ResultValidator(config, repo, environ={"PATH": "/usr/bin:/bin"})
    return asyncio.run(validator.validate_many(task, codes))


@pytest.mark.slow
def test_mutation_gate_end_to_end(project: Path) -> None:
    strong, weak = validate(project, [STRONG, WEAK], mutation=True)
    assert strong.accepted, strong.to_json()
    detail = strong.checks["mutation"].detail
    assert strong.checks["mutation"].ok
    assert detail.startswith("killed 3 of 3 mutants; 3 that the existing tests miss")
    assert "line 6: `>=` → `>`" in detail and "line 6: `50` → `51`" in detail
    assert not weak.accepted and weak.reason == REJECTED, weak.to_json()
    assert weak.checks["coverage"].ok and weak.checks["assertions"].ok
    assert weak.checks["mutation"] == CheckResult(
        ok=False, detail="killed 0 of 3 mutants; 0 that the existing tests miss")
    assert "line 6: `>=` → `>`: return score >= 50" in weak.feedback
    assert git(project, "status", "--porcelain") == ""
    assert (project / "pkg/grade.py").read_text() == HEAD


@pytest.mark.slow
def test_without_mutation_the_weak_test_is_accepted(project: Path) -> None:
    assert Config.model_fields["mutation"].default is False
    (weak,) = validate(project, [WEAK])
    assert weak.accepted and "mutation" not in weak.checks, weak.to_json()


@pytest.mark.slow
def test_validate_command_with_mutation_from_the_environment(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    candidate = tmp_path / "candidate.py"
    candidate.write_text(WEAK.replace("passes(90) == passes(100)",
                                      "passes(90) == passes(100)\n    assert double(4) == 8")
                         .replace("import passes", "import double, passes"))
    environ = {"PATH": "/usr/bin:/bin", "TTA_MUTATION": "true", "TTA_RUNS": "1",
               "TTA_MUTATION_MAX_MUTANTS": "4"}
    code = main(["validate", str(candidate), "--target", "pkg/grade.py:2-6", "--repo",
                 str(project), "--json"], environ)
    verdict = json.loads(capsys.readouterr().out)
    assert (code, verdict["accepted"], verdict["reason"]) == (1, False, REJECTED), verdict
    # the candidate kills the mutants of line 2, but the existing test kills those already
    assert verdict["checks"]["mutation"]["detail"] == (
        "killed 2 of 4 mutants; 0 that the existing tests miss")


@pytest.mark.slow
def test_a_mutant_that_hangs_counts_as_killed(git_repo: Path, commit: CommitFn) -> None:
    loop = "def count_up(n):\n    i = 0\n    while i < n:\n        i += 1\n    return i\n"
    commit({"count.py": loop.replace("i += 1", "i = i + 1")})
    commit({"count.py": loop})
    config = load_config(git_repo, {}, {"runs": 1, "validation_timeout_s": 8, "mutation": True,
                                        "mutation_max_mutants": 2})
    task = task_for_lines(git_repo, config, "count.py", [4])
    validator = ResultValidator(config, git_repo, environ={"PATH": "/usr/bin:/bin"})
    code = "from count import count_up\n\n\ndef test_three():\n    assert count_up(3) == 3\n"
    (verdict,) = asyncio.run(validator.validate_many(task, [code]))
    assert verdict.accepted, verdict.to_json()
    assert verdict.checks["mutation"].detail == (
        "killed 2 of 2 mutants; 2 that the existing tests miss: line 4: `+=` → `-=`, "
        "line 4: `1` → `2`")
    assert (git_repo / "count.py").read_text() == loop
