"""tta_ci.validate.policy: the allowlist, construct by construct. Each refusal names the
construct and its line; plain test code passes."""

from __future__ import annotations

import ast

import pytest

from tta_ci.validate.imports import ImportPolicy
from tta_ci.validate.policy import file_problems

POLICY = ImportPolicy(project=frozenset({"pkg"}), dependencies=frozenset({"attrs"}))
HEAD = "from pkg.calc import clamp\n\n\n"


def first(code: str) -> str | None:
    problems = file_problems(ast.parse(code), POLICY)
    return problems[0].message if problems else None


def in_test(body: str, args: str = "") -> str:
    lines = "".join(f"    {line}\n" for line in body.splitlines())
    return f"{HEAD}def test_x({args}):\n{lines}    assert clamp(1, 0, 2) == 1\n"


@pytest.mark.parametrize("code", [
    pytest.param(HEAD + "def test_x():\n    assert clamp(1, 0, 2) == 1\n", id="plain"),
    pytest.param("import pytest\nfrom hypothesis import given, strategies as st\n"
                 "from unittest import mock\nimport math, json, decimal, dataclasses\n"
                 "import attrs\n" + HEAD, id="allowed-imports"),
    pytest.param("import pytest\n" + HEAD + "pytestmark = pytest.mark.slow\nCASES = [(1, 1)]\n"
                 "STRATEGY = list(range(3))\n\n\n@pytest.fixture\ndef value():\n    return 1\n\n"
                 "\nclass TestX:\n    limit = 2\n\n    def test_y(self, value):\n"
                 "        assert clamp(value, 0, 2) == 1\n", id="constants-fixtures-classes"),
    pytest.param(in_test("p = tmp_path / 'out.txt'\np.write_text('x')\nassert p.read_text()",
                         "tmp_path"), id="tmp-path"),
    pytest.param(in_test("monkeypatch.setattr('pkg.calc.LIMIT', 3)\n"
                         "monkeypatch.setenv('X', '1')", "monkeypatch"), id="monkeypatch"),
    pytest.param(in_test("import os\nassert os.path.join('a', 'b') and os.sep\n"
                         "import sys\nassert sys.version_info >= (3,)"), id="os-path-sys"),
    pytest.param(in_test("assert getattr(clamp, 'x', None) is None\nassert clamp.__name__"),
                 id="constant-getattr-safe-dunder"),
    pytest.param(HEAD + "def test_x():\n    assert clamp(1, 0, 2) == 1\n\n\n"
                 "if __name__ == '__main__':\n    import pytest\n    pytest.main([__file__])\n",
                 id="main-guard"),
    pytest.param(in_test("from unittest.mock import patch\n"
                         "with patch('pkg.calc.clamp', return_value=1):\n    pass"),
                 id="patch-project"),
    pytest.param(in_test("assert clamp('/a/b'.count('/'), 0, 9)"), id="a-slash-in-data"),
])
def test_plain_test_code_passes(code: str) -> None:
    assert first(code) is None


@pytest.mark.parametrize(("code", "reason"), [
    pytest.param(in_test("__import__('so' + 'cket')"), "forbidden call: socket (line 5)",
                 id="folded-import"),
    pytest.param(in_test("__import__(name)"), "forbidden: `__import__` (line 5)",
                 id="dynamic-import"),
    pytest.param(in_test("exec('x = 1')"), "forbidden: `exec` (line 5)", id="exec"),
    pytest.param(in_test("f = eval\nf('1')"), "forbidden: `eval` (line 5)", id="eval-alias"),
    pytest.param(in_test("vars()"), "forbidden: `vars` (line 5)", id="vars"),
    pytest.param(in_test("import os\ngetattr(os, 'sys' + 'tem')('id')"),
                 "forbidden call: os.system (line 6)", id="folded-getattr"),
    pytest.param(in_test("getattr(clamp, name)"),
                 "forbidden: `getattr` with a computed name (line 5)", id="computed-getattr"),
    pytest.param(in_test("import os\nos.fork()"), "forbidden call: os.fork (line 6)",
                 id="os-fork"),
    pytest.param(in_test("import os\nos.kill(1, 9)"), "forbidden call: os.kill (line 6)",
                 id="os-kill"),
    pytest.param(in_test("import os\nos.getppid()"), "forbidden call: os.getppid (line 6)",
                 id="os-off-the-list"),
    pytest.param(in_test("import sys\nsys.modules['x'] = None"),
                 "forbidden: `sys.modules` (line 6)", id="sys-modules"),
    pytest.param(in_test("clamp.__globals__['x'] = 1"),
                 "forbidden: `pkg.calc.clamp.__globals__` (line 5)", id="dunder"),
    pytest.param(in_test("().__class__.__base__.__subclasses__()"),
                 "forbidden: `().__class__.__base__.__subclasses__` (line 5)", id="dunder-chain"),
    pytest.param(in_test("import pytest\npytest._pytest = 1"),
                 "forbidden: `pytest._pytest` (line 6)", id="private-of-a-library"),
    pytest.param("import inspect\n" + HEAD, "forbidden: `inspect` (line 1)", id="inspect"),
    pytest.param("import gc\n" + HEAD, "forbidden: `gc` (line 1)", id="gc"),
    pytest.param("import ctypes\n" + HEAD, "forbidden call: ctypes (line 1)", id="ctypes"),
    pytest.param("from importlib import import_module\n" + HEAD,
                 "forbidden: `importlib` (line 1)", id="importlib"),
    pytest.param("import atexit\n" + HEAD, "forbidden: `atexit` (line 1)", id="atexit"),
    pytest.param("import threading\n" + HEAD, "forbidden: `threading` (line 1)",
                 id="threading"),
    pytest.param("import signal\n" + HEAD, "forbidden call: signal (line 1)", id="signal"),
    pytest.param("import xml.dom\n" + HEAD, "forbidden import: `xml.dom` (line 1)",
                 id="off-the-list"),
    pytest.param("import numpy\n" + HEAD, "forbidden import: `numpy` (line 1)",
                 id="undeclared"),
    pytest.param("import tta_ci.validate.plugin as p\n" + HEAD,
                 "forbidden: `tta_ci.validate` (line 1)", id="the-plugin"),
    pytest.param(in_test("monkeypatch.setattr('tta_ci.validate.plugin._emit', print)",
                         "monkeypatch"), "forbidden: `tta_ci.validate` (line 5)",
                 id="patch-the-plugin"),
    pytest.param(in_test("from unittest import mock\nmock.patch('subprocess.run')"),
                 "forbidden call: subprocess (line 6)", id="patch-subprocess"),
    pytest.param(in_test("import pytest\npytest.importorskip('socket')"),
                 "forbidden call: socket (line 6)", id="importorskip"),
    pytest.param(in_test("request.config.pluginmanager", "request"),
                 "forbidden: `request.config.pluginmanager` (line 5)", id="plugin-manager"),
    pytest.param(in_test("pass", "pytestconfig"), "forbidden: fixture `pytestconfig` (line 4)",
                 id="pytestconfig"),
    pytest.param(in_test("record_property('x', 1)", "record_property"),
                 "forbidden: fixture `record_property` (line 4)", id="junit-property"),
    pytest.param("import pytest\n" + HEAD + "@pytest.mark.skipif('True')\ndef test_x():\n"
                 "    assert clamp(1, 0, 2)\n", "forbidden: string condition in `skipif` "
                 "(line 5)", id="string-skipif"),
    pytest.param(in_test("try:\n    1 / 0\nexcept Exception as e:\n    e.__traceback__.tb_frame"),
                 "forbidden: `e.__traceback__.tb_frame` (line 8)", id="frames"),
    pytest.param(in_test("open('/etc/hosts').read()"),
                 "reads outside the workspace: `open('/etc/hosts')` (line 5)", id="abs-read"),
    pytest.param(in_test("from pathlib import Path\nPath('..', '..', 'x').read_text()"),
                 "reads outside the workspace: `Path('..', '..', 'x').read_text()` (line 6)",
                 id="climbing-read"),
    pytest.param(in_test("from pathlib import Path\n(Path.home() / 'x').write_text('y')"),
                 "writes outside tmp_path: `(Path.home() / 'x').write_text('y')` (line 6)",
                 id="home-write"),
    pytest.param(in_test("open(__file__, 'w')"), "writes outside tmp_path: "
                 "`open(__file__, 'w')` (line 5)", id="own-file-write"),
    pytest.param(in_test("import os\nos.remove(os.getcwd() + '/x')"),
                 "writes outside tmp_path: `os.remove(os.getcwd() + '/x')` (line 6)",
                 id="cwd-remove"),
    pytest.param(in_test("p = '/pr' + 'oc/1/environ'"), "forbidden call: /proc (line 5)",
                 id="folded-proc"),
    pytest.param(in_test("p = f'/proc/{1}/environ'"), "forbidden call: /proc (line 5)",
                 id="fstring-proc"),
    pytest.param(in_test("p = '.git' + '-credentials'"),
                 "reads a secret: .git-credentials (line 5)", id="credentials"),
    pytest.param(in_test("import os\nos.environ['GITHUB_TOKEN']"),
                 "reads a secret: GITHUB_TOKEN (line 6)", id="secret-name"),
    pytest.param(HEAD + "print('payload')\n\n\ndef test_x():\n    assert clamp(1, 0, 2)\n",
                 "forbidden: module-level code `print('payload')` (line 4)",
                 id="module-level-call"),
    pytest.param(HEAD + "for i in range(3):\n    pass\n", "forbidden: module-level code "
                 "`for i in range(3):     pass` (line 4)", id="module-level-loop"),
    pytest.param(HEAD + "clamp.x = 1\n", "forbidden: module-level code `clamp.x = 1` (line 4)",
                 id="module-level-attribute"),
    pytest.param(HEAD + "class Helper:\n    print('x')\n",
                 "forbidden: class-level code `print('x')` (line 5)", id="class-level-call"),
    pytest.param(HEAD + "pytest_plugins = ['x']\n", "defines pytest hook: pytest_plugins "
                 "(line 4)", id="pytest-plugins"),
])
def test_each_refusal_names_the_construct_and_its_line(code: str, reason: str) -> None:
    assert first(code) == reason


def test_the_most_serious_problem_is_the_one_reported() -> None:
    code = ("import numpy\nimport inspect\n" + HEAD + "def test_x():\n"
            "    open('/pr' + 'oc/1/environ')\n    assert clamp(1, 0, 2)\n")
    messages = [p.message for p in file_problems(ast.parse(code), POLICY)]
    assert messages[0] == "forbidden call: /proc (line 7)"  # a capability first
    assert messages.index("forbidden: `inspect` (line 2)") < messages.index(
        "forbidden import: `numpy` (line 1)")  # then introspection, then the allowlist
