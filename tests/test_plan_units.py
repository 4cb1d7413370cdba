"""The planner's pure parts: globs, test-file rules, module names, test location, symbols,
priorities and sharding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError
from tta_ci.core.paths import glob_match, imported_modules
from tta_ci.core.paths import is_test_path as is_test_file
from tta_ci.core.types import Task, TaskPriority
from tta_ci.plan import matrix, parse_shard, shard
from tta_ci.plan.diff import parse_diff
from tta_ci.plan.paths import locate_tests, module_name
from tta_ci.plan.symbols import parse_source
from tta_ci.plan.tasks import priority_of


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        pytest.param("a.py", "**/*.py", True, id="doublestar-matches-top-level"),
        pytest.param("a/b/c.py", "**/*.py", True, id="doublestar-matches-deep"),
        pytest.param("a/b.py", "*.py", False, id="star-stays-in-one-directory"),
        pytest.param("gen/x/y.py", "gen/**", True, id="directory-prefix"),
        pytest.param("src/gen.py", "gen/**", False, id="prefix-is-anchored"),
        pytest.param("a/b.py", "./a/?.py", True, id="question-mark-and-dot-slash"),
    ],
)
def test_glob_match(path: str, pattern: str, expected: bool) -> None:
    assert glob_match(path, pattern) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("test_x.py", True),
        ("pkg/x_test.py", True),
        ("pkg/conftest.py", True),
        ("tests/helpers.py", True),
        ("src/pkg/tests/util.py", True),
        ("pkg/testing.py", False),
        ("contest.py", False),
        ("qa/checks/util.py", True),
    ],
)
def test_is_test_file(path: str, expected: bool) -> None:
    assert is_test_file(path, ("tests", "qa/checks")) is expected


@pytest.mark.parametrize(
    ("path", "files", "expected"),
    [
        pytest.param("mod.py", [], ("mod", ""), id="top-level"),
        pytest.param("src/pkg/mod.py", ["src/pkg/__init__.py"], ("pkg.mod", "src"), id="src"),
        pytest.param("pkg/sub/mod.py", ["pkg/__init__.py", "pkg/sub/__init__.py"],
                     ("pkg.sub.mod", ""), id="nested-packages"),
        pytest.param("pkg/__init__.py", ["pkg/__init__.py"], ("pkg", ""), id="package-init"),
        pytest.param("scripts/tool.py", [], ("tool", "scripts"), id="plain-directory"),
        pytest.param("src/ns/mod.py", [], ("ns.mod", "src"), id="namespace-under-src"),
    ],
)
def test_module_name(path: str, files: list[str], expected: tuple[str, str]) -> None:
    assert module_name(path, set(files)) == expected


def _locate(path: str, module: str, files: dict[str, str]) -> tuple[str, bool]:
    return locate_tests(path, module, set(files), Config(), lambda ps: {p: files[p] for p in ps})


def test_locate_tests_by_convention_import_and_new_path() -> None:
    flat = {"tests/test_mod.py": ""}
    assert _locate("src/pkg/mod.py", "pkg.mod", flat) == ("tests/test_mod.py", True)
    mirrored = {"tests/pkg/test_mod.py": "", "tests/test_mod.py": ""}
    assert _locate("src/pkg/mod.py", "pkg.mod", mirrored) == ("tests/pkg/test_mod.py", True)
    by_import = {"tests/test_misc.py": "import os\nfrom pkg import other, mod\n"}
    assert _locate("src/pkg/mod.py", "pkg.mod", by_import) == ("tests/test_misc.py", True)
    unrelated = {"tests/test_misc.py": "import pkg.model\n# from pkg.mod import x\n"}
    assert _locate("src/pkg/mod.py", "pkg.mod", unrelated) == ("tests/test_mod.py", False)
    nested = {"tests/other/test_x.py": ""}
    assert _locate("src/pkg/mod.py", "pkg.mod", nested) == ("tests/pkg/test_mod.py", False)
    in_test = {"test/test_a.py": ""}
    assert _locate("a/b.py", "b", in_test) == ("test/test_b.py", False)
    flat_with_data = {"tests/test_a.py": "", "tests/test_b.py": "",
                      "tests/data/project/test_sample.py": ""}  # a stray example project
    assert _locate("src/pkg/mod.py", "pkg.mod", flat_with_data) == ("tests/test_mod.py", False)


def test_imported_modules() -> None:
    text = (
        "import os, pkg.a as alias\n"
        "from pkg import (\n    b,  # note\n    c as d,\n)\n"
        "from pkg.e import *\n"
        "    from pkg.f import g\n"
        "# from pkg.h import i\n"
        "x = 'import pkg.j'\n"
    )
    assert imported_modules(text) == {
        "os", "pkg.a", "pkg", "pkg.b", "pkg.c", "pkg.e", "pkg.f", "pkg.f.g"
    }


def test_symbols_spans_and_ownership() -> None:
    source = (
        "import os\n"  # 1
        "X = 1\n"  # 2
        "@dec\n"  # 3
        "def f():\n"  # 4
        "    def g():\n"  # 5
        "        return 1\n"  # 6
        "    return g\n"  # 7
        "class C:\n"  # 8
        "    '''Doc.'''\n"  # 9
        "    y = 2  # note\n"  # 10
        "    async def m(self):\n"  # 11
        "        pass\n"  # 12
        "    @property\n"  # 13
        "    def p(self): return 1\n"  # 14
        "    @p.setter\n"  # 15
        "    def p(self, v): pass\n"  # 16
    )
    parsed = parse_source(source)
    spans = {n: (s.kind, s.start, s.end) for n, s in parsed.symbols.items()}
    assert spans == {
        "f": ("function", 3, 7),
        "C": ("class", 8, 16),
        "C.m": ("method", 11, 12),
        "C.p": ("method", 13, 16),
        "<module>": ("module", 1, 16),
    }
    assert [parsed.symbol_at(n).name for n in (1, 2, 6, 9, 10, 12, 15)] == [
        "<module>", "<module>", "f", "C", "C", "C.m", "C.p"
    ]
    assert 9 not in parsed.code_lines and 10 in parsed.code_lines
    assert parsed.imports == "import os"


def test_same_code_ignores_comments_docstrings_and_layout_only() -> None:
    a = parse_source("def f(x):\n    'A.'\n    return g(x, 1)\n")
    b = parse_source("def f(x):\n    'B.'\n    # c\n\n    return g(\n        x, 1,\n    )  # d\n")
    c = parse_source("def f(x):\n    return g(x, 2)\n")
    d = parse_source("class f:\n    def x(self):\n        pass\n")
    e = parse_source("class f:\n    def y(self):\n        pass\n")
    assert a.symbols["f"].same_code(b.symbols["f"])
    assert not a.symbols["f"].same_code(c.symbols["f"])
    assert not d.symbols["f"].same_code(e.symbols["f"])  # the methods of a class count


def test_parse_diff_lines_and_statuses() -> None:
    text = (
        "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n"
        "@@ -3 +3 @@\n-a\n+b\n@@ -7,2 +6,0 @@\n-c\n-d\n"
        "diff --git a/old.py b/new.py\nsimilarity index 100%\n"
        "rename from old.py\nrename to new.py\n"
    )
    modified, renamed = parse_diff(text)
    assert (modified.path, modified.status, modified.added) == ("m.py", "modified", {3})
    assert modified.removed == {3, 7, 8} and modified.removal_anchors == {6, 7}
    assert (renamed.path, renamed.old_path, renamed.status) == ("new.py", "old.py", "renamed")
    assert not renamed.has_content_change


@pytest.mark.parametrize(
    ("module", "symbol", "expected"),
    [
        ("pkg.mod", "f", TaskPriority.HIGH),
        ("pkg.mod", "C.__init__", TaskPriority.HIGH),
        ("pkg.mod", "C._m", TaskPriority.LOW),
        ("pkg._impl", "f", TaskPriority.LOW),
        ("pkg.mod", "<module>", TaskPriority.NORMAL),
    ],
)
def test_priority(module: str, symbol: str, expected: TaskPriority) -> None:
    assert priority_of(module, symbol) is expected


def _task(name: str) -> Task:
    return Task(id=f"m.py::{name}", file="m.py", symbol=name, kind="function",
                changed_lines=(1,), test_file="tests/test_m.py")


@given(
    names=st.lists(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), unique=True,
                   max_size=40),
    total=st.integers(min_value=1, max_value=9),
    seed=st.randoms(use_true_random=False),
)
def test_shards_partition_the_plan(names: list[str], total: int, seed: object) -> None:
    tasks = [_task(n) for n in names]
    shares = [shard(tasks, i, total) for i in range(1, total + 1)]
    ids = [t.id for share in shares for t in share]
    assert sorted(ids) == sorted(t.id for t in tasks)  # union is the plan, no overlap
    assert max(map(len, shares)) - min(map(len, shares)) <= 1  # balanced
    shuffled = list(tasks)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    for i, share in enumerate(shares, start=1):  # independent of the listing order
        assert {t.id for t in shard(shuffled, i, total)} == {t.id for t in share}


@pytest.mark.parametrize(
    ("value", "expected"), [("1/4", (1, 4)), (" 2 / 2 ", (2, 2)), ("256/256", (256, 256))]
)
def test_parse_shard(value: str, expected: tuple[int, int]) -> None:
    assert parse_shard(value) == expected


@pytest.mark.parametrize("value", ["", "1", "0/3", "4/3", "a/b", "1/0", "1/257", "-1/2"])
def test_parse_shard_rejects(value: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        parse_shard(value)


def test_matrix() -> None:
    assert matrix(3) == {"include": [{"shard": "1/3"}, {"shard": "2/3"}, {"shard": "3/3"}]}
    with pytest.raises(UsageError):
        matrix(0)
