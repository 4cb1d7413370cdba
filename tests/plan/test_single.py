"""tta_ci.plan.single: plan_file, changed_lines_for and task_for_lines on the working tree of
real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError
from tta_ci.plan.single import changed_lines_for, plan_file, task_for_lines

SHAPES = '''\
"""Shapes."""
from math import pi

UNIT = 1


class Circle:
    """A circle."""

    def __init__(self, r):
        self.r = r

    def area(self):
        return pi * self.r ** 2


class Empty:
    kind = "none"


def _helper(x):
    return x
'''


@pytest.fixture
def repo(git_repo: Path, commit: CommitFn) -> Path:
    commit({"geo/__init__.py": "", "geo/shapes.py": SHAPES,
            "tests/geo/test_shapes.py": "from geo.shapes import Circle\n"})
    return git_repo


def test_whole_file(repo: Path) -> None:
    result = plan_file(repo, Config(), "geo/shapes.py", description="cover shapes")
    tasks = [(t.symbol, t.kind, t.changed_lines, t.priority.value) for t in result.tasks]
    assert tasks == [
        ("Circle.__init__", "method", (10, 11), "high"),
        ("Circle.area", "method", (13, 14), "high"),
        ("Empty", "class", (17, 18), "high"),
        ("_helper", "function", (21, 22), "low"),
    ]
    first = result.tasks[0]
    assert (first.test_file, first.test_file_exists) == ("tests/geo/test_shapes.py", True)
    assert (first.module, first.description) == ("geo.shapes", "cover shapes")
    assert first.base_source == first.source


def test_one_symbol_and_a_class(repo: Path) -> None:
    (task,) = plan_file(repo, Config(), str(repo / "geo/shapes.py"), symbol="Circle.area").tasks
    assert (task.id, task.start_line, task.end_line) == ("geo/shapes.py::Circle.area", 13, 14)
    (cls,) = plan_file(repo, Config(), "geo/shapes.py", symbol="Circle").tasks
    assert (cls.kind, cls.changed_lines) == ("class", (7, 10, 11, 13, 14))


def test_unknown_symbol_lists_the_available_ones(repo: Path) -> None:
    with pytest.raises(UsageError) as info:
        plan_file(repo, Config(), "geo/shapes.py", symbol="Square")
    assert str(info.value) == (
        "geo/shapes.py: no symbol 'Square'; available: Circle, Circle.__init__, Circle.area, "
        "Empty, _helper"
    )


def test_module_without_symbols_and_the_cap(repo: Path, commit: CommitFn) -> None:
    commit({"settings.py": '"""S."""\nDEBUG = False\n'})
    (task,) = plan_file(repo, Config(), "settings.py").tasks
    assert (task.symbol, task.kind, task.changed_lines) == ("<module>", "module", (2,))
    capped = plan_file(repo, Config(max_tasks=2), "geo/shapes.py")
    assert [t.symbol for t in capped.tasks] == ["Circle.__init__", "Circle.area"]
    assert [(s.symbol, s.reason) for s in capped.skipped] == [
        ("Empty", "over max_tasks (2)"), ("_helper", "over max_tasks (2)")
    ]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("geo/missing.py", "geo/missing.py: no such file"),
        ("/etc/hostname", "/etc/hostname: not inside the repository"),
        ("bad.py", "bad.py: syntax error at line 1; fix it first"),
        ("latin.py", "latin.py: binary or not UTF-8"),
    ],
)
def test_bad_files(repo: Path, path: str, message: str) -> None:
    write(repo, {"bad.py": "def (\n"})
    (repo / "latin.py").write_bytes(b"x = '\xe9'\n")
    with pytest.raises(UsageError, match="^" + message):
        plan_file(repo, Config(), path)


def test_changed_lines_for(repo: Path) -> None:
    assert changed_lines_for(repo, "geo/shapes.py") == []
    write(repo, {"geo/shapes.py": SHAPES.replace("UNIT = 1", "UNIT = 2\nHALF = 0.5")})
    assert changed_lines_for(repo, "geo/shapes.py") == [4, 5]
    write(repo, {"new.py": "a = 1\nb = 2\n"})
    assert changed_lines_for(repo, "new.py") == [1, 2]


def test_task_for_lines(repo: Path) -> None:
    one = task_for_lines(repo, Config(), "geo/shapes.py", [13, 14])
    assert (one.id, one.kind, one.changed_lines) == (
        "geo/shapes.py::Circle.area", "method", (13, 14)
    )
    several = task_for_lines(repo, Config(), "geo/shapes.py", [4, 14])
    assert (several.symbol, several.kind, several.start_line, several.end_line) == (
        "<module>", "module", 1, 22
    )
    with pytest.raises(UsageError, match="line 99 is outside the file"):
        task_for_lines(repo, Config(), "geo/shapes.py", [99])


def test_task_without_lines_takes_the_change_else_the_whole_file(repo: Path) -> None:
    whole = task_for_lines(repo, Config(), "geo/shapes.py", None)
    assert (whole.symbol, whole.changed_lines) == ("<module>", tuple(range(1, 23)))
    write(repo, {"geo/shapes.py": SHAPES.replace("self.r ** 2", "self.r * self.r")})
    changed = task_for_lines(repo, Config(), "geo/shapes.py", None)
    assert (changed.symbol, changed.changed_lines) == ("Circle.area", (14,))
    assert "self.r ** 2" in changed.base_source and "self.r * self.r" in changed.source


def test_a_repository_without_commits_has_every_line_changed(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, {"new.py": "def f():\n    return 1\n"})
    assert changed_lines_for(tmp_path, "new.py") == [1, 2]
    task = task_for_lines(tmp_path, Config(), "new.py", None)
    assert (task.symbol, task.changed_lines) == ("f", (1, 2))
