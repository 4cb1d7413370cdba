"""tta_ci.plan.context: one side of a change (a commit, the index, the working tree), read lazily
and once, and what the tasks of a file share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.core.config import Config
from tta_ci.git import repo as gitops
from tta_ci.plan.context import Side, decode, file_context, parse_or_none, tree_side


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"x = 'caf\xc3\xa9'\n", "x = 'café'\n", id="utf-8"),
        pytest.param(b"", "", id="empty"),
        pytest.param(b"x = 'caf\xe9'\n", None, id="latin-1"),
        pytest.param(b"x = 1\n\0", None, id="nul-byte"),
    ],
)
def test_decode(data: bytes, expected: str | None) -> None:
    assert decode(data) == expected


def test_side_reads_each_file_once_and_in_batches() -> None:
    store = {"a.py": b"A = 1\n", "b.py": b"\xff\0", "c.py": b"C = 1\n"}
    reads: list[list[str]] = []

    def read(paths: Sequence[str]) -> Mapping[str, bytes | None]:
        reads.append(list(paths))
        return {p: store.get(p) for p in paths}

    side = Side(store, read)
    assert side.read_texts(["a.py", "b.py", "a.py"]) == {"a.py": "A = 1\n", "b.py": None}
    assert side.read_text("a.py") == "A = 1\n" and side.read_bytes("b.py") == b"\xff\0"
    assert side.read_text("missing.py") is None
    assert reads == [["a.py", "b.py"], ["missing.py"]]
    side.prefetch(["a.py", "c.py"])
    assert reads[-1] == ["c.py"]
    assert side.files == frozenset(store)


def test_tree_sides_of_a_commit_the_index_and_the_working_tree(
    git_repo: Path, commit: CommitFn
) -> None:
    sha = commit({"a.py": "A = 1\n", "b.py": "B = 1\n"})
    write(git_repo, {"a.py": "A = 2\n", "new.py": "N = 1\n"})
    git(git_repo, "add", "a.py")
    write(git_repo, {"a.py": "A = 3\n"})
    (git_repo / "b.py").unlink()
    repo = gitops.open_repo(git_repo)
    at_commit = tree_side(repo, sha)
    assert at_commit.files == {"a.py", "b.py"} and at_commit.read_text("a.py") == "A = 1\n"
    staged = tree_side(repo, gitops.INDEX)
    assert staged.read_text("a.py") == "A = 2\n"
    worktree = tree_side(repo, None)
    assert worktree.files == {"a.py", "new.py"}  # the deleted file is not there
    assert worktree.read_text("a.py") == "A = 3\n" and worktree.read_text("b.py") is None


def test_parse_or_none() -> None:
    parsed = parse_or_none("def f():\n    return 1\n", "m.py")
    assert parsed is not None and "f" in parsed.symbols
    assert parse_or_none(None, "m.py") is None
    assert parse_or_none("def f(:\n", "m.py") is None


def test_file_context_names_the_module_and_its_existing_test_file() -> None:
    files = {"src/shop/__init__.py": b"", "src/shop/cart.py": b"def total():\n    return 0\n",
             "tests/shop/test_cart.py": b"from shop.cart import total\n"}
    side = Side(files, lambda ps: {p: files.get(p) for p in ps})
    head = parse_or_none(files["src/shop/cart.py"].decode(), "src/shop/cart.py")
    assert head is not None
    context = file_context("src/shop/cart.py", head, None, side, Config())
    assert (context.module, context.import_root) == ("shop.cart", "src")
    assert (context.test_file, context.test_file_exists) == ("tests/shop/test_cart.py", True)
    assert context.test_source == "from shop.cart import total\n"
    assert context.head is head and context.base is None
    other = file_context("src/shop/__init__.py", head, head, side, Config())
    assert (other.test_file, other.test_file_exists, other.test_source) == (
        "tests/test_shop.py", False, "")
