"""Where tests are in a workspace, and where candidates go."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from tta_ci.core.paths import ROOT_TEST_FILES, imported_modules, is_test_module, read_pytest_rules

__all__ = ["MAX_RELEVANT_TESTS", "existing_tests", "place_candidates", "relevant_tests"]

MAX_RELEVANT_TESTS = 20

SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "site-packages", "build", "dist",
             "__pycache__", ".tox", ".nox", ".tta-ci"}


def existing_tests(ws: Path, test_dirs: Sequence[str]) -> list[str]:
    """The repository's test modules, relative and sorted: the files pytest collects under the
    project's settings (``python_files``, default ``test_*.py``/``*_test.py``, under
    ``testpaths`` when set), ``test*.py`` in a test directory, and a root-level
    ``test.py``/``tests.py``."""
    rules = read_pytest_rules(str(ws))
    found: set[str] = set()
    for root, dirs, files in os.walk(ws):  # not ``rglob``: it enters every data folder
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        rel_root = PurePosixPath(Path(root).relative_to(ws).as_posix())
        for name in files:
            if not name.endswith(".py"):
                continue
            rel = rel_root / name
            posix = rel.as_posix()
            if rules.testpaths and posix not in ROOT_TEST_FILES and not any(
                    posix.startswith(p + "/") for p in rules.testpaths):
                continue
            in_test_dir = len(rel.parts) > 1 and rel.parts[0] in (*test_dirs,
                                                                   *rules.test_dirs())
            collected = is_test_module(name) or rules.collects(posix)
            if collected or posix in ROOT_TEST_FILES or (in_test_dir and name.startswith("test")):
                found.add(posix)
    return sorted(found)


def _imports_module(text: str, module: str) -> bool:
    return any(n == module or n.startswith(f"{module}.") for n in imported_modules(text))


def relevant_tests(ws: Path, tests: Sequence[str], test_file: str, module: str) -> list[str]:
    """The existing tests that matter for one target: its test file, then the test files that
    import its module (at most ``MAX_RELEVANT_TESTS``). Running a whole suite for every
    target would not scale to real projects.
    """
    chosen = [test_file] if test_file in tests else []
    for rel in tests:
        if len(chosen) >= MAX_RELEVANT_TESTS:
            break
        if rel in chosen or not module:
            continue
        try:
            text = (ws / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if _imports_module(text, module):
            chosen.append(rel)
    return chosen


def _free_name(ws: Path, test_file: str, index: int) -> str:
    path = PurePosixPath(test_file)
    stem = path.stem
    suffix = 0
    while True:
        tag = f"tta{index}" + (f"_{suffix}" if suffix else "")
        name = f"{stem[:-5]}_{tag}_test.py" if stem.endswith("_test") else f"{stem}_{tag}.py"
        candidate = (path.parent / name).as_posix()
        if not (ws / candidate).exists():
            return candidate
        suffix += 1


def place_candidates(ws: Path, test_file: str, codes: Mapping[int, str]) -> dict[int, str]:
    """Write each candidate into the workspace; a lone candidate takes ``test_file`` if free.

    Returns index → path relative to the workspace.
    """
    paths: dict[int, str] = {}
    for index, code in codes.items():
        if len(codes) == 1 and not (ws / test_file).exists():
            rel = test_file
        else:
            rel = _free_name(ws, test_file, index + 1)
        target = ws / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
        paths[index] = rel
    return paths
