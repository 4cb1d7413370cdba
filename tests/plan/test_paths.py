"""tta_ci.plan.paths: module names of files and where their tests are."""

from __future__ import annotations

import pytest

from tta_ci.core.config import Config
from tta_ci.plan.paths import locate_tests, module_name


@pytest.mark.parametrize(
    ("path", "files", "expected"),
    [
        pytest.param("mod.py", [], ("mod", ""), id="top-level"),
        pytest.param("src/pkg/mod.py", ["src/pkg/__init__.py"], ("pkg.mod", "src"), id="src"),
        pytest.param("pkg/sub/mod.py", ["pkg/__init__.py", "pkg/sub/__init__.py"],
                     ("pkg.sub.mod", ""), id="nested-packages"),
        pytest.param("pkg/__init__.py", ["pkg/__init__.py"], ("pkg", ""), id="package-init"),
        pytest.param("scripts/tool.py", [], ("tool", "scripts"), id="plain-directory"),
        pytest.param("src/ns/mod.py", [], ("ns.mod", "src"), id="namespace-under-src"),
    ],
)
def test_module_name(path: str, files: list[str], expected: tuple[str, str]) -> None:
    assert module_name(path, set(files)) == expected


def _locate(path: str, module: str, files: dict[str, str]) -> tuple[str, bool]:
    return locate_tests(path, module, set(files), Config(), lambda ps: {p: files[p] for p in ps})


def test_locate_tests_by_convention_import_and_new_path() -> None:
    flat = {"tests/test_mod.py": ""}
    assert _locate("src/pkg/mod.py", "pkg.mod", flat) == ("tests/test_mod.py", True)
    mirrored = {"tests/pkg/test_mod.py": "", "tests/test_mod.py": ""}
    assert _locate("src/pkg/mod.py", "pkg.mod", mirrored) == ("tests/pkg/test_mod.py", True)
    by_import = {"tests/test_misc.py": "import os\nfrom pkg import other, mod\n"}
    assert _locate("src/pkg/mod.py", "pkg.mod", by_import) == ("tests/test_misc.py", True)
    unrelated = {"tests/test_misc.py": "import pkg.model\n# from pkg.mod import x\n"}
    assert _locate("src/pkg/mod.py", "pkg.mod", unrelated) == ("tests/test_mod.py", False)
    nested = {"tests/other/test_x.py": ""}
    assert _locate("src/pkg/mod.py", "pkg.mod", nested) == ("tests/pkg/test_mod.py", False)
    in_test = {"test/test_a.py": ""}
    assert _locate("a/b.py", "b", in_test) == ("test/test_b.py", False)
    flat_with_data = {"tests/test_a.py": "", "tests/test_b.py": "",
                      "tests/data/project/test_sample.py": ""}  # a stray example project
    assert _locate("src/pkg/mod.py", "pkg.mod", flat_with_data) == ("tests/test_mod.py", False)


