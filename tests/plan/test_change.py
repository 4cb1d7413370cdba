"""tta_ci.plan.change: plan_change on real repositories: the exact tasks and skips of each kind of
change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.core.config import Config
from tta_ci.core.errors import GitError
from tta_ci.core.types import PlanResult, Skip, TaskPriority
from tta_ci.git.repo import EMPTY_TREE
from tta_ci.plan.change import plan_change

CALC = '''\
"""Calculator."""
import math


def add(a, b):
    """Add."""
    return a + b


def sub(a, b):
    return a - b


class Shape:
    sides = 0

    def area(self):
        return 0

    def _scale(self, k):
        return k
'''


def plan(repo: Path, base: str, config: Config | None = None, **kw: object) -> PlanResult:
    return plan_change(repo, config or Config(), {}, base=base, **kw)  # type: ignore[arg-type]


def summary(result: PlanResult) -> tuple[list[tuple[str, tuple[int, ...]]], list[Skip]]:
    return sorted((t.id, t.changed_lines) for t in result.tasks), list(result.skipped)


@pytest.fixture
def base(commit: CommitFn) -> str:
    return commit({"calc.py": CALC}, "base")


def test_method_in_a_class(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({"calc.py": CALC.replace("        return 0\n", "        return 1\n")})
    result = plan(git_repo, base)
    assert summary(result) == ([("calc.py::Shape.area", (18,))], [])
    task = result.tasks[0]
    assert (task.kind, task.start_line, task.end_line) == ("method", 17, 18)
    assert task.source == "    def area(self):\n        return 1\n"
    assert task.base_source == "    def area(self):\n        return 0\n"
    assert task.imports == "import math"
    assert (task.module, task.import_root) == ("calc", "")
    assert (task.test_file, task.test_file_exists) == ("tests/test_calc.py", False)
    assert task.priority is TaskPriority.HIGH


def test_nested_function_maps_to_the_outer_function(
    git_repo: Path, commit: CommitFn, base: str
) -> None:
    nested = CALC.replace(
        "    return a - b\n",
        "    def neg(x):\n        return -x\n    return a + neg(b)\n",
    )
    commit({"calc.py": nested})
    assert summary(plan(git_repo, base)) == ([("calc.py::sub", (11, 12, 13))], [])


def test_decorator_change(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({"calc.py": CALC.replace("def sub", "@staticmethod\ndef sub")})
    result = plan(git_repo, base)
    assert summary(result) == ([("calc.py::sub", (10,))], [])
    assert (result.tasks[0].start_line, result.tasks[0].end_line) == (10, 12)


def test_module_level_change(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({"calc.py": CALC.replace("import math\n", "import math\n\nPI = math.pi\n")})
    result = plan(git_repo, base)
    assert summary(result) == ([("calc.py::<module>", (4,))], [])
    assert result.tasks[0].kind == "module"
    assert result.tasks[0].priority is TaskPriority.NORMAL


def test_class_attribute_change_is_a_class_task(
    git_repo: Path, commit: CommitFn, base: str
) -> None:
    commit({"calc.py": CALC.replace("sides = 0", "sides = 4")})
    result = plan(git_repo, base)
    assert summary(result) == ([("calc.py::Shape", (15,))], [])
    assert result.tasks[0].kind == "class"


def test_two_symbols_of_one_file_and_one_symbol_in_two_hunks(
    git_repo: Path, commit: CommitFn, base: str
) -> None:
    edited = CALC.replace("return a + b", "return b + a").replace(
        "def area(self):\n        return 0", "def area(self):\n        x = 0\n        return x"
    ).replace("def sub(a, b):\n    return a - b", "def sub(a, b):\n    c = a\n\n\n    return c - b")
    commit({"calc.py": edited})
    ids = summary(plan(git_repo, base))[0]
    assert ids == [
        ("calc.py::Shape.area", (21, 22)),
        ("calc.py::add", (7,)),
        ("calc.py::sub", (11, 14)),
    ]


def test_private_method_is_low_priority(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({"calc.py": CALC.replace("return k", "return k * 2")})
    result = plan(git_repo, base)
    assert [(t.id, t.priority) for t in result.tasks] == [
        ("calc.py::Shape._scale", TaskPriority.LOW)
    ]


def test_comment_and_docstring_only_change(git_repo: Path, commit: CommitFn, base: str) -> None:
    edited = CALC.replace('"""Add."""', '"""Add two numbers."""').replace(
        "    return a - b", "    # subtract\n    return a - b  # b from a\n"
    )
    commit({"calc.py": edited})
    assert summary(plan(git_repo, base)) == (
        [], [Skip(file="calc.py", reason="only comments, docstrings or blank lines")]
    )


def test_reformatting_only_is_not_a_task(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({"calc.py": CALC.replace("def sub(a, b):", "def sub(\n    a,\n    b,\n):")})
    assert summary(plan(git_repo, base)) == (
        [], [Skip(file="calc.py", reason="only formatting", symbol="sub")]
    )


def test_removing_a_function_is_not_a_task(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({"calc.py": CALC.replace("def sub(a, b):\n    return a - b\n\n\n", "")})
    assert summary(plan(git_repo, base)) == ([], [Skip(file="calc.py", reason="only removed code")])


def test_removing_a_line_inside_a_function(git_repo: Path, commit: CommitFn, base: str) -> None:
    before = CALC.replace("    return a - b\n", "    a = abs(a)\n    return a - b\n")
    start = commit({"calc.py": before})
    commit({"calc.py": CALC})
    result = plan(git_repo, start)
    assert summary(result) == ([("calc.py::sub", (10, 11))], [])


def test_rename_without_edits(git_repo: Path, commit: CommitFn, base: str) -> None:
    git(git_repo, "mv", "calc.py", "calculator.py")
    git(git_repo, "commit", "-q", "-m", "rename")
    assert summary(plan(git_repo, base)) == ([], [Skip(file="calculator.py", reason="pure rename")])


def test_rename_with_edits_follows_the_file(git_repo: Path, commit: CommitFn, base: str) -> None:
    git(git_repo, "mv", "calc.py", "calculator.py")
    commit({"calculator.py": CALC.replace("return a - b", "return b - a")})
    result = plan(git_repo, base)
    assert summary(result) == ([("calculator.py::sub", (11,))], [])
    assert result.tasks[0].base_source == "def sub(a, b):\n    return a - b\n"


def test_deleted_file(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({"calc.py": None})
    assert summary(plan(git_repo, base)) == ([], [Skip(file="calc.py", reason="deleted")])


def test_new_file(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({"geo.py": "import math\n\n\ndef dist(p):\n    return math.hypot(*p)\n"})
    result = plan(git_repo, base)
    assert summary(result) == ([("geo.py::dist", (4, 5))], [])
    assert result.tasks[0].base_source is None


def test_files_that_are_not_planned(git_repo: Path, commit: CommitFn, base: str) -> None:
    (git_repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (git_repo / "latin.py").write_bytes("def f():\n    return 'caf\xe9'\n".encode("latin-1"))
    (git_repo / "nul.py").write_bytes(b"def f():\n    return 1\n\0\n")
    git(git_repo, "add", "logo.png", "latin.py", "nul.py")
    commit({
        "README.md": "# calc\n",
        "broken.py": "def f(:\n    pass\n",
        "tests/test_calc.py": "def test_add():\n    assert 1\n",
        "test_top.py": "x = 1\n",
        "pkg/conftest.py": "x = 1\n",
        "pkg/mod_test.py": "x = 1\n",
    })
    assert sorted((s.file, s.reason) for s in plan(git_repo, base).skipped) == [
        ("README.md", "not python"),
        ("broken.py", "syntax error on head: line 1"),
        ("latin.py", "binary or not UTF-8"),
        ("logo.png", "not python"),
        ("nul.py", "binary or not UTF-8"),
        ("pkg/conftest.py", "test file"),
        ("pkg/mod_test.py", "test file"),
        ("test_top.py", "test file"),
        ("tests/test_calc.py", "test file"),
    ]


def test_excluded_by_configuration(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({"calc.py": CALC.replace("a + b", "b + a"), "gen/out.py": "def g():\n    return 1\n",
            "scripts/run.py": "def r():\n    return 1\n"})
    config = Config(exclude=("gen/**",), include=("*.py", "gen/*.py"))
    assert summary(plan(git_repo, base, config)) == ([("calc.py::add", (7,))], [
        Skip(file="gen/out.py", reason="excluded by configuration"),
        Skip(file="scripts/run.py", reason="excluded by configuration"),
    ])


def test_several_files_and_the_cap(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({
        "calc.py": CALC.replace("return k", "return k * 2").replace("a - b", "b - a"),
        "pkg/__init__.py": "",
        "pkg/big.py": "def big(x):\n    y = x\n    y += 1\n    return y\n",
    })
    full = plan(git_repo, base)
    assert [t.id for t in full.tasks] == [
        "pkg/big.py::big", "calc.py::sub", "calc.py::Shape._scale"
    ]
    capped = plan(git_repo, base, Config(max_tasks=1))
    assert [t.id for t in capped.tasks] == ["pkg/big.py::big"]
    assert capped.skipped == (
        Skip(file="pkg/__init__.py", reason="only comments, docstrings or blank lines"),
        Skip(file="calc.py", reason="over max_tasks (1)", symbol="sub"),
        Skip(file="calc.py", reason="over max_tasks (1)", symbol="Shape._scale"),
    )


def test_hash_ignores_line_shifts_but_not_content(
    git_repo: Path, commit: CommitFn, base: str
) -> None:
    commit({"calc.py": CALC.replace("a - b", "b - a")})
    first = plan(git_repo, base).tasks[0]
    shifted = commit({"calc.py": "# header\n" + CALC.replace("a - b", "b - a")})
    second = plan(git_repo, base, head=shifted).tasks
    assert [t.id for t in second] == ["calc.py::sub"]
    assert second[0].hash == first.hash
    assert second[0].changed_lines == (12,)
    assert plan(git_repo, base, Config(model="x/y")).tasks[0].hash != first.hash


def test_base_and_head_diff_from_their_merge_base(git_repo: Path, commit: CommitFn) -> None:
    base = commit({"calc.py": CALC})
    git(git_repo, "checkout", "-q", "-b", "feature")
    commit({"calc.py": CALC.replace("a - b", "b - a")})
    git(git_repo, "checkout", "-q", "main")
    main_tip = commit({"other.py": "def o():\n    return 1\n"})
    result = plan_change(git_repo, Config(), {}, base="main", head="feature")
    assert [t.id for t in result.tasks] == ["calc.py::sub"]
    assert result.base == base and result.base != main_tip


def test_default_base_is_the_upstream_merge_base(git_repo: Path, commit: CommitFn) -> None:
    base = commit({"calc.py": CALC})
    git(git_repo, "checkout", "-q", "-b", "feature")
    commit({"calc.py": CALC.replace("a - b", "b - a")})
    commit({"calc.py": CALC.replace("a - b", "b - a").replace("a + b", "b + a")})
    result = plan_change(git_repo, Config(), {})
    assert result.base == base
    assert sorted(t.id for t in result.tasks) == ["calc.py::add", "calc.py::sub"]


def test_default_base_on_main_is_the_last_commit(git_repo: Path, commit: CommitFn) -> None:
    commit({"calc.py": CALC})
    last = commit({"calc.py": CALC.replace("a + b", "b + a")})
    result = plan_change(git_repo, Config(), {})
    assert [t.id for t in result.tasks] == ["calc.py::add"]
    assert result.head == last


def test_pull_request_event_gives_the_range(
    git_repo: Path, commit: CommitFn, tmp_path: Path
) -> None:
    base = commit({"calc.py": CALC})
    head = commit({"calc.py": CALC.replace("a + b", "b + a")})
    commit({"calc.py": CALC.replace("a - b", "b - a")})  # a later commit the event does not name
    event = tmp_path / "event.json"
    payload = {"action": "synchronize", "number": 1,
               "pull_request": {"number": 1, "base": {"sha": base, "ref": "main"},
                                "head": {"sha": head, "ref": "feature"}}}
    event.write_text(json.dumps(payload))
    environ = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)}
    result = plan_change(git_repo, Config(), environ)
    assert (result.base, result.head) == (base, head)
    assert [t.id for t in result.tasks] == ["calc.py::add"]


def test_staged_changes_use_the_index(git_repo: Path, commit: CommitFn, base: str) -> None:
    write(git_repo, {"calc.py": CALC.replace("a + b", "b + a")})
    git(git_repo, "add", "calc.py")
    write(git_repo, {"calc.py": CALC.replace("a - b", "b - a")})  # unstaged: not planned
    result = plan_change(git_repo, Config(), {}, staged=True)
    assert [(t.id, t.source) for t in result.tasks] == [
        ("calc.py::add", 'def add(a, b):\n    """Add."""\n    return b + a\n')
    ]
    assert result.head is None and result.base == base


def test_staged_changes_of_a_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, {"calc.py": CALC})
    git(tmp_path, "add", "calc.py")
    result = plan_change(tmp_path, Config(), {}, staged=True)
    assert result.base == EMPTY_TREE
    assert "calc.py::add" in [t.id for t in result.tasks]


def test_paths_limit_the_plan(git_repo: Path, commit: CommitFn, base: str) -> None:
    write(git_repo, {"calc.py": CALC.replace("a + b", "b + a"), "geo.py": "def g():\n    pass\n"})
    git(git_repo, "add", "calc.py", "geo.py")
    result = plan_change(git_repo, Config(), {}, staged=True, paths=["geo.py"])
    assert [t.id for t in result.tasks] == ["geo.py::g"]
    assert plan_change(git_repo, Config(), {}, staged=True, paths=[]).tasks == ()


def test_event_commit_missing_from_a_shallow_clone(
    git_repo: Path, commit: CommitFn, tmp_path: Path
) -> None:
    commit({"calc.py": CALC})
    event = tmp_path / "event.json"
    missing = "1" * 40
    event.write_text(json.dumps({"pull_request": {"number": 3, "base": {"sha": missing},
                                                  "head": {"sha": missing}}}))
    environ = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)}
    with pytest.raises(GitError, match=f"commit {missing} of the pull_request event is not in"):
        plan_change(git_repo, Config(), environ)


def test_import_only_change(git_repo: Path, commit: CommitFn, base: str) -> None:
    commit({"calc.py": CALC.replace("import math\n", "import math\nimport os\n")})
    assert summary(plan(git_repo, base)) == ([], [Skip(file="calc.py", reason="only imports")])


def test_src_layout_with_mirrored_tests(git_repo: Path, commit: CommitFn) -> None:
    start = commit({
        "src/shop/__init__.py": "",
        "src/shop/cart.py": "def total(items):\n    return sum(items)\n",
        "src/shop/pay.py": "def fee(x):\n    return x\n",
        "tests/shop/test_cart.py": "from shop.cart import total\n",
    })
    commit({
        "src/shop/cart.py": "def total(items):\n    return sum(items) + 0\n",
        "src/shop/pay.py": "def fee(x):\n    return x * 2\n",
    })
    cart, pay = plan(git_repo, start).tasks
    assert (cart.module, cart.import_root, cart.test_file, cart.test_file_exists) == (
        "shop.cart", "src", "tests/shop/test_cart.py", True
    )
    assert (pay.module, pay.test_file, pay.test_file_exists) == (
        "shop.pay", "tests/shop/test_pay.py", False
    )


def test_a_symlinked_source_is_skipped_as_a_symlink(git_repo: Path, commit: CommitFn,
                                                    base: str) -> None:
    (git_repo / "alias.py").symlink_to("calc.py")
    git(git_repo, "add", "alias.py")
    git(git_repo, "commit", "-q", "-m", "link")
    assert summary(plan(git_repo, base)) == ([], [Skip(file="alias.py", reason="symlink")])


def test_a_shallow_clone_without_a_base_is_a_usage_error(git_repo: Path, commit: CommitFn,
                                                         base: str, tmp_path: Path) -> None:
    commit({"calc.py": CALC.replace("        return 0\n", "        return 1\n")})
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{git_repo}", str(clone))
    with pytest.raises(GitError, match="this clone is shallow and holds no base for the "
                                       "change: check out with fetch-depth: 0") as info:
        plan_change(clone, Config(), {})
    assert info.value.exit_code == 2


def test_files_pytest_collects_are_never_targets(git_repo: Path, commit: CommitFn) -> None:
    """A root-level unittest ``test.py`` and the project's own ``python_files`` are tests."""
    unittest_file = ("import unittest\n\n\nclass T(unittest.TestCase):\n"
                     "    def test_a(self):\n        self.assertEqual(1, 1)\n")
    start = commit({"setup.cfg": "[tool:pytest]\npython_files = check_*.py\n",
                    "pkg/__init__.py": "", "pkg/mod.py": "def f():\n    return 1\n"})
    commit({"test.py": unittest_file, "pkg/check_mod.py": "def test_f():\n    assert 1\n",
            "pkg/mod.py": "def f():\n    return 2\n"})
    tasks, skipped = summary(plan(git_repo, start))
    assert [t for t, _ in tasks] == ["pkg/mod.py::f"]
    assert sorted((s.file, s.reason) for s in skipped) == [
        ("pkg/check_mod.py", "test file"), ("test.py", "test file")]
