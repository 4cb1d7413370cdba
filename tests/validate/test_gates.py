"""tta_ci.validate.gates: the parse, static and assertion gates, on source alone."""

from __future__ import annotations

import ast

import pytest

from tta_ci.validate.gates import StaticReport, test_functions
from tta_ci.validate.gates import check_static as _check_static
from tta_ci.validate.imports import ImportPolicy

OK = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
POLICY = ImportPolicy(project=frozenset({"calc"}))


def check_static(code: str) -> StaticReport:
    """The gates for a candidate of a project whose only module is ``calc``."""
    return _check_static(code, policy=POLICY)


def test_a_good_file_passes_every_gate() -> None:
    report = check_static(OK)
    assert report.file_reason is None
    assert report.functions == {"test_add": None}
    assert report.checks["parse"].ok and report.checks["static"].ok
    assert report.checks["assertions"].detail == "1/1 test functions assert something"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        pytest.param("def test_x(:\n", "syntax error: invalid syntax (line 1)", id="syntax"),
        pytest.param("import subprocess\n" + OK, "forbidden call: subprocess (line 1)",
                     id="subprocess"),
        pytest.param("from pty import spawn\n" + OK, "forbidden call: pty (line 1)", id="pty"),
        pytest.param("import requests\n" + OK, "forbidden call: network (line 1)", id="network"),
        pytest.param("from urllib.request import urlopen\n" + OK,
                     "forbidden call: network (line 1)", id="urllib"),
        pytest.param("import socket as s\n" + OK, "forbidden call: socket (line 1)",
                     id="socket"),
        pytest.param(OK + "    import os\n    os._exit(0)\n", "forbidden call: os._exit (line 7)",
                     id="os-exit"),
        pytest.param(OK + "    from os import system as run\n    run('ls')\n",
                     "forbidden call: os.system (line 6)", id="aliased-call"),
        pytest.param(OK + "    import time\n    time.sleep(5)\n",
                     "forbidden call: time.sleep(5) (line 7)", id="long-sleep"),
        pytest.param(OK + "    import shutil\n    shutil.rmtree('/home')\n",
                     "forbidden call: shutil.rmtree (line 7)", id="rmtree-outside-tmp"),
        pytest.param(OK + "    import os\n    os.environ['OPENROUTER_API_KEY']\n",
                     "reads a secret: OPENROUTER_API_KEY (line 7)", id="secret"),
        pytest.param(OK + "    open('MY_SERVICE_TOKEN')\n",
                     "reads a secret: MY_SERVICE_TOKEN (line 6)", id="secret-suffix"),
        pytest.param(OK + "    open('conftest.py', 'w')\n", "writes conftest.py (line 6)",
                     id="conftest"),
        pytest.param(OK + "    open('/proc/1/environ')\n", "forbidden call: /proc (line 6)",
                     id="proc"),
        pytest.param("def pytest_configure(config):\n    pass\n" + OK,
                     "defines pytest hook: pytest_configure (line 1)", id="hook"),
    ],
)
def test_file_rejections(code: str, reason: str) -> None:
    report = check_static(code)
    assert report.file_reason == reason
    assert report.functions == {}


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(OK + "    import time\n    time.sleep(0.5)\n", id="short-sleep"),
        pytest.param(OK.replace("def test_add():", "def test_add(tmp_path):")
                     + "    import shutil\n    shutil.rmtree(tmp_path / 'x')\n",
                     id="rmtree-in-tmp-path"),
        pytest.param(OK + "    assert 'GITHUB_TOKEN is not set' in add.__doc__ or True\n",
                     id="secret-name-inside-a-sentence"),
    ],
)
def test_allowed(code: str) -> None:
    assert check_static(code).file_reason is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param("    add(1, 2)\n", "no assertion", id="no-assert"),
        pytest.param("    assert True\n", "trivial assertion", id="constant"),
        pytest.param("    assert 1 == 1\n", "trivial assertion", id="constants"),
        pytest.param("    x = add(1, 2)\n    assert x == x\n", "trivial assertion", id="same"),
        pytest.param("    assert add\n", "trivial assertion", id="name"),
        pytest.param("    assert callable(add)\n", "trivial assertion", id="callable"),
        pytest.param("    x = 1\n    assert x is not None\n", "trivial assertion",
                     id="not-none-of-a-name"),
        pytest.param("    assert not (True and 1)\n", "trivial assertion", id="bool-ops"),
        pytest.param("    assert add(1, 2) is not None\n", None, id="not-none-of-a-call"),
        pytest.param("    import pytest\n    with pytest.raises(TypeError):\n        add(1)\n",
                     None, id="raises"),
        pytest.param("    import math\n    math.isclose(add(1, 1), 2)\n"
                     "    self_assertEqual = None\n", "no assertion", id="no-checker"),
        pytest.param("    check(add(1, 2))\n", None, id="helper-that-asserts"),
    ],
)
def test_assertion_gate(body: str, reason: str | None) -> None:
    code = ("from calc import add\n\n\ndef check(value):\n    assert value == 3\n\n\n"
            f"def test_x():\n{body}")
    report = check_static(code)
    assert report.functions == {"test_x": reason}
    assert report.file_reason == reason


def test_some_good_functions_keep_the_file() -> None:
    code = OK + "\n\ndef test_weak():\n    assert True\n\n\ndef test_none():\n    add(1, 2)\n"
    report = check_static(code)
    assert report.file_reason is None
    assert report.functions == {"test_add": None, "test_weak": "trivial assertion",
                                "test_none": "no assertion"}
    assert report.checks["assertions"].detail == (
        "1/3 test functions assert something (no assertion, trivial assertion)")


def test_no_test_function() -> None:
    assert check_static("from calc import add\n\n\ndef helper():\n    assert add(1, 2)\n"
                        ).file_reason == "no test function"
    report = check_static("X = 1\n")
    assert report.file_reason == "no assertion" and not report.checks["assertions"].ok


def test_test_functions_are_what_pytest_collects() -> None:
    tree = ast.parse("def test_a(): pass\nasync def test_b(): pass\ndef helper(): pass\n"
                     "class TestC:\n    def test_d(self): pass\n    def other(self): pass\n"
                     "class Other:\n    def test_e(self): pass\n")
    assert [name for name, _ in test_functions(tree)] == ["test_a", "test_b", "TestC::test_d"]
