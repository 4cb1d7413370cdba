"""Reading one side of a change (a commit, the index or the working tree) for the planner.

A ``Side`` reads file bytes lazily and caches them, so a file read for one task (a test file
scanned for imports) is not read again for the next.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from tta_ci.core.config import Config
from tta_ci.core.paths import PYTEST_CONFIG_FILES, PytestRules, parse_pytest_rules
from tta_ci.git import repo as gitops
from tta_ci.plan.paths import TestIndex, module_name
from tta_ci.plan.symbols import ParsedSource, parse_source
from tta_ci.plan.tasks import FileContext

__all__ = ["Side", "decode", "file_context", "parse_or_none", "tree_side"]

Reader = Callable[[Sequence[str]], Mapping[str, bytes | None]]


def decode(data: bytes) -> str | None:
    """UTF-8 text, or None for binary or other encodings."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class Side:
    """The files of one side of a change: their paths and, on demand, their contents."""

    def __init__(self, files: Collection[str], read: Reader) -> None:
        self.files = frozenset(files)
        self._read = read
        self._cache: dict[str, bytes | None] = {}
        self._tests: dict[tuple[str, ...], TestIndex] = {}
        self._rules: PytestRules | None = None

    def test_index(self, config: Config) -> TestIndex:
        """The test files of this side (built once per ``test_dirs``)."""
        key = config.test_dirs
        if key not in self._tests:
            self._tests[key] = TestIndex(self.files, config, self.read_texts,
                                         self.pytest_rules())
        return self._tests[key]

    def pytest_rules(self) -> PytestRules:
        """The project's pytest settings on this side (its root-level configuration files)."""
        if self._rules is None:
            names = [n for n in PYTEST_CONFIG_FILES if n in self.files]
            self._rules = parse_pytest_rules(self.read_texts(names))
        return self._rules

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read the paths not read yet, all at once."""
        missing = [p for p in dict.fromkeys(paths) if p not in self._cache]
        if missing:
            self._cache.update(self._read(missing))

    def read_bytes(self, path: str) -> bytes | None:
        self.prefetch([path])
        return self._cache.get(path)

    def read_text(self, path: str) -> str | None:
        data = self.read_bytes(path)
        return None if data is None else decode(data)

    def read_texts(self, paths: Sequence[str]) -> dict[str, str | None]:
        self.prefetch(paths)
        return {p: self.read_text(p) for p in paths}


def tree_side(repo: gitops.Repo, ref: str | None) -> Side:
    """A commit (``ref``), the index (``gitops.INDEX``) or the working tree (``None``)."""
    if ref is not None:
        return Side(gitops.list_files(repo, ref), lambda ps: gitops.show_many(repo, ref, ps))
    root = gitops.root(repo)
    files = [*gitops.list_files(repo, gitops.INDEX), *gitops.untracked_files(repo)]
    present = [f for f in files if (root / f).is_file()]

    def read(paths: Sequence[str]) -> dict[str, bytes | None]:
        return {p: (root / p).read_bytes() if (root / p).is_file() else None for p in paths}

    return Side(present, read)


def parse_or_none(text: str | None, path: str) -> ParsedSource | None:
    if text is None:
        return None
    try:
        return parse_source(text, path)
    except (SyntaxError, ValueError):
        return None


def file_context(
    path: str, head: ParsedSource, base: ParsedSource | None, side: Side, config: Config
) -> FileContext:
    """What the tasks of ``path`` share: import name, test file, sources."""
    module, import_root = module_name(path, side.files)
    test_file, exists = side.test_index(config).locate(path, module)
    return FileContext(
        path=path,
        module=module,
        import_root=import_root,
        test_file=test_file,
        test_file_exists=exists,
        test_source=(side.read_text(test_file) or "") if exists else "",
        head=head,
        base=base,
    )
