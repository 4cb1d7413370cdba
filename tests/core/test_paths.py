"""tta_ci.core.paths: globs, the test-file rule, the imports of a test file, tta-ci's folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import git

from tta_ci.core.paths import glob_match, imported_modules, make_dirs
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
