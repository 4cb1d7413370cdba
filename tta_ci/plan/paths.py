"""Paths: which files are planned, their import names, and where their tests live (pure).

Paths are POSIX and relative to the repository root. ``files`` is the set of paths present
on the head side of the change.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Collection, Iterable
from functools import lru_cache

from tta_ci.config import Config

__all__ = [
    "TestLocation",
    "glob_match",
    "is_test_file",
    "locate_tests",
    "module_name",
    "skip_reason",
]

TestLocation = tuple[str, bool]  # (test file path, exists)


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            char = pattern[i]
            out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(path: str, pattern: str) -> bool:
    """``fnmatch`` with ``**`` spanning directories (``**/*.py`` also matches ``a.py``)."""
    return _glob_regex(pattern.removeprefix("./")).match(path) is not None


def is_test_file(path: str, test_dirs: Iterable[str]) -> bool:
    name = posixpath.basename(path)
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    parts = path.split("/")[:-1]
    for test_dir in test_dirs:
        test_dir = test_dir.strip("/")
        if "/" in test_dir:
            if path.startswith(test_dir + "/"):
                return True
        elif test_dir in parts:
            return True
    return False


def skip_reason(path: str, config: Config) -> str | None:
    """Why a changed path is not planned, by its name alone (None: plan it)."""
    if not path.endswith(".py"):
        return "not python"
    if is_test_file(path, config.test_dirs):
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


def _imports_module(text: str, module: str) -> bool:
    head, _, last = module.rpartition(".")
    escaped = re.escape(module)
    patterns = [rf"^\s*import\s+[^#\n]*\b{escaped}\b", rf"^\s*from\s+{escaped}\s+import\b"]
    if head:
        patterns.append(rf"^\s*from\s+{re.escape(head)}\s+import\s+[^#\n]*\b{re.escape(last)}\b")
    return any(re.search(p, text, re.MULTILINE) for p in patterns)


def _test_dir(files: Collection[str], config: Config) -> str:
    for test_dir in config.test_dirs:
        prefix = test_dir.strip("/") + "/"
        if any(f.startswith(prefix) for f in files):
            return test_dir.strip("/")
    return config.test_dirs[0].strip("/") if config.test_dirs else "tests"


def locate_tests(
    path: str,
    module: str,
    files: Collection[str],
    config: Config,
    read: Callable[[str], str | None],
) -> TestLocation:
    """Where the tests of ``path`` live: an existing test file found by convention or by
    import, else the path a new test file gets (mirrored when the repository's tests are).
    """
    test_dir = _test_dir(files, config)
    stem = module.rpartition(".")[2] or posixpath.basename(path)[:-3]
    package = "/".join(module.split(".")[:-1])
    flat = f"{test_dir}/test_{stem}.py"
    mirrored = f"{test_dir}/{package}/test_{stem}.py" if package else flat
    for candidate in dict.fromkeys((mirrored, flat)):
        if candidate in files:
            return candidate, True
    tests = sorted(f for f in files if f.endswith(".py") and is_test_file(f, config.test_dirs)
                   and posixpath.basename(f) != "conftest.py")
    for test in tests:
        text = read(test)
        if text is not None and _imports_module(text, module):
            return test, True
    nested = any(t.startswith(test_dir + "/") and t.count("/") > test_dir.count("/") + 1
                 for t in tests)
    return (mirrored if nested else flat), False
