"""tta_ci.hook.files, the hook's cheap path: file filtering, SKIP, the raw configuration, no
heavy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.gitrepo import git, write

from tta_ci.core.config import load_config
from tta_ci.hook.files import (
    FileRules,
    maybe_planned,
    python_candidates,
    read_file_rules,
    repo_relative,
    skipped_by_env,
)
from tta_ci.plan.paths import skip_reason

HEAVY = ("pydantic", "git", "httpx", "hypothesis", "libcst", "github", "coverage", "logging")


@pytest.mark.parametrize(
    ("skip", "hook_id", "expected"),
    [
        pytest.param("", "tta-ci", False, id="empty"),
        pytest.param("tta-ci", "tta-ci", True, id="named"),
        pytest.param("flake8, tta-ci ,mypy", "tta-ci", True, id="among-others"),
        pytest.param("tta-ci", "tta-ci-check", False, id="other-hook"),
        pytest.param("tta-ci-check", "tta-ci", False, id="prefix-is-not-a-match"),
    ],
)
def test_skip_names_hook_ids_exactly(skip: str, hook_id: str, expected: bool) -> None:
    assert skipped_by_env({"SKIP": skip}, hook_id) is expected


def test_python_candidates_drop_tests_and_other_files() -> None:
    files = ["a.py", "README.md", "tests/test_a.py", "pkg/b_test.py", "conftest.py", "pkg/c.py",
             "setup.cfg", "pkg/c.pyi"]
    assert python_candidates(files) == ["a.py", "pkg/c.py"]


PATHS = ["pkg/mod.py", "tests/helpers.py", "test/x.py", "src/tests/util.py", "gen/out.py",
         "gen/deep/out.py", "pkg/test_mod.py", "docs/conf.py", "integration/check.py",
         "a/b/c/d.py", "vendor/lib.py", "notes.txt"]
CONFIGS = [
    pytest.param({}, id="defaults"),
    pytest.param({"exclude": ["gen/**", "vendor/*.py"]}, id="exclude"),
    pytest.param({"include": ["pkg/**"]}, id="include"),
    pytest.param({"test_dirs": ["integration"]}, id="test-dirs"),
    pytest.param({"test_dirs": ["src/tests"], "exclude": ["**/conf.py"]}, id="nested-test-dir"),
]


@pytest.mark.parametrize("table", CONFIGS)
def test_cheap_filter_agrees_with_the_planner(tmp_path: Path, table: dict[str, list[str]]) -> None:
    lines = [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    (tmp_path / ".tta-ci.toml").write_text("\n".join(lines) + "\n")
    rules = read_file_rules(str(tmp_path), {})
    assert rules is not None
    config = load_config(tmp_path, {})
    planned = [p for p in PATHS if skip_reason(p, config) is None]
    assert maybe_planned(PATHS, rules) == planned


def test_rules_from_pyproject_and_environment(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.tta-ci]\nexclude = ["gen/**"]\ntest-dirs = ["t"]\n'})
    rules = read_file_rules(str(tmp_path), {"TTA_INCLUDE": "pkg/**,gen/**"})
    assert rules == FileRules(include=("pkg/**", "gen/**"), exclude=("gen/**",), test_dirs=("t",))
    assert read_file_rules(str(tmp_path), {"TTA_EXCLUDE": '["pkg/a.py"]'}) == FileRules(
        exclude=("pkg/a.py",), test_dirs=("t",))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("exclude = [", id="invalid-toml"),
        pytest.param("exclude = 'gen/**'", id="not-a-list"),
        pytest.param("include = [1]", id="not-strings"),
    ],
)
def test_odd_configuration_defers_to_the_full_loader(tmp_path: Path, text: str) -> None:
    (tmp_path / ".tta-ci.toml").write_text(text + "\n")
    assert read_file_rules(str(tmp_path), {}) is None


def test_missing_config_flag_file_defers_to_the_full_loader(tmp_path: Path) -> None:
    assert read_file_rules(str(tmp_path), {}, str(tmp_path / "nope.toml")) is None
    assert read_file_rules(str(tmp_path), {}) == FileRules()


def test_repo_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    got = repo_relative(["a.py", str(tmp_path / "pkg/b.py"), "../../outside.py"], str(tmp_path),
                        str(tmp_path / "pkg"))
    assert got == ["pkg/a.py", "pkg/b.py", "../../outside.py"]


def _run_hook_in_subprocess(repo: Path, args: list[str],
                            env: dict[str, str] | None = None) -> tuple[int, str, list[str]]:
    probe = (
        "import json, sys\n"
        "from tta_ci.cli.main import main\n"
        f"rc = main({args!r})\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps([rc, heavy]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, check=True)
    *lines, last = done.stdout.strip().splitlines()
    rc, heavy = json.loads(last)
    return rc, "\n".join(lines), heavy


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(["tests/test_calc.py", "tests/conftest.py"], id="only-tests"),
        pytest.param(["README.md", "setup.cfg"], id="no-python"),
        pytest.param(["gen/models.py"], id="excluded"),
        pytest.param([], id="nothing-staged"),
    ],
)
def test_no_op_path_imports_nothing_heavy(git_repo: Path, files: list[str]) -> None:
    write(git_repo, {".tta-ci.toml": 'exclude = ["gen/**"]\n', "gen/models.py": "X = 1\n"})
    rc, out, heavy = _run_hook_in_subprocess(git_repo, ["hook", *files])
    assert rc == 0
    assert "nothing to do" in out
    assert heavy == []


def test_skip_env_returns_before_any_work(git_repo: Path) -> None:
    write(git_repo, {"pkg/calc.py": "def f(x: int) -> int:\n    return x\n"})
    git(git_repo, "add", "pkg/calc.py")
    rc, out, heavy = _run_hook_in_subprocess(git_repo, ["hook", "pkg/calc.py"],
                                             {"SKIP": "black,tta-ci"})
    assert (rc, heavy) == (0, [])
    assert out == "tta-ci: skipped: SKIP names tta-ci"
    assert not (git_repo / "tests").exists() and not (git_repo / ".tta-ci").exists()


