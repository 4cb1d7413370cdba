"""tta_ci.validate.prune: the published file holds the kept tests and only what they use."""

from __future__ import annotations

import pytest

from tta_ci.validate.prune import prune, unused_names

CODE = '''"""Tests."""
from __future__ import annotations

import json
import os
import socket

import pytest
from pkg.calc import (
    add,
    clamp,
)

SEEN = []
LIMIT = 3
pytestmark = pytest.mark.filterwarnings("ignore")


def _phone_home():
    socket.create_connection(("127.0.0.1", 9))


def _bounded(x):
    return clamp(x, 0, LIMIT)


@pytest.fixture
def payload():
    return json.dumps([1])


@pytest.fixture
def unused_fixture():
    return os.sep


@pytest.fixture(autouse=True)
def _reset():
    yield


def test_keep(payload):
    assert _bounded(5) == 3 and payload


def test_drop():
    _phone_home()
    SEEN.append(1)
    assert add(1, 2) == 3


class TestGroup:
    def test_a(self):
        assert clamp(1, 0, 2) == 1

    def test_b(self):
        assert add(1, 1) == 2


class TestGone:
    def test_c(self):
        assert 3
'''


def test_what_only_pruned_tests_used_goes_with_them() -> None:
    pruned = prune(CODE, ["test_keep", "TestGroup::test_a"])
    for gone in ("def test_drop", "def test_b", "class TestGone", "_phone_home", "import socket",
                 "SEEN", "import os", "unused_fixture", "add,"):
        assert gone not in pruned, gone
    for kept in ("def test_keep", "class TestGroup", "def test_a", "def _bounded", "LIMIT = 3",
                 "def payload", "import json", "clamp,", "def _reset", "pytestmark",
                 "from __future__ import annotations", '"""Tests."""'):
        assert kept in pruned, kept
    compile(pruned, "<pruned>", "exec")
    assert prune(pruned, ["test_keep", "TestGroup::test_a"]) == pruned  # nothing more to take


def test_a_file_whose_tests_are_all_kept_keeps_every_used_byte() -> None:
    code = "import pytest\n\n\n@pytest.mark.parametrize('x', [1])\ndef test_x(x):\n    assert x\n"
    assert prune(code, ["test_x"]) == code


@pytest.mark.parametrize(("code", "unused"), [
    pytest.param("import a, b\n\n\ndef test_x():\n    assert a\n", {"b"}, id="import-alias"),
    pytest.param("X = Y = 1\n\n\ndef test_x():\n    assert X\n", {"Y"}, id="chained-assign"),
    pytest.param("def h():\n    return g()\n\n\ndef g():\n    return 1\n\n\ndef test_x():\n"
                 "    assert h()\n", set(), id="transitive-helper"),
    pytest.param("import pytest\n\n\n@pytest.fixture\ndef f():\n    return 1\n\n\n"
                 "@pytest.mark.usefixtures('f')\ndef test_x():\n    assert 1\n", set(),
                 id="usefixtures"),
])
def test_unused_names(code: str, unused: set[str]) -> None:
    assert unused_names(code) == unused
