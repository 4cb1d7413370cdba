"""Path rules shared by the planner, the validator and the pre-commit hook (standard library only).

One test-file rule: a file is a test module when its name is ``test_*.py`` or ``*_test.py``,
and test support when it is ``conftest.py``; a path under one of the ``test_dirs`` is a test
path. Globs match as the planner matches them (``**`` spans directories). tta-ci's own folder
(``.tta-ci``, the parent of the default ``output_dir`` and ``cache_dir``) is made by
``make_dirs`` only, which keeps it out of git. Nothing here imports anything beyond the
standard library at module level: the hook's no-op path uses it.
"""

from __future__ import annotations

import posixpath

TYPE_CHECKING = False  # not typing's: this module is on the hook's fast path
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = [
    "DEFAULT_INCLUDE",
    "DEFAULT_TEST_DIRS",
    "OWN_FOLDER",
    "glob_match",
    "imported_modules",
    "is_test_module",
    "is_test_name",
    "is_test_path",
    "make_dirs",
    "python_candidates",
]

DEFAULT_INCLUDE = ("**/*.py",)
DEFAULT_TEST_DIRS = ("tests", "test")
OWN_FOLDER = ".tta-ci"
IGNORE_ALL = "# created by tta-ci: nothing in this folder belongs in git\n*\n"


def is_test_module(name: str) -> bool:
    """A file name pytest collects tests from by default: ``test_*.py`` or ``*_test.py``."""
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def is_test_name(name: str) -> bool:
    """A test module or test support (``conftest.py``): never code under test."""
    return name == "conftest.py" or is_test_module(name)


def python_candidates(files: Iterable[str]) -> list[str]:
    """The ``.py`` files whose name alone does not make them test files."""
    return [f for f in files if f.endswith(".py") and not is_test_name(posixpath.basename(f))]


def is_test_path(path: str, test_dirs: Iterable[str]) -> bool:
    """The planner's test-file rule: a test file name, or a path under a test directory."""
    if is_test_name(posixpath.basename(path)):
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


def _glob_regex(pattern: str) -> str:
    import re

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
            out.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return "".join(out) + r"\Z"


def glob_match(path: str, pattern: str) -> bool:
    """``fnmatch`` with ``**`` spanning directories, as the planner matches globs."""
    import re

    return re.match(_glob_regex(pattern.removeprefix("./")), path) is not None


# -- what a test file imports (read as text, without parsing) -------------------------------


_IMPORT = r"^[ \t]*import[ \t]+([^#\n]+)"
_FROM = r"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(?:\(([^)]*)\)|([^#\n]*))"


def imported_modules(text: str) -> set[str]:
    """Dotted names a test file imports (``from a import b`` gives ``a`` and ``a.b``)."""
    import re  # here: the hook's no-op path does not need it

    names: set[str] = set()
    for match in re.finditer(_IMPORT, text, re.MULTILINE):
        names.update(part.split(" as ")[0].strip() for part in match.group(1).split(","))
    for match in re.finditer(_FROM, text, re.MULTILINE):
        base = match.group(1)
        names.add(base)
        listed = (match.group(2) or match.group(3) or "").replace("\\", " ")
        for part in re.split(r"[,\n]", listed):
            name = part.split("#")[0].split(" as ")[0].strip()
            if name and name != "*":
                names.add(f"{base}.{name}")
    return names


def make_dirs(path: Path) -> Path:
    """``mkdir -p path``. When ``path`` is in a ``.tta-ci`` folder (the defaults are), that
    folder gets a ``.gitignore`` holding ``*`` if it has none, as ``.pytest_cache`` does: a
    user's ``git add -A`` never stages tta-ci's outputs, and a pre-commit hook run does not
    change a tracked file. The ``.gitignore`` is a courtesy: failing to write it is no error.
    """
    path.mkdir(parents=True, exist_ok=True)
    own = next((p for p in (path, *path.parents) if p.name == OWN_FOLDER), None)
    if own is not None:
        ignore = own / ".gitignore"
        try:
            with ignore.open("x", encoding="utf-8") as f:  # never over the user's own
                f.write(IGNORE_ALL)
        except OSError:  # FileExistsError included
            pass
    return path
