"""tta_ci.validate.mutation and gate 7 by mutants: planning (the base version too), who kills
what, the mutant runner, and the validator end to end on a boundary change."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from support.gitrepo import CommitFn, git

from tta_ci.cli.main import main
from tta_ci.core.config import Config, load_config
from tta_ci.core.mutants import Mutant, mutants
from tta_ci.core.types import Survivor, Task, Verdict
from tta_ci.plan.single import task_for_lines
from tta_ci.sandbox.isolation import isolation_level
from tta_ci.validate import ResultValidator
from tta_ci.validate import confirm as confirm_module
from tta_ci.validate import validator as validator_module
from tta_ci.validate.behaviour import NOTHING, PINNED
from tta_ci.validate.mutation import (
    BASE_OPERATOR,
    MutantRunner,
    RunFn,
    kills,
    plan_mutants,
    reaching,
    score,
    survivors_feedback,
    swap_runner,
)
from tta_ci.validate.runner import RunReport, RunSpec, TestRecord

# -- planning, judging and running, with scripted runs ----------------------------------------

MODULE = "def f(a):\n    return a + 1\n\n\ndef g(b):\n    return b > 2\n"
TASK = Task(id="mod.py::g", file="mod.py", symbol="g", kind="function", changed_lines=(6,),
            test_file="tests/test_mod.py", start_line=5, end_line=6,
            source="def g(b):\n    return b > 2\n", base_source="def g(b):\n    return b >= 2\n")


def report(outcomes: dict[str, str], **fields: object) -> RunReport:
    results = {n: TestRecord(nodeid=n, outcome=o) for n, o in outcomes.items()}
    return RunReport(results=results, **fields)  # type: ignore[arg-type]


def test_the_base_version_is_one_more_mutant() -> None:
    planned = plan_mutants(MODULE, TASK, [6], limit=2)
    assert [p.operator for p in planned] == [
        "`>` → `>=`", "`return b > 2` → `return None`", BASE_OPERATOR]
    assert [p.code for p in planned] == ["return (b >= 2)", "return None", "return b >= 2"]
    base = planned[-1]
    assert base.mutant.source == MODULE.replace("b > 2", "b >= 2")
    assert base.reach == {5, 6} and planned[0].reach == {6}
    assert base.survivor() == Survivor(line=6, operator=BASE_OPERATOR, code="return b >= 2")


@pytest.mark.parametrize("update", [
    pytest.param({"base_source": None}, id="new-function"),
    pytest.param({"base_source": TASK.source}, id="same-code"),
    pytest.param({"base_source": "def g(b:\n"}, id="base-does-not-compile"),
    pytest.param({"kind": "module"}, id="module"),
])
def test_no_base_mutant(update: dict[str, object]) -> None:
    planned = plan_mutants(MODULE, TASK.model_copy(update=update), [6], limit=5)
    assert planned and BASE_OPERATOR not in [p.operator for p in planned]


def test_each_mutant_runs_only_the_tests_that_reach_it() -> None:
    planned = plan_mutants(MODULE, TASK, [6], limit=1)
    contexts = {"t.py::test_f": frozenset({2}), "t.py::test_g": frozenset({6}),
                "t.py::test_def": frozenset({5})}
    assert reaching(planned[0], contexts, contexts) == ["t.py::test_g"]
    assert reaching(planned[1], contexts, contexts) == ["t.py::test_def", "t.py::test_g"]
    assert reaching(planned[0], contexts, ["t.py::test_f"]) == []


def test_killed_means_failed_missing_or_dead() -> None:
    ran = report({"a.py::t1": "passed", "a.py::t2": "failed", "a.py::t3": "timeout"})
    assert kills(ran, ["a.py::t1", "a.py::t2", "a.py::t3", "a.py::t4"]) == {
        "a.py::t2", "a.py::t3", "a.py::t4"}
    dead = report({"b.py::t": "passed"}, dead_files={"b.py": "crashed"})
    assert kills(dead, ["b.py::t"]) == {"b.py::t"}
    broken = report({}, collect_errors={"c.py": "ImportError"})
    assert kills(broken, ["c.py::t"]) == {"c.py::t"}


def test_score_lists_the_survivors() -> None:
    planned = plan_mutants(MODULE, TASK, [6], limit=2)
    found = score(planned, {0}, {0, 2})
    assert (found.tried, found.killed_by_existing, found.killed_with_accepted) == (3, 1, 2)
    assert found.survivors == (
        Survivor(line=6, operator="`return b > 2` → `return None`", code="return None"),)
    assert survivors_feedback(found).endswith(
        "- line 6: `return b > 2` → `return None`: return None")
    assert survivors_feedback(score(planned, {0, 1, 2}, ())) == ""


def test_the_runner_restores_the_target_even_when_a_run_fails(tmp_path: Path) -> None:
    target = tmp_path / "mod.py"
    target.write_bytes(b"def f(a):\r\n    return a + 1\r\n")
    seen: list[bytes] = []
    spec = RunSpec(files=("t.py",))

    async def run(given: RunSpec) -> RunReport:
        seen.append(target.read_bytes())
        assert given == spec
        if len(seen) == 2:
            raise RuntimeError("sandbox broke")
        return report({"t.py::test_x": "failed"})

    run_mutant = swap_runner(tmp_path, "mod.py", run)
    (first, second) = mutants(target.read_text(), [2], limit=2)
    assert asyncio.run(run_mutant(spec, first)).results["t.py::test_x"].outcome == "failed"
    with pytest.raises(RuntimeError):
        asyncio.run(run_mutant(spec, second))
    assert target.read_bytes() == b"def f(a):\r\n    return a + 1\r\n"
    assert seen[0] == first.source.encode()


def test_the_runner_never_writes_through_a_symlinked_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("def f(a):\n    return a + 1\n")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "mod.py").symlink_to(outside)
    contents: list[str] = []

    async def run(spec: RunSpec) -> RunReport:
        contents.append((ws / "mod.py").read_text())
        assert outside.read_text() == "def f(a):\n    return a + 1\n"
        return report({})

    (mutant,) = mutants(outside.read_text(), [2], limit=1)
    asyncio.run(swap_runner(ws, "mod.py", run)(RunSpec(files=()), mutant))
    assert contents == ["def f(a):\n    return (a - 1)\n"]
    assert outside.read_text() == "def f(a):\n    return a + 1\n"
    assert (ws / "mod.py").read_text() == outside.read_text()


# -- end to end: a real repository, real sandboxed pytest runs ---------------------------------

BASE = "def double(x):\n    return x * 2\n\n\ndef passes(score):\n    return score > 50\n"
HEAD = BASE.replace("score > 50", "score >= 50")
# the existing tests run the changed line, but not at its boundary
EXISTING = ("from pkg.grade import double, passes\n\n\ndef test_double():\n"
            "    assert double(3) == 6\n\n\ndef test_passes():\n    assert passes(90)\n")
STRONG = ("from pkg.grade import passes\n\n\ndef test_boundary():\n"
          "    assert passes(50) is True\n    assert passes(49) is False\n")
WEAK = ("from pkg.grade import passes\n\n\ndef test_weak():\n"
        "    assert passes(90) == passes(100)\n")
PINNING = EXISTING + ("\n\ndef test_edge():\n    assert passes(50) is True\n"
                      "    assert passes(49) is False\n    assert passes(51) is True\n")


@pytest.fixture
def project(git_repo: Path, commit: CommitFn) -> Path:
    """The boundary change is in the working tree: its base is HEAD."""
    commit({"pkg/__init__.py": "", "pkg/grade.py": BASE, "tests/test_grade.py": EXISTING})
    (git_repo / "pkg/grade.py").write_text(HEAD)
    return git_repo


def validator_for(repo: Path, **flags: object) -> tuple[ResultValidator, Task]:
    config = load_config(repo, {}, {"runs": 1, "validation_timeout_s": 60, **flags})
    task = task_for_lines(repo, config, "pkg/grade.py", [6])
    return ResultValidator(config, repo, environ={"PATH": "/usr/bin:/bin"}), task


def validate(repo: Path, codes: list[str], **flags: object) -> list[Verdict]:
    validator, task = validator_for(repo, **flags)
    return asyncio.run(validator.validate_many(task, codes))


@pytest.mark.slow
def test_a_test_that_pins_a_boundary_is_kept_though_it_runs_no_new_line(project: Path) -> None:
    strong, weak = validate(project, [STRONG, WEAK])
    assert strong.accepted and strong.covered_lines == (), strong.to_json()
    assert strong.mutation is not None and weak.mutation is not None
    assert (strong.mutation.tried, strong.mutation.killed_by_existing) == (4, 1)
    assert strong.mutation.killed_with_accepted == 4 and strong.mutation.survivors == ()
    assert f"line 6: {BASE_OPERATOR}" in strong.checks["mutation"].detail
    assert not weak.accepted and weak.reason == NOTHING, weak.to_json()
    assert weak.mutation.killed_with_accepted == 1
    assert "- line 6: `>=` → `>`: return (score > 50)" in weak.feedback
    assert git(project, "status", "--porcelain") == "M pkg/grade.py"
    assert (project / "pkg/grade.py").read_text() == HEAD


@pytest.mark.slow
def test_without_mutation_only_new_lines_count(project: Path) -> None:
    assert Config.model_fields["mutation"].default is True
    (strong,) = validate(project, [STRONG], mutation=False)
    assert not strong.accepted and strong.reason == NOTHING, strong.to_json()
    assert strong.mutation is None and "mutation" not in strong.checks


@pytest.mark.slow
def test_existing_tests_that_kill_every_mutant_pin_the_change(
        git_repo: Path, commit: CommitFn) -> None:
    commit({"pkg/__init__.py": "", "pkg/grade.py": BASE, "tests/test_grade.py": PINNING})
    commit({"pkg/grade.py": HEAD.replace(">= 50", ">= 50 and score <= 100")
            .replace("x * 2", "x * 2")}, "boundary")
    validator, task = validator_for(git_repo)
    assert asyncio.run(validator.pinned(task)) is None  # `<= 100` is not pinned
    commit({"pkg/grade.py": HEAD}, "only the boundary")
    validator, task = validator_for(git_repo)
    verdict = asyncio.run(validator.pinned(task))
    assert verdict is not None and verdict.reason == PINNED, verdict
    assert verdict.mutation is not None and verdict.mutation.survivors == ()
    assert verdict.mutation.tried == verdict.mutation.killed_by_existing == 3


@pytest.mark.slow
def test_validate_command_with_mutation_off_from_the_environment(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    candidate = tmp_path / "candidate.py"
    candidate.write_text(STRONG)
    environ = {"PATH": "/usr/bin:/bin", "TTA_MUTATION": "false", "TTA_RUNS": "1"}
    code = main(["validate", str(candidate), "--target", "pkg/grade.py:6", "--repo",
                 str(project), "--json"], environ)
    verdict = json.loads(capsys.readouterr().out)
    assert (code, verdict["accepted"], verdict["reason"]) == (1, False, NOTHING), verdict
    assert verdict["mutation"] is None
    code = main(["validate", str(candidate), "--target", "pkg/grade.py:6", "--repo",
                 str(project), "--json"], {**environ, "TTA_MUTATION": "true"})
    verdict = json.loads(capsys.readouterr().out)
    assert (code, verdict["accepted"]) == (0, True), verdict
    assert verdict["mutation"]["killed_with_accepted"] == 4


@pytest.mark.slow
def test_a_mutant_that_hangs_counts_as_killed(git_repo: Path, commit: CommitFn) -> None:
    loop = "def count_up(n):\n    i = 0\n    while i < n:\n        i += 1\n    return i\n"
    commit({"count.py": loop.replace("i += 1", "i = i + 1")})
    commit({"count.py": loop})
    config = load_config(git_repo, {}, {"runs": 1, "validation_timeout_s": 8,
                                        "mutation_max_mutants": 2})
    task = task_for_lines(git_repo, config, "count.py", [4])
    validator = ResultValidator(config, git_repo, environ={"PATH": "/usr/bin:/bin"})
    code = "from count import count_up\n\n\ndef test_three():\n    assert count_up(3) == 3\n"
    (verdict,) = asyncio.run(validator.validate_many(task, [code]))
    assert verdict.accepted, verdict.to_json()
    assert verdict.mutation is not None
    assert (verdict.mutation.tried, verdict.mutation.killed_with_accepted) == (2, 2)
    assert (git_repo / "count.py").read_text() == loop


@pytest.mark.slow
def test_each_mutant_runs_only_the_tests_that_reach_it_through_the_runner_seam(
        project: Path) -> None:
    seen: list[tuple[str, tuple[str, ...]]] = []

    def recording(ws: Path, target: str, run: RunFn) -> MutantRunner:
        real = swap_runner(ws, target, run)

        async def run_mutant(spec: RunSpec, mutant: Mutant) -> RunReport:
            seen.append((mutant.description, spec.select))
            return await real(spec, mutant)

        return run_mutant

    config = load_config(project, {}, {"runs": 1, "validation_timeout_s": 60})
    task = task_for_lines(project, config, "pkg/grade.py", [6])
    validator = ResultValidator(config, project, environ={"PATH": "/usr/bin:/bin"},
                                mutant_runner=recording)
    (verdict,) = asyncio.run(validator.validate_many(task, [STRONG]))
    assert verdict.accepted
    existing = [s for d, s in seen if s and s[0].startswith("tests/test_grade.py::")]
    assert existing and all(s == ("tests/test_grade.py::test_passes",) for s in existing)
    candidate = [s for d, s in seen if s and not s[0].startswith("tests/test_grade.py::")]
    assert candidate and all(s == (f"{s[0].split('::')[0]}::test_boundary",) for s in candidate)
    # the existing tests face each mutant once: their kills are kept for later candidates
    before = len(seen)
    asyncio.run(validator.validate_many(task, [STRONG]))
    assert all(not s[0].startswith("tests/test_grade.py::") for _, s in seen[before:])


def test_a_form_feed_does_not_shift_the_lines() -> None:
    text = "\x0c\ndef g(b):\n    return b > 2\n"
    task = TASK.model_copy(update={"changed_lines": (3,), "start_line": 2, "end_line": 3})
    planned = plan_mutants(text, task, [3], limit=1)
    assert planned[0].code == "return (b >= 2)" and planned[0].reach == {3}
    assert planned[-1].mutant.source == text.replace("b > 2", "b >= 2")


@pytest.mark.slow
def test_the_tasks_of_a_validator_share_one_workspace_and_leave_no_candidate_behind(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    validator, task = validator_for(project)
    validator.shared = True  # as a run's pipeline makes it
    seen: list[Path] = []
    place = validator_module.place_candidates

    def spy(ws: Path, *args: Any, **kwargs: Any) -> Any:
        seen.append(ws)
        return place(ws, *args, **kwargs)

    monkeypatch.setattr(validator_module, "place_candidates", spy)
    monkeypatch.setattr(confirm_module, "place_candidates", spy)  # gate 8's

    async def steps() -> tuple[bool, list[str]]:
        assert await validator.pinned(task) is None  # not pinned
        try:
            (first,) = await validator.validate_many(task, [STRONG])
            (second,) = await validator.validate_many(task, [STRONG])
            shared = seen[0]
            left = sorted(p.name for p in (shared / "tests").iterdir())
        finally:
            await validator.aclose()
        return first.accepted and second.accepted, left

    accepted, left = asyncio.run(steps())
    assert accepted
    shared = seen[0]  # gates 3 to 7 of both calls ran there; gate 8 in fresh workspaces:
    # under bubblewrap one for both (read-only to the plain runs), else one per file
    fresh = 1 if isolation_level(validator.config) == "bwrap" else 2
    assert seen.count(shared) == 2 and len(set(seen)) == 1 + fresh
    assert not any(ws.exists() for ws in set(seen))  # all ended with the validator
    assert left == ["test_grade.py"]  # each call's candidate file was removed
    assert not shared.exists()


def test_mutants_written_over_the_file_take_turns(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("X = 0\n")
    seen: list[str] = []

    async def run(spec: RunSpec, launcher: object = None) -> RunReport:
        before = (tmp_path / "m.py").read_text()
        await asyncio.sleep(0.01)  # another run would write its mutant now
        seen.append(before + (tmp_path / "m.py").read_text())
        return RunReport()

    runner = swap_runner(tmp_path, "m.py", run)
    spec = RunSpec(files=())

    async def both() -> None:
        await asyncio.gather(*(runner(spec, Mutant(line=1, description=f"{n}",
                                                   source=f"X = {n}\n")) for n in (1, 2)))

    asyncio.run(both())
    assert sorted(seen) == ["X = 1\nX = 1\n", "X = 2\nX = 2\n"]
    assert (tmp_path / "m.py").read_text() == "X = 0\n"


def test_the_mutant_runs_of_a_step_go_two_at_a_time() -> None:
    from tta_ci.validate.validator import MUTANTS_AT_ONCE, _side_by_side

    now, most, done = 0, 0, []

    async def one(n: int) -> None:
        nonlocal now, most
        now += 1
        most = max(most, now)
        await asyncio.sleep(0.01)
        now -= 1
        done.append(n)

    asyncio.run(_side_by_side(one(n) for n in range(7)))
    assert sorted(done) == list(range(7)) and most == MUTANTS_AT_ONCE == 2


@pytest.mark.slow
def test_in_a_shared_workspace_mutants_on_disk_are_written_in_a_copy(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alone, task = validator_for(project, warm=False)
    (expected,) = asyncio.run(alone.validate_many(task, [STRONG]))
    validator, task = validator_for(project, warm=False)
    validator.shared = True
    swapped_in: list[Path] = []
    swap = validator_module.swap_runner

    def spy(ws: Path, *args: Any) -> Any:
        swapped_in.append(ws)
        return swap(ws, *args)

    monkeypatch.setattr(validator_module, "swap_runner", spy)

    async def steps() -> tuple[Verdict, Path]:
        try:
            (verdict,) = await validator.validate_many(task, [STRONG])
            return verdict, await validator._shared.get()
        finally:
            await validator.aclose()

    verdict, shared = asyncio.run(steps())
    assert swapped_in and shared not in swapped_in
    assert verdict.accepted and verdict.mutation == expected.mutation


@pytest.mark.slow
def test_the_accepted_files_of_a_call_are_re_checked_two_at_a_time(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    validator, task = validator_for(project)
    confirm = validator._confirm
    now, most = 0, 0

    async def counted(*args: Any) -> Verdict:
        nonlocal now, most
        now += 1
        most = max(most, now)
        try:
            return await confirm(*args)
        finally:
            now -= 1

    monkeypatch.setattr(validator, "_confirm", counted)
    verdicts = asyncio.run(validator.validate_many(task, [STRONG, STRONG.replace(
        "test_boundary", "test_boundary_again"), STRONG.replace("test_boundary", "test_b3")]))
    assert [v.accepted for v in verdicts] == [True, True, True]
    assert most == validator_module.CONFIRMS_AT_ONCE == 2


@pytest.mark.slow
def test_in_a_shared_workspace_the_tasks_of_one_target_share_its_coverage_run(
        git_repo: Path, commit: CommitFn) -> None:
    commit({"pkg/__init__.py": "", "pkg/grade.py": BASE, "tests/test_grade.py": EXISTING})
    (git_repo / "pkg/grade.py").write_text(HEAD.replace("x * 2", "x * 3"))
    (git_repo / "tests/test_grade.py").write_text(EXISTING.replace("== 6", "== 9"))
    validator, boundary = validator_for(git_repo)
    validator.shared = True  # as a run's pipeline makes it
    double = task_for_lines(git_repo, validator.config, "pkg/grade.py", [2])
    covered: list[RunSpec] = []
    real = validator._run

    async def run(ws: Path, spec: RunSpec, *args: Any, **kwargs: Any) -> RunReport:
        if spec.cover is not None and kwargs.get("target"):  # not the warm fork inside
            covered.append(spec)
        return await real(ws, spec, *args, **kwargs)

    validator._run = run  # type: ignore[method-assign]

    async def steps() -> list[Verdict | None]:
        try:
            both = await asyncio.gather(validator.pinned(boundary), validator.pinned(double))
            return [*both, await validator.pinned(double)]
        finally:
            await validator.aclose()

    first, second, again = asyncio.run(steps())
    assert first is None  # the boundary is not pinned by the existing tests
    assert second is not None and second.reason == PINNED, second  # `test_double` pins it
    assert again is not None and again.reason == PINNED
    assert [s.cover for s in covered] == ["pkg/grade.py"], covered
