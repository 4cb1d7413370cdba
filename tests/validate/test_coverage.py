"""tta_ci.validate.coverage: the existing tests run once under coverage in the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import write

from tta_ci.core.config import Config
from tta_ci.validate.coverage import measure_existing

pytestmark = pytest.mark.slow

CALC = '''def sign(x):
    if x < 0:
        return -1
    return 1


def unused(y):
    return y
'''
TESTS = "from pkg.calc import sign\n\n\ndef test_negative():\n    assert sign(-3) == -1\n"


@pytest.mark.parametrize("branch", [True, False])
async def test_executed_lines_and_missing_branches(tmp_path: Path, branch: bool) -> None:
    write(tmp_path, {"src/pkg/__init__.py": "", "src/pkg/calc.py": CALC,
                     "tests/test_calc.py": TESTS})
    measured = await measure_existing(tmp_path, ["src/pkg/calc.py"], ["src"],
                                      Config(sandbox="fallback"), {}, ["tests/test_calc.py"],
                                      branch=branch)
    assert measured.problem is None and measured.note == ""
    executed = measured.executed["src/pkg/calc.py"]
    assert {2, 3} <= executed and not {4, 8} & executed
    assert measured.missing_branches == ({"src/pkg/calc.py": ((2, 4),)} if branch else {})
    assert not [p for p in tmp_path.rglob("*") if "coverage" in p.name]  # kept out of the tree


async def test_a_planted_link_in_the_workspace_is_never_written_through(tmp_path: Path) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "outside.txt"
    write(ws, {"calc.py": CALC, "test_calc.py": TESTS.replace("pkg.calc", "calc")})
    outside.write_text("precious\n")
    for name in (".coverage", "coveragerc", "coverage.json", ".tta-ci-check.coveragerc"):
        (ws / name).symlink_to(outside)
    measured = await measure_existing(ws, ["calc.py"], [""], Config(sandbox="fallback"), {},
                                      ["test_calc.py"], branch=True)
    assert measured.problem is None and 2 in measured.executed["calc.py"]
    assert outside.read_text() == "precious\n"


async def test_a_failing_suite_still_measures_and_a_broken_one_says_why(tmp_path: Path) -> None:
    write(tmp_path, {"calc.py": CALC, "test_fail.py": "def test_x():\n    assert False\n",
                     "test_broken.py": "import nowhere_to_be_found\n"})
    config = Config(sandbox="fallback")
    failing = await measure_existing(tmp_path, ["calc.py"], [""], config, {}, ["test_fail.py"])
    assert failing.problem is None and failing.note == "some existing tests failed"
    broken = await measure_existing(tmp_path, ["calc.py"], [""], config, {},
                                    ["test_broken.py"])
    assert broken.problem is not None and "could not run the existing tests" in broken.problem
