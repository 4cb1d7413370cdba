"""tta_ci.validate.layout: which existing tests run beside a candidate."""

from __future__ import annotations

from pathlib import Path

from tta_ci.validate.layout import MAX_RELEVANT_TESTS, existing_tests, relevant_tests


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_only_the_tests_that_import_the_target_run_with_it(tmp_path: Path) -> None:
    write(tmp_path, {
        "tests/test_mod.py": "def test_x():\n    assert 1\n",
        "tests/test_uses.py": "from pkg.mod import f\n",
        "tests/test_sub.py": "import pkg.mod.sub\n",
        "tests/test_parent.py": "from pkg import mod\n",
        "tests/test_other.py": "import pkg.other\n",
        "tests/test_slow_suite.py": "import time\n",
    })
    tests = existing_tests(tmp_path, ("tests",))
    assert len(tests) == 6
    chosen = relevant_tests(tmp_path, tests, "tests/test_mod.py", "pkg.mod")
    assert chosen[0] == "tests/test_mod.py"
    assert sorted(chosen[1:]) == ["tests/test_parent.py", "tests/test_sub.py",
                                  "tests/test_uses.py"]


def test_relevant_tests_are_capped(tmp_path: Path) -> None:
    write(tmp_path, {f"tests/test_{i:02d}.py": "import pkg.mod\n" for i in range(30)})
    chosen = relevant_tests(tmp_path, existing_tests(tmp_path, ("tests",)), "tests/test_new.py",
                            "pkg.mod")
    assert len(chosen) == MAX_RELEVANT_TESTS


def test_existing_tests_follow_the_projects_pytest_settings(tmp_path: Path) -> None:
    write(tmp_path, {
        "setup.cfg": "[tool:pytest]\ntestpaths = testing\npython_files = check_*.py\n",
        "testing/check_mod.py": "import pkg.mod\n",
        "testing/helpers.py": "import pkg.mod\n",
        "tests/test_elsewhere.py": "import pkg.mod\n",  # outside testpaths: not collected
        "test.py": "import unittest\n",
        "pkg/mod.py": "",
    })
    assert existing_tests(tmp_path, ("tests",)) == ["test.py", "testing/check_mod.py"]


def test_tests_that_reach_the_target_through_the_projects_own_imports_count(
        tmp_path: Path) -> None:
    """As in tomli: the tests do ``from . import tomllib``, ``tests/__init__.py`` imports the
    package, and the package's ``__init__`` imports the changed module."""
    write(tmp_path, {
        "src/pkg/__init__.py": "from ._parser import loads\n",
        "src/pkg/_parser.py": "def loads(s):\n    return s\n",
        "src/pkg/other.py": "",
        "tests/__init__.py": "import pkg as lib\n",
        "tests/test_misc.py": "from . import lib\n\ndef test_x():\n    lib.loads('')\n",
        "tests/test_escape.py": "from . import lib\n\ndef test_y():\n    lib.parse_escape\n",
        "unrelated/__init__.py": "",
        "unrelated/test_alone.py": "import pkg.other\n",
        "unrelated/test_helpers.py": "from helpers import thing\n",
        "unrelated/helpers.py": "import json\n",
    })
    tests = existing_tests(tmp_path, ("tests", "unrelated"))
    chosen = relevant_tests(tmp_path, tests, "tests/test__parser.py", "pkg._parser",
                            import_root="src", symbol="parse_escape")
    # the one naming the changed symbol first, then the nearest: ``import pkg.other`` runs
    # ``pkg/__init__``, which imports ``_parser`` (two steps; ``tests/__init__`` makes three)
    assert chosen == ["tests/test_escape.py", "unrelated/test_alone.py", "tests/test_misc.py"]


def test_a_conftest_that_imports_the_target_makes_the_tests_under_it_count(
        tmp_path: Path) -> None:
    write(tmp_path, {
        "app/core.py": "",
        "app/__init__.py": "",
        "tests/api/conftest.py": "from app import core\n",
        "tests/api/test_views.py": "def test_v():\n    pass\n",
        "tests/test_plain.py": "def test_p():\n    pass\n",
    })
    tests = existing_tests(tmp_path, ("tests",))
    assert relevant_tests(tmp_path, tests, "tests/test_core.py", "app.core") == [
        "tests/api/test_views.py"]


def test_direct_importers_come_before_the_ones_through_other_modules(tmp_path: Path) -> None:
    files = {f"tests/test_{i:02d}.py": "import pkg\n" for i in range(25)}
    files["tests/test_zz.py"] = "import pkg.mod\n"
    write(tmp_path, {"pkg/__init__.py": "from . import mod\n", "pkg/mod.py": "", **files})
    chosen = relevant_tests(tmp_path, existing_tests(tmp_path, ("tests",)), "tests/test_mod.py",
                            "pkg.mod")
    assert len(chosen) == MAX_RELEVANT_TESTS and chosen[0] == "tests/test_zz.py"
    assert chosen[1:] == [f"tests/test_{i:02d}.py" for i in range(MAX_RELEVANT_TESTS - 1)]
