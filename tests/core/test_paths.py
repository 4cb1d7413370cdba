"""tta_ci.core.paths: globs, the test-file rule, the imports of a test file, tta-ci's folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import git

from tta_ci.core.paths import (
    PytestRules,
    glob_match,
    imported_modules,
    make_dirs,
    parse_pytest_rules,
    read_pytest_rules,
)
from tta_ci.core.paths import is_test_path as is_test_file


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        pytest.param("a.py", "**/*.py", True, id="doublestar-matches-top-level"),
        pytest.param("a/b/c.py", "**/*.py", True, id="doublestar-matches-deep"),
        pytest.param("a/b.py", "*.py", False, id="star-stays-in-one-directory"),
        pytest.param("gen/x/y.py", "gen/**", True, id="directory-prefix"),
        pytest.param("src/gen.py", "gen/**", False, id="prefix-is-anchored"),
        pytest.param("a/b.py", "./a/?.py", True, id="question-mark-and-dot-slash"),
    ],
)
def test_glob_match(path: str, pattern: str, expected: bool) -> None:
    assert glob_match(path, pattern) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("test_x.py", True),
        ("pkg/x_test.py", True),
        ("pkg/conftest.py", True),
        ("tests/helpers.py", True),
        ("src/pkg/tests/util.py", True),
        ("pkg/testing.py", False),
        ("contest.py", False),
        ("qa/checks/util.py", True),
    ],
)
def test_is_test_file(path: str, expected: bool) -> None:
    assert is_test_file(path, ("tests", "qa/checks")) is expected


def test_imported_modules() -> None:
    text = (
        "import os, pkg.a as alias\n"
        "from pkg import (\n    b,  # note\n    c as d,\n)\n"
        "from pkg.e import *\n"
        "    from pkg.f import g\n"
        "# from pkg.h import i\n"
        "x = 'import pkg.j'\n"
    )
    assert imported_modules(text) == {
        "os", "pkg.a", "pkg", "pkg.b", "pkg.c", "pkg.e", "pkg.f", "pkg.f.g"
    }


def test_the_own_folder_is_kept_out_of_git(git_repo: Path) -> None:
    out = make_dirs(git_repo / ".tta-ci" / "out")
    (out / "metrics.json").write_text("{}")
    make_dirs(git_repo / ".tta-ci" / "cache" / "ab")
    (git_repo / "code.py").write_text("x = 1\n")
    git(git_repo, "add", "-A")
    assert git(git_repo, "diff", "--cached", "--name-only") == "code.py"
    assert (git_repo / ".tta-ci" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_gitignore_of_the_user_is_never_replaced(tmp_path: Path) -> None:
    own = tmp_path / ".tta-ci"
    own.mkdir()
    (own / ".gitignore").write_text("out/\n")
    make_dirs(own / "cache")
    assert (own / ".gitignore").read_text() == "out/\n"


def test_other_folders_get_no_gitignore(tmp_path: Path) -> None:
    make_dirs(tmp_path / "build" / "tta")
    assert not list(tmp_path.rglob(".gitignore"))
# -- the project's pytest settings -------------------------------------------------------------

SETUP_CFG = "[tool:pytest]\npython_files = check_*.py\ntestpaths = testing\npythonpath = src\n"
PYPROJECT = ('[tool.pytest.ini_options]\ntestpaths = ["tests"]\npython_files = ["*_spec.py"]\n'
             'addopts = "-q"\n')


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        pytest.param({}, PytestRules(), id="none"),
        pytest.param({"setup.cfg": SETUP_CFG},
                     PytestRules(("check_*.py",), ("testing",), ("src",)), id="setup-cfg"),
        pytest.param({"pyproject.toml": PYPROJECT}, PytestRules(("*_spec.py",), ("tests",)),
                     id="pyproject"),
        pytest.param({"pytest.ini": "[pytest]\ntestpaths = t\n", "pyproject.toml": PYPROJECT},
                     PytestRules(testpaths=("t",)), id="pytest-ini-first"),
        pytest.param({"tox.ini": "[tox]\nenvlist = py\n", "setup.cfg": SETUP_CFG},
                     PytestRules(("check_*.py",), ("testing",), ("src",)),
                     id="tox-ini-without-a-pytest-section-is-skipped"),
        pytest.param({"pyproject.toml": "[tool.black]\nline-length = 99\n"}, PytestRules(),
                     id="pyproject-without-pytest"),
        pytest.param({"pyproject.toml": "not = [toml"}, PytestRules(), id="invalid-toml"),
        pytest.param({"tox.ini": "[pytest]\ntestpaths = src tests\naddopts = --doctest-modules\n"},
                     PytestRules(testpaths=("src", "tests"), doctest_modules=True),
                     id="doctest-modules"),
        pytest.param({"pytest.ini": "[pytest]\naddopts = -ra --import-mode=importlib\n"},
                     PytestRules(import_mode="importlib"), id="import-mode"),
        pytest.param({"pytest.ini": "[pytest]\naddopts = --import-mode append -q\n"},
                     PytestRules(import_mode="append"), id="import-mode-two-words"),
        pytest.param({"pytest.ini": "[pytest]\naddopts = --import-mode=$(evil)\n"},
                     PytestRules(), id="unknown-import-mode"),
    ],
)
def test_parse_pytest_rules(texts: dict[str, str | None], expected: PytestRules) -> None:
    assert parse_pytest_rules(texts) == expected


@pytest.mark.parametrize(
    ("path", "rules", "expected"),
    [
        pytest.param("test.py", None, True, id="root-test-py"),
        pytest.param("tests.py", None, True, id="root-tests-py"),
        pytest.param("pkg/test.py", None, False, id="nested-test-py-is-not-by-name"),
        pytest.param("pkg/check_mod.py", PytestRules(("check_*.py",)), True, id="python-files"),
        pytest.param("pkg/mod.py", PytestRules(("check_*.py",)), False, id="source"),
        pytest.param("testing/helpers.py", PytestRules(testpaths=("testing",)), True,
                     id="under-testpaths"),
        pytest.param("src/pkg/mod.py", PytestRules(testpaths=("src", "tests"),
                                                   doctest_modules=True), False,
                     id="doctest-testpaths-hold-source"),
        pytest.param("pkg/mod.py", PytestRules(testpaths=(".",)), False, id="dot-testpath"),
    ],
)
def test_files_pytest_would_collect_are_tests(path: str, rules: PytestRules | None,
                                              expected: bool) -> None:
    assert is_test_file(path, (), rules) is expected


def test_read_pytest_rules_from_a_directory(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text(SETUP_CFG)
    assert read_pytest_rules(str(tmp_path)).python_files == ("check_*.py",)
    assert read_pytest_rules(str(tmp_path / "missing")) == PytestRules()
