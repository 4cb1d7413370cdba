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
    return any(_names(n, module) for n in imported_modules(text))


def _names(name: str, module: str) -> bool:
    return name == module or name.startswith(f"{module}.")


def _absolute(name: str, package: str) -> str | None:
    """``name`` as written in ``from name import …`` inside ``package``, made absolute
    (``..x`` in ``a.b`` is ``a.x``); ``None`` when it climbs above the top package."""
    if not name.startswith("."):
        return name
    rest = name.lstrip(".")
    up = len(name) - len(rest) - 1
    parts = package.split(".") if package else []
    if up > len(parts) or not parts:
        return None
    base = parts[:len(parts) - up]
    return ".".join([*base, rest] if rest else base) or None


class _ImportGraph:
    """The project's own imports, read from its files: which test files end up importing the
    target, directly or through other project modules, package ``__init__`` files and
    ``conftest.py`` files included. Each file is read once; the walk is linear in the files
    the tests can reach."""

    def __init__(self, ws: Path, import_root: str, tests: Sequence[str]) -> None:
        self.ws = ws
        roots = [import_root, ""]
        roots += [_basedir(ws, rel) for rel in tests]
        self.roots = [ws / r if r else ws for r in dict.fromkeys(roots)]
        self._files: dict[str, Path | None] = {}

    def file_of(self, module: str) -> Path | None:
        if module not in self._files:
            parts = module.split(".")
            found = None
            for root in self.roots:
                for path in (root.joinpath(*parts).with_suffix(".py"),
                             root.joinpath(*parts, "__init__.py")):
                    if path.is_file():
                        found = path
                        break
                if found:
                    break
            self._files[module] = found
        return self._files[module]

    def imports(self, path: Path, package: str) -> set[str]:
        """The absolute dotted names a file imports, with every parent package (importing
        ``a.b.c`` runs ``a`` and ``a.b`` first)."""
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return set()
        names: set[str] = set()
        for raw in imported_modules(text):
            name = _absolute(raw, package)
            if not name:
                continue
            parts = name.split(".")
            names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        return names

    def reaching(self, tests: Sequence[str], module: str) -> dict[str, int]:
        """Test file → how many import steps it is from ``module``, for the tests that
        import it at all."""
        edges: dict[str, set[str]] = {}  # node → the nodes it imports
        hits: set[str] = set()  # nodes that name the target
        todo: list[str] = []
        for rel in tests:
            edges[rel] = self._test_deps(rel)
            todo.extend(edges[rel])
        while todo:
            name = todo.pop()
            if name in edges:
                continue
            edges[name] = set()
            if _names(name, module):
                hits.add(name)
            path = self.file_of(name)
            if path is None:
                continue
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            edges[name] = self.imports(path, package)
            todo.extend(edges[name])
        back: dict[str, list[str]] = {}
        for node, deps in edges.items():
            for dep in deps:
                back.setdefault(dep, []).append(node)
        steps = dict.fromkeys(hits, 0)
        frontier = list(hits)
        while frontier:
            nxt = []
            for node in frontier:
                for parent in back.get(node, ()):
                    if parent not in steps:
                        steps[parent] = steps[node] + 1
                        nxt.append(parent)
            frontier = nxt
        return {rel: steps[rel] for rel in tests if rel in steps}

    def _test_deps(self, rel: str) -> set[str]:
        """What importing a test file runs: its own imports, its package's ``__init__``
        chain and the ``conftest.py`` files above it (as pytest's default import mode does)."""
        base = _basedir(self.ws, rel)
        path = PurePosixPath(rel)
        inner = path.relative_to(base) if base else path
        package = ".".join(inner.parent.parts)
        deps = self.imports(self.ws / rel, package)
        if package:
            parts = package.split(".")
            deps.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        for folder in [path.parent, *path.parent.parents]:
            conftest = (folder / "conftest.py").as_posix()
            if conftest != rel and (self.ws / conftest).is_file():
                deps.update(self._test_deps(conftest))
        return deps


def _basedir(ws: Path, rel: str) -> str:
    """The folder pytest puts on ``sys.path`` for a test file: the first one above it that is
    not a package (``""`` for the workspace)."""
    folder = PurePosixPath(rel).parent
    while folder.parts and (ws / folder / "__init__.py").is_file():
        folder = folder.parent
    return folder.as_posix() if folder.parts else ""


def relevant_tests(ws: Path, tests: Sequence[str], test_file: str, module: str, *,
                   import_root: str = "", symbol: str = "") -> list[str]:
    """The existing tests that matter for one target, at most ``MAX_RELEVANT_TESTS``: its
    test file, then the test files that import its module by name, then the ones that import
    it through the project's own modules (``from . import pkg`` in a test package whose
    ``__init__`` imports the target, a package ``__init__`` that imports its submodules, a
    ``conftest.py``), nearest first. Within each group, files that name the changed symbol
    come first. Running a whole suite for every target would not scale to real projects.
    """
    chosen = [test_file] if test_file in tests else []
    if not module:
        return chosen
    word = symbol.rpartition(".")[2]
    texts: dict[str, str] = {}
    for rel in tests:
        try:
            texts[rel] = (ws / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue

    def named(rel: str) -> bool:
        return bool(word) and word.isidentifier() and word in texts.get(rel, "")

    direct = [rel for rel in tests
              if rel not in chosen and rel in texts and _imports_module(texts[rel], module)]
    chosen += sorted(direct, key=lambda rel: not named(rel))
    if len(chosen) < MAX_RELEVANT_TESTS:
        rest = [rel for rel in tests if rel not in chosen and rel in texts]
        steps = _ImportGraph(ws, import_root, rest).reaching(rest, module)
        chosen += sorted(steps, key=lambda rel: (not named(rel), steps[rel]))
    return chosen[:MAX_RELEVANT_TESTS]


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
