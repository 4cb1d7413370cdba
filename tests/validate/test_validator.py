"""tta_ci.validate.validator: every labeled candidate of tests/corpus is classified as its
``# expect:`` line says, all of them together in one batched ``validate_many`` call (a few pytest
processes for the whole corpus). tests/cli/test_validate.py judges them one by one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.corpus import CANDIDATES, SECRET, TOKEN, environ, expected, make_project, tree_hash
from support.gitrepo import CommitFn

from tta_ci.core.config import load_config
from tta_ci.core.types import Verdict
from tta_ci.plan.single import task_for_lines
from tta_ci.validate.validator import ResultValidator

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return make_project(tmp_path_factory)


@pytest.fixture(scope="module")
def batch_verdicts(project: tuple[Path, str]) -> dict[str, Verdict]:
    repo, _ = project
    config = load_config(repo, {})
    lines = list(range(14, 28))
    task = task_for_lines(repo, config, "pkg/calc.py", lines)
    validator = ResultValidator(config, repo, environ=environ())
    codes = [p.read_text() for p in CANDIDATES]
    verdicts = asyncio.run(validator.validate_many(task, codes))
    return {p.stem: v for p, v in zip(CANDIDATES, verdicts, strict=True)}


@pytest.mark.parametrize("candidate", CANDIDATES, ids=[p.stem for p in CANDIDATES])
def test_corpus_entry_in_one_batch(batch_verdicts: dict[str, Verdict], candidate: Path,
                                   project: tuple[Path, str]) -> None:
    verdict = batch_verdicts[candidate.stem]
    label = expected(candidate)
    if label == "accepted":
        assert verdict.accepted, verdict.to_json()
        assert verdict.code is not None and "def test_" in verdict.code
    else:
        assert not verdict.accepted and verdict.reason.startswith(label), verdict.to_json()
    assert SECRET not in verdict.feedback and TOKEN not in verdict.feedback
    assert tree_hash(project[0]) == project[1]


def test_the_projects_pytest_settings_hold_in_the_sandbox(git_repo: Path,
                                                           commit: CommitFn) -> None:
    """python_files, pythonpath and --import-mode=importlib (two test files share a name)."""
    check = ("from helper import expect\nfrom pkg.calc import half\n\n\n"
             "def test_half():\n    expect(half(4), 2)\n")
    other = "from pkg.calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
    commit({"setup.cfg": "[tool:pytest]\npython_files = check_*.py\npythonpath = support\n"
                         "addopts = --import-mode=importlib -p no:nothing\n",
            "support/helper.py": "def expect(got, wanted):\n    assert got == wanted\n",
            "pkg/__init__.py": "", "pkg/calc.py": CALC,
            "testing/a/check_calc.py": other, "testing/b/check_calc.py": check})
    (git_repo / "pkg/calc.py").write_text(CALC.replace("x / 2", "x // 2"))
    config = load_config(git_repo, {}, {"runs": 1, "validation_timeout_s": 60})
    task = task_for_lines(git_repo, config, "pkg/calc.py", [6])
    validator = ResultValidator(config, git_repo, environ={"PATH": "/usr/bin:/bin"})
    code = "from pkg.calc import half\n\n\ndef test_odd():\n    assert half(5) == 2\n"
    (verdict,) = asyncio.run(validator.validate_many(task, [code]))
    assert verdict.accepted, verdict.to_json()
    # only testing/b (same file name as testing/a) kills: it imported, with its helper
    assert verdict.mutation is not None and verdict.mutation.killed_by_existing >= 1


CALC = "def double(x):\n    return x * 2\n\n\ndef half(x):\n    return x / 2\n"


def test_the_second_hash_seed_runs_in_gate_8s_interpreter(project: tuple[Path, str]) -> None:
    """Under bubblewrap the candidates' run under the second hash seed is a fork of gate 8's
    plain interpreter (sealed, its own workspace): the workspace's warm server is the only
    other one, and a test whose outcome depends on the seed is still caught."""
    repo, _ = project
    config = load_config(repo, {}, {"runs": 3})  # the corpus project's own is 2
    task = task_for_lines(repo, config, "pkg/calc.py", list(range(14, 28)))
    validator = ResultValidator(config, repo, environ=environ(), shared=True)
    flaky = next(p for p in CANDIDATES if p.stem == "flaky_random").read_text()

    async def judge() -> tuple[Verdict, int, list[int]]:
        try:
            verdict = await validator.validate(task, flaky)
            assert validator._plain is not None and validator.warm is not None
            return verdict, validator._plain.lent, sorted(s for _, s in validator.warm._boxes)
        finally:
            await validator.aclose()

    verdict, lent, seeds = asyncio.run(judge())
    assert not verdict.accepted and verdict.reason.startswith("flaky"), verdict.to_json()
    assert lent == 1 and seeds == [1], verdict.to_json()
