"""tta_ci.sweep.survey: the repository's public functions, measured by its tests at HEAD,
the untested ones planned."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import CommitFn, write
from support.sweep import PROJECT

from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError
from tta_ci.sweep.survey import public_tasks, survey

WEAK_TEST = "from calc.ops import add\n\n\ndef test_add_runs():\n    add(1, 2)\n"


def test_public_tasks_cover_all_their_lines_and_have_no_base(git_repo: Path,
                                                             commit: CommitFn) -> None:
    commit({**PROJECT, "calc/broken.py": "def f(:\n"})
    tasks, skips = public_tasks(git_repo, Config(), ["calc/ops.py", "calc/broken.py"])
    assert [t.symbol for t in tasks] == ["add", "clamp", "Meter.__init__", "Meter.record"]
    clamp = tasks[1]
    assert clamp.changed_lines == (5, 6, 7, 8, 9, 10) and clamp.base_source is None
    assert [(s.file, s.reason) for s in skips] == [
        ("calc/broken.py", "syntax error at line 1; fix it first")]


async def test_uncommitted_changes_stop_the_sweep(git_repo: Path, commit: CommitFn) -> None:
    commit(PROJECT)
    write(git_repo, {"calc/ops.py": PROJECT["calc/ops.py"] + "\n\ndef more():\n    pass\n"})
    with pytest.raises(UsageError, match=r"calc/ops\.py: uncommitted changes"):
        await survey(git_repo, Config(), {})


async def test_without_test_files_every_public_function_is_untested(
    git_repo: Path, commit: CommitFn
) -> None:
    files = {k: v for k, v in PROJECT.items() if not k.startswith("tests/")}
    head = commit(files)
    found = await survey(git_repo, Config(max_tasks=2), {})
    assert found.note == "no existing test files found" and found.tests == 0
    assert (found.functions, found.untested) == (4, 4)
    assert [t.symbol for t in found.plan.tasks] == ["clamp", "Meter.record"]  # largest first
    assert found.plan.head == head and found.plan.base is None
    assert [(s.symbol, s.reason) for s in found.plan.skipped] == [
        ("add", "over max_tasks (2)"), ("Meter.__init__", "over max_tasks (2)")]


@pytest.mark.slow
async def test_coverage_and_surviving_mutants_rank_the_functions(
    git_repo: Path, commit: CommitFn
) -> None:
    commit({**PROJECT, "tests/test_ops.py": WEAK_TEST})
    config = Config(sandbox="fallback", mutation=False)  # coverage alone first
    found = await survey(git_repo, config, {})
    assert found.tests == 1 and "add" not in [t.symbol for t in found.plan.tasks]
    mutated = await survey(git_repo, config.model_copy(update={"mutation": True}), {})
    gaps = {g.id.rsplit("::", 1)[1]: g for g in mutated.gaps}
    assert gaps["add"].size == 0 and gaps["add"].survivors == 2  # `-` and `return None` live
    assert [t.symbol for t in mutated.plan.tasks][-1] == "add"  # after the coverage gaps
