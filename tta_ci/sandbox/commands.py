"""The one builder of the pytest (and coverage) command lines that run in the sandbox.

Every run uses the same settings, whoever asks: the project's ``addopts`` are cleared (they
may load plugins or change output; only its ``--import-mode`` is kept), pytest's cache is off
(the workspace is thrown away), the root is the workspace, and plugins that would fight
tta-ci's control of order and time (``randomly``, ``timeout``, ``xdist``) are off.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["PLUGIN", "pytest_args", "pytest_argv"]

PLUGIN = "tta_ci.validate.plugin"
_COMMON = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:timeout", "-p", "no:xdist",
           "-o", "addopts=", "-q", "--no-header", "--rootdir", ".")


def pytest_argv(
    files: Sequence[str],
    *,
    plugin: str | None = None,
    coverage_rc: str | None = None,
    coverage_include: Sequence[str] = (),
    junit_xml: str | None = None,
    python: str | None = None,
    import_mode: str | None = None,
    maxfail: int = 0,
) -> list[str]:
    """``python -m pytest`` over ``files`` (relative to the workspace).

    ``plugin``: a plugin module to load (tta-ci's event reporter). ``coverage_rc``: run pytest
    under ``coverage run`` with that rc file, measuring ``coverage_include`` only.
    ``junit_xml``: where pytest writes its JUnit XML report (read by tta-ci afterwards).
    ``import_mode``: the project's ``--import-mode`` (its ``addopts`` are cleared otherwise).
    ``maxfail``: stop after that many failures (0: run everything).
    """
    exe = python or sys.executable
    head = [exe, "-m"]
    if coverage_rc is not None:
        head += ["coverage", "run", f"--rcfile={coverage_rc}"]
        if coverage_include:
            head.append(f"--include={','.join(coverage_include)}")
        head.append("-m")
    return [*head, "pytest", *pytest_args(files, plugin=plugin, junit_xml=junit_xml,
                                           import_mode=import_mode, maxfail=maxfail)]


def pytest_args(files: Sequence[str], *, plugin: str | None = None,
                junit_xml: str | None = None, import_mode: str | None = None,
                maxfail: int = 0) -> list[str]:
    """What follows ``-m pytest``: the arguments of ``pytest.main`` in a warm interpreter."""
    extra = ["-p", plugin, "-rN", "--continue-on-collection-errors"] if plugin else []
    if junit_xml is not None:
        extra += [f"--junitxml={junit_xml}", "-o", "junit_family=xunit2",
                  "-o", "junit_logging=no"]
    mode = [f"--import-mode={import_mode}"] if import_mode else []
    stop = [f"--maxfail={maxfail}"] if maxfail > 0 else []
    return [*extra, *_COMMON, *mode, *stop, *files]
