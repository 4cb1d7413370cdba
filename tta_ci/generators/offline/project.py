"""The project's test files and configuration, read once from the head's workspace.

A task's relevant test files are its own test file, then the files that import its module (or
a package above it) and name its symbol: the calls worth copying are there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tta_ci.core.paths import imported_modules, is_test_module, is_test_path
from tta_ci.core.types import Task
from tta_ci.generators.offline.style import Style, read_style

__all__ = ["MAX_TEST_FILES", "ProjectFiles"]

MAX_TEST_FILES = 12
MAX_FILES_READ = 500
MAX_FILE_BYTES = 400_000
_SKIP = {".git", ".venv", "venv", "node_modules", "site-packages", "build", "dist",
         "__pycache__", ".tox", ".nox", ".tta-ci"}


@dataclass
class ProjectFiles:
    tests: dict[str, str] = field(default_factory=dict)  # path → text
    pyproject: str = ""

    @classmethod
    def read(cls, root: Path, test_dirs: Sequence[str]) -> ProjectFiles:
        found: dict[str, str] = {}
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root)
            if len(found) >= MAX_FILES_READ or any(
                    p in _SKIP or p.startswith(".") for p in rel.parts[:-1]):
                continue
            posix = rel.as_posix()
            if not (is_test_module(path.name) or is_test_path(posix, test_dirs)):
                continue
            try:
                if path.stat().st_size <= MAX_FILE_BYTES:
                    found[posix] = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
        try:
            pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
        except OSError:
            pyproject = ""
        return cls(found, pyproject)

    def tests_for(self, task: Task) -> dict[str, str]:
        """The test files worth reading for ``task``, its own test file first."""
        name = task.symbol.split(".")[0]
        parents = {".".join(task.module.split(".")[: i + 1])
                   for i in range(len(task.module.split(".")))}
        ranked: list[tuple[int, str]] = []
        for path, text in self.tests.items():
            if path == task.test_file:
                ranked.append((0, path))
                continue
            if name not in text:
                continue
            modules = imported_modules(text)
            if task.module in modules or any(m.startswith(task.module + ".") for m in modules):
                ranked.append((1, path))
            elif modules & parents:
                ranked.append((2, path))
        ranked.sort()
        return {p: self.tests[p] for _, p in ranked[:MAX_TEST_FILES]}

    def style(self, task: Task) -> Style:
        return read_style(self.pyproject, self.tests.get(task.test_file),
                          [task.module.split(".")[0]])
