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
