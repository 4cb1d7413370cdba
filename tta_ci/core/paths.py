"""Path rules shared by the planner, the validator and the pre-commit hook (standard library only).

One test-file rule: a file is a test when pytest would collect it under the project's own
settings (``PytestRules``: ``python_files``, default ``test_*.py`` and ``*_test.py``; files under
``testpaths``), when it is test support (``conftest.py``), a root-level ``test.py``/``tests.py``,
or under one of the ``test_dirs``. The settings are read from the first of ``pytest.ini``,
``.pytest.ini``, ``pyproject.toml`` (``[tool.pytest.ini_options]``), ``tox.ini`` (``[pytest]``)
and ``setup.cfg`` (``[tool:pytest]``) that has them, as pytest reads them. Globs match as the
planner matches them (``**`` spans directories). tta-ci's own folder
(``.tta-ci``, the parent of the default ``output_dir`` and ``cache_dir``) is made by
``make_dirs`` only, which keeps it out of git. Nothing here imports anything beyond the
standard library at module level: the hook's no-op path uses it.
"""

from __future__ import annotations

import collections
import posixpath

TYPE_CHECKING = False  # not typing's: this module is on the hook's fast path
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = [
    "DEFAULT_INCLUDE",
    "DEFAULT_TEST_DIRS",
    "OWN_FOLDER",
    "PYTEST_CONFIG_FILES",
    "ROOT_TEST_FILES",
    "PytestRules",
    "glob_match",
    "imported_modules",
    "is_test_module",
    "is_test_name",
    "is_test_path",
    "make_dirs",
    "parse_pytest_rules",
    "python_candidates",
    "read_pytest_rules",
]

DEFAULT_INCLUDE = ("**/*.py",)
DEFAULT_TEST_DIRS = ("tests", "test")
OWN_FOLDER = ".tta-ci"
IGNORE_ALL = "# created by tta-ci: nothing in this folder belongs in git\n*\n"
DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
PYTEST_CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
ROOT_TEST_FILES = ("test.py", "tests.py")
_SECTIONS = {"pytest.ini": "pytest", ".pytest.ini": "pytest", "tox.ini": "pytest",
             "setup.cfg": "tool:pytest"}


_Rules = collections.namedtuple(
    "_Rules", ["python_files", "testpaths", "pythonpath", "doctest_modules", "import_mode"],
    defaults=[DEFAULT_PYTHON_FILES, (), (), False, None])
IMPORT_MODES = ("prepend", "append", "importlib")


class PytestRules(_Rules):
    """What of the project's pytest settings decides which files are tests, and how they run.

    ``testpaths`` count as test directories, unless ``addopts`` collects doctests from modules
    (then source lives there too). ``pythonpath`` entries are relative to the repository root;
    ``import_mode`` is the ``--import-mode`` of ``addopts`` (the one option of it the sandbox
    keeps: the project's tests may not import without it).
    """

    __slots__ = ()
    python_files: tuple[str, ...]
    testpaths: tuple[str, ...]
    pythonpath: tuple[str, ...]
    doctest_modules: bool
    import_mode: str | None

    def __new__(cls, python_files: tuple[str, ...] = DEFAULT_PYTHON_FILES,
                testpaths: tuple[str, ...] = (), pythonpath: tuple[str, ...] = (),
                doctest_modules: bool = False, import_mode: str | None = None) -> PytestRules:
        kept = tuple(p.strip("/") for p in testpaths if p.strip("/") not in ("", "."))
        mode = import_mode if import_mode in IMPORT_MODES else None
        return super().__new__(cls, python_files or DEFAULT_PYTHON_FILES, kept, pythonpath,
                               doctest_modules, mode)

    def collects(self, path: str) -> bool:
        """Whether the file name matches ``python_files`` (pytest's own test-module rule)."""
        import fnmatch

        name = posixpath.basename(path)
        return any(fnmatch.fnmatch(path if "/" in p else name, p) for p in self.python_files)

    def test_dirs(self) -> tuple[str, ...]:
        return () if self.doctest_modules else self.testpaths


def _words(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


def _options(name: str, text: str) -> dict[str, object] | None:
    """The pytest options a configuration file sets (None: it has no pytest section)."""
    if name == "pyproject.toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return None
        table = data.get("tool", {}).get("pytest", {}).get("ini_options")
        return table if isinstance(table, dict) else None
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    section = _SECTIONS.get(name, "pytest")
    return dict(parser[section]) if parser.has_section(section) else None


def _import_mode(addopts: tuple[str, ...]) -> str | None:
    for i, word in enumerate(addopts):
        if word.startswith("--import-mode="):
            return word.split("=", 1)[1]
        if word == "--import-mode" and i + 1 < len(addopts):
            return addopts[i + 1]
    return None


def parse_pytest_rules(texts: dict[str, str | None]) -> PytestRules:
    """The rules of the first configuration file (by pytest's order) with a pytest section;
    ``texts`` maps root-level file names to their contents."""
    for name in PYTEST_CONFIG_FILES:
        text = texts.get(name)
        options = _options(name, text) if text is not None else None
        if options is None:
            continue
        addopts = _words(options.get("addopts"))
        return PytestRules(python_files=_words(options.get("python_files")),
                           testpaths=_words(options.get("testpaths")),
                           pythonpath=_words(options.get("pythonpath")),
                           doctest_modules="--doctest-modules" in addopts,
                           import_mode=_import_mode(addopts))
    return PytestRules()


def read_pytest_rules(root: str) -> PytestRules:
    """``parse_pytest_rules`` of the configuration files in the directory ``root``."""
    import os

    texts: dict[str, str | None] = {}
    for name in PYTEST_CONFIG_FILES:
        try:
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                texts[name] = f.read()
        except OSError:
            continue
    return parse_pytest_rules(texts)


def is_test_module(name: str) -> bool:
    """A file name pytest collects tests from by default: ``test_*.py`` or ``*_test.py``."""
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def is_test_name(name: str) -> bool:
    """A test module or test support (``conftest.py``): never code under test."""
    return name == "conftest.py" or is_test_module(name)


def python_candidates(files: Iterable[str]) -> list[str]:
    """The ``.py`` files whose name alone does not make them test files."""
    return [f for f in files if f.endswith(".py") and not is_test_name(posixpath.basename(f))]


def is_test_path(path: str, test_dirs: Iterable[str],
                 rules: PytestRules | None = None) -> bool:
    """The one test-file rule: a file pytest collects (``rules``, default pytest's), test
    support, a root-level ``test.py``/``tests.py``, or a path under a test directory."""
    if is_test_name(posixpath.basename(path)) or path in ROOT_TEST_FILES:
        return True
    if rules is not None and rules.collects(path):
        return True
    parts = path.split("/")[:-1]
    for test_dir in (*test_dirs, *(rules.test_dirs() if rules is not None else ())):
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
                names.add(f"{base}{name}" if base.endswith(".") else f"{base}.{name}")
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
