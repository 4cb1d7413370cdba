"""tta_ci.validate.warmpool: the validator's mutants run in a warm interpreter and give the
verdicts fresh processes give; whatever the warm path cannot answer for runs cold."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from support.gitrepo import CommitFn

from tta_ci.core.config import Config, load_config
from tta_ci.plan.single import task_for_lines
from tta_ci.validate import ResultValidator
from tta_ci.validate.runner import RunSpec
from tta_ci.validate.warmpool import WarmPool, module_name

BASE = ("LIMIT = 50\n\n\ndef double(x):\n    return x * 2\n\n\n"
        "def passes(score):\n    return score > LIMIT\n")
HEAD = BASE.replace("score > LIMIT", "score >= LIMIT")
EXISTING = ("from pkg.grade import double, passes\n\n\ndef test_double():\n"
            "    assert double(3) == 6\n\n\ndef test_passes():\n    assert passes(90)\n")
STRONG = ("from pkg.grade import passes\n\n\ndef test_boundary():\n"
          "    assert passes(50) is True\n    assert passes(49) is False\n")
WEAK = "from pkg.grade import passes\n\n\ndef test_weak():\n    assert passes(90) == passes(100)\n"
# loads the target's file a second time, under another name: a switch in pkg.grade misses it
# with the project's pythonpath holding both "." and "pkg", ``grade`` is a second module loaded
# from pkg/grade.py, which the switch of ``pkg.grade`` cannot reach
ALIASED = '''import grade as grade_copy


def test_boundary_of_the_copy():
    assert grade_copy.passes(50) is True
    assert grade_copy.passes(49) is False
'''


@pytest.mark.parametrize(("target", "roots", "expected"), [
    ("pkg/grade.py", (".",), "pkg.grade"),
    ("src/pkg/grade.py", ("src", "."), "pkg.grade"),
    ("src/pkg/__init__.py", ("src",), "pkg"),
    ("pkg/grade.py", (), "pkg.grade"),
    ("src/pkg/grade.py", ("lib",), None),
    ("my-scripts/run.py", (".",), None),
])
def test_module_name_from_the_import_roots(target: str, roots: tuple[str, ...],
                                           expected: str | None) -> None:
    assert module_name(target, roots) == expected


def test_warm_is_on_by_default_and_a_given_runner_wins(tmp_path: Path) -> None:
    config = load_config(tmp_path, {}, {})
    assert config.warm and config.test_clock == "cpu"
    assert ResultValidator(config, tmp_path, environ={}).warm is not None
    off = load_config(tmp_path, {"TTA_WARM": "false"}, {})
    assert ResultValidator(off, tmp_path, environ={}).warm is None
    given = ResultValidator(config, tmp_path, environ={},
                            mutant_runner=lambda ws, target, run: run)  # type: ignore[arg-type,return-value]
    assert given.warm is None


@pytest.fixture
def project(git_repo: Path, commit: CommitFn) -> Path:
    commit({"pkg/__init__.py": "", "pkg/grade.py": BASE, "tests/test_grade.py": EXISTING})
    (git_repo / "pkg/grade.py").write_text(HEAD)
    return git_repo


def verdicts(repo: Path, codes: list[str], warm: bool) -> tuple[list[dict[str, Any]],
                                                                  ResultValidator]:
    config = load_config(repo, {}, {"runs": 1, "validation_timeout_s": 60, "warm": warm})
    task = task_for_lines(repo, config, "pkg/grade.py", [9])
    validator = ResultValidator(config, repo, environ={"PATH": "/usr/bin:/bin"})
    found = asyncio.run(validator.validate_many(task, codes))
    shown = []
    for verdict in found:
        data = verdict.to_json()
        data.pop("duration_s", None)
        shown.append(data)
    return shown, validator


@pytest.mark.slow
def test_warm_and_cold_mutant_runs_give_the_same_verdicts(project: Path) -> None:
    warm, validator = verdicts(project, [STRONG, WEAK], warm=True)
    cold, _ = verdicts(project, [STRONG, WEAK], warm=False)
    assert warm == cold
    assert [v["accepted"] for v in warm] == [True, False]
    assert validator.warm is not None
    assert validator.warm.fallbacks == [] and validator.warm.warm_runs > 0
    # the mutant runs of a step forked after one collection, and judged as fresh runs do
    assert validator.warm.batched_runs >= 2
    assert (project / "pkg/grade.py").read_text() == HEAD  # the switch never touched a file


@pytest.mark.slow
def test_a_test_that_loads_the_target_twice_is_judged_cold(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npythonpath = [".", "pkg"]\n')
    warm, validator = verdicts(project, [ALIASED], warm=True)
    cold, _ = verdicts(project, [ALIASED], warm=False)
    assert warm == cold
    assert warm[0]["accepted"], warm[0]
    assert validator.warm is not None
    assert any("second time" in why for why in validator.warm.fallbacks)


@pytest.mark.slow
def test_a_target_that_starts_a_thread_at_import_runs_warm_without_being_preloaded(
        project: Path) -> None:
    grade = project / "pkg/grade.py"
    grade.write_text("import threading\nimport time\n\n"
                     "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
                     + HEAD.replace("LIMIT = 50\n", "LIMIT = 50  # the threshold\n"))
    lines = grade.read_text().splitlines()
    changed = next(i for i, line in enumerate(lines, 1) if "score >= LIMIT" in line)
    config = load_config(project, {}, {"runs": 1, "validation_timeout_s": 60})
    task = task_for_lines(project, config, "pkg/grade.py", [changed])
    results = []
    for warm in (True, False):
        validator = ResultValidator(config.model_copy(update={"warm": warm}), project,
                                    environ={"PATH": "/usr/bin:/bin"})
        (verdict,) = asyncio.run(validator.validate_many(task, [STRONG]))
        results.append((verdict.accepted, verdict.mutation))
        if validator.warm is not None:
            assert validator.warm.warm_runs > 0 and validator.warm.fallbacks == []
    assert results[0] == results[1] and results[0][0]


class _Box:
    closed = False

    async def close(self) -> None:
        self.closed = True


def test_tasks_that_ask_at_once_get_one_server(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    pool = WarmPool({}, Config())
    started: list[int] = []

    async def start(ws: Path, spec: RunSpec, target: str, module: str) -> Any:
        started.append(spec.hash_seed)
        await asyncio.sleep(0.01)
        return _Box()

    monkeypatch.setattr(pool, "_start", start)
    spec = RunSpec(files=())

    async def ask() -> list[Any]:
        pool.prestart(tmp_path, spec, "m.py", (1, 2, 1))  # in the background
        return await asyncio.gather(*(pool._box(tmp_path, spec.model_copy(
            update={"hash_seed": s}), "m.py", "m") for s in (1, 1, 2, 1, 1)))

    boxes = asyncio.run(ask())
    assert sorted(started) == [1, 2]
    assert boxes[0] is boxes[1] is boxes[3] is boxes[4] and boxes[2] is not boxes[0]


def test_a_server_that_cannot_start_makes_every_waiting_task_run_cold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pool = WarmPool({}, Config())

    async def start(ws: Path, spec: RunSpec, target: str, module: str) -> Any:
        await asyncio.sleep(0.01)
        return "the project does not import"

    monkeypatch.setattr(pool, "_start", start)

    async def ask() -> list[Any]:
        return await asyncio.gather(*(pool._box(tmp_path, RunSpec(files=()), "m.py", "m")
                                      for _ in range(3)))

    assert asyncio.run(ask()) == [None, None, None]
    assert pool.fallbacks == ["the project does not import"]
