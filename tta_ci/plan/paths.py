"""Paths: which files are planned, their import names, and where their tests live (pure).

Paths are POSIX and relative to the repository root. ``files`` is the set of paths present
on the head side of the change.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Collection, Mapping, Sequence

from tta_ci.core.config import Config
from tta_ci.core.paths import PytestRules, glob_match, imported_modules, is_test_path

__all__ = [
    "TestIndex",
    "TestLocation",
    "locate_tests",
    "module_name",
    "skip_reason",
]

TestLocation = tuple[str, bool]  # (test file path, exists)
Reader = Callable[[Sequence[str]], Mapping[str, str | None]]


def skip_reason(path: str, config: Config, rules: PytestRules | None = None) -> str | None:
    """Why a changed path is not planned, by its name alone (None: plan it); ``rules`` are
    the project's pytest settings (a file pytest would collect is a test, never a target)."""
    if not path.endswith(".py"):
        return "not python"
    if is_test_path(path, config.test_dirs, rules):
        return "test file"
    included = any(glob_match(path, p) for p in config.include)
    if not included or any(glob_match(path, p) for p in config.exclude):
        return "excluded by configuration"
    return None


def module_name(path: str, files: Collection[str]) -> tuple[str, str]:
    """(dotted module name, import root) of a Python file.

    Walks up the ``__init__.py`` packages; ``src/pkg/mod.py`` → ``("pkg.mod", "src")``.
    """
    parts = path[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    dirs = path.split("/")[:-1]
    depth = 0  # how many trailing directories are packages
    while depth < len(dirs) and "/".join([*dirs[: len(dirs) - depth], "__init__.py"]) in files:
        depth += 1
    root_parts = dirs[: len(dirs) - depth]
    if depth == 0 and dirs and dirs[0] == "src":
        root_parts = ["src"]  # namespace package under src/
    name_parts = parts[len(root_parts) :] or parts[-1:]
    return ".".join(name_parts), "/".join(root_parts)


def _test_dir(files: Collection[str], config: Config) -> str:
    for test_dir in config.test_dirs:
        prefix = test_dir.strip("/") + "/"
        if any(f.startswith(prefix) for f in files):
            return test_dir.strip("/")
    return config.test_dirs[0].strip("/") if config.test_dirs else "tests"


class TestIndex:
    """The test files of one side of a change, and which modules they import (read once)."""

    __test__ = False  # not a pytest class

    def __init__(self, files: Collection[str], config: Config, read: Reader,
                 rules: PytestRules | None = None) -> None:
        self.files = files
        self.test_dir = _test_dir(files, config)
        self.tests = sorted(
            f for f in files if f.endswith(".py") and is_test_path(f, config.test_dirs, rules)
            and posixpath.basename(f) != "conftest.py"
        )
        depth = self.test_dir.count("/") + 1
        inside = [t for t in self.tests if t.startswith(self.test_dir + "/")]
        deeper = sum(t.count("/") > depth for t in inside)
        # mirrored when most tests live in sub-folders (a stray data folder does not count)
        self.nested = deeper > len(inside) - deeper
        self._read = read
        self._importers: dict[str, list[str]] | None = None

    def importers(self, module: str) -> list[str]:
        if self._importers is None:
            self._importers = {}
            for test, text in self._read(self.tests).items():
                for name in imported_modules(text or ""):
                    self._importers.setdefault(name, []).append(test)
        return sorted(self._importers.get(module, []))

    def locate(self, path: str, module: str) -> TestLocation:
        """Where the tests of ``path`` live: an existing test file found by convention or by
        import, else the path a new test file gets (mirrored when the repository's tests are).
        """
        stem = module.rpartition(".")[2] or posixpath.basename(path)[:-3]
        package = "/".join(module.split(".")[:-1])
        flat = f"{self.test_dir}/test_{stem}.py"
        mirrored = f"{self.test_dir}/{package}/test_{stem}.py" if package else flat
        for candidate in dict.fromkeys((mirrored, flat)):
            if candidate in self.files:
                return candidate, True
        importers = self.importers(module)
        if importers:
            return importers[0], True
        return (mirrored if self.nested else flat), False


def locate_tests(
    path: str, module: str, files: Collection[str], config: Config, read: Reader
) -> TestLocation:
    """``TestIndex(files, config, read).locate(path, module)``."""
    return TestIndex(files, config, read).locate(path, module)
