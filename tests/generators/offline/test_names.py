"""tta_ci.generators.offline.names: the names a transplanted call needs, and which it may use."""

from __future__ import annotations

import ast

import pytest

from tta_ci.generators.offline.names import (
    allowed_module,
    binding_imports,
    free_names,
    plain_code,
    usable,
)


@pytest.mark.parametrize(("source", "mode", "free"), [
    pytest.param("semver.Version.parse('4.0.4').match('4.0.4')", "eval", {"semver"},
                 id="qualified name: its root"),
    pytest.param("sorted(xs, key=lambda x: x + y)", "eval", {"sorted", "xs", "y"},
                 id="lambda parameter is bound"),
    pytest.param("[a for a in b if a > c]", "eval", {"b", "c"}, id="comprehension variable"),
    pytest.param("v = Version.parse('1')\nv.bump(x)", "exec", {"Version", "x"},
                 id="assigned in the setup"),
    pytest.param("f(", "eval", set(), id="syntax error"),
])
def test_free_names(source: str, mode: str, free: set[str]) -> None:
    assert free_names(source, mode) == free


@pytest.mark.parametrize(("module", "allowed"), [
    ("re", True), ("collections.abc", True), ("more_itertools", True), ("pytest", True),
    ("subprocess", False), ("os", False), ("socket", False), ("shutil", False),
])
def test_allowed_modules(module: str, allowed: bool) -> None:
    assert allowed_module(module) is allowed


def test_binding_imports_one_statement_per_name_without_forbidden_modules() -> None:
    tree = ast.parse("import os\nimport more_itertools as mi\nfrom a.b import c, d as e\n"
                     "from . import local\nfrom x import *\n")
    assert binding_imports(tree) == {"mi": "import more_itertools as mi",
                                     "c": "from a.b import c", "e": "from a.b import d as e"}


def test_usable_names_need_an_import_or_a_safe_builtin() -> None:
    imports = {"mi": "import more_itertools as mi"}
    assert usable({"mi", "list", "range"}, imports) == ["import more_itertools as mi"]
    assert usable({"mi", "open"}, imports) is None
    assert usable({"fixture"}, imports) is None


@pytest.mark.parametrize(("source", "plain"), [
    ("f([1, 2], key=len)", True),
    ("x.__class__", False),
    ("eval('1')", False),
    ("getattr(x, name)", False),
])
def test_plain_code(source: str, plain: bool) -> None:
    assert plain_code(ast.parse(source)) is plain
