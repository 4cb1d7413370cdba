"""tta_ci.sandbox.commands: the one pytest (and coverage) command line of every sandboxed run."""

from __future__ import annotations

import sys

import pytest

from tta_ci.sandbox.commands import PLUGIN, pytest_argv

COMMON = ["-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:timeout", "-p", "no:xdist",
          "-o", "addopts=", "-q", "--no-header", "--rootdir", "."]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, [sys.executable, "-m", "pytest", *COMMON, "t.py"], id="plain"),
        pytest.param({"python": "/venv/bin/python"},
                     ["/venv/bin/python", "-m", "pytest", *COMMON, "t.py"], id="other-python"),
        pytest.param({"plugin": PLUGIN},
                     [sys.executable, "-m", "pytest", "-p", "tta_ci.validate.plugin", "-rN",
                      "--continue-on-collection-errors", *COMMON, "t.py"], id="plugin"),
        pytest.param({"coverage_rc": ".cov.rc"},
                     [sys.executable, "-m", "coverage", "run", "--rcfile=.cov.rc", "-m",
                      "pytest", *COMMON, "t.py"], id="coverage"),
        pytest.param({"coverage_rc": ".cov.rc", "coverage_include": ["pkg/a.py", "b.py"]},
                     [sys.executable, "-m", "coverage", "run", "--rcfile=.cov.rc",
                      "--include=pkg/a.py,b.py", "-m", "pytest", *COMMON, "t.py"],
                     id="coverage-include"),
        pytest.param({"import_mode": "importlib"},
                     [sys.executable, "-m", "pytest", *COMMON, "--import-mode=importlib", "t.py"],
                     id="the-projects-import-mode"),
        pytest.param({"maxfail": 1},
                     [sys.executable, "-m", "pytest", *COMMON, "--maxfail=1", "t.py"],
                     id="maxfail"),
    ],
)
def test_pytest_argv(kwargs: dict[str, object], expected: list[str]) -> None:
    assert pytest_argv(["t.py"], **kwargs) == expected  # type: ignore[arg-type]


def test_files_come_last_in_their_order() -> None:
    argv = pytest_argv(["b.py", "a.py"], plugin=PLUGIN, coverage_rc="rc")
    assert argv[-2:] == ["b.py", "a.py"]
    assert argv.count("pytest") == 1 and argv.index("coverage") < argv.index("pytest")
