"""tta_ci.hook.check (``tta-ci hook --check``): changed public functions that no existing test
runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.cli.main import main
from tta_ci.core.types import Task
from tta_ci.hook.check import body_lines, is_public

CALC = '''\
from __future__ import annotations


def add(a: int, b: int) -> int:
    """The sum."""
    return a + b


def scale(x: int, k: int) -> int:
    return x * k


def _helper(x: int) -> int:
    return x
'''

TESTS = "from pkg.calc import add\n\n\ndef test_add() -> None:\n    assert add(1, 2) == 3\n"


def _task(symbol: str, kind: str = "function") -> Task:
    return Task(id=f"m.py::{symbol}", file="m.py", symbol=symbol, kind=kind,  # type: ignore[arg-type]
                changed_lines=(1,), test_file="tests/test_m.py")


@pytest.mark.parametrize(
    ("symbol", "kind", "public"),
    [
        pytest.param("add", "function", True, id="function"),
        pytest.param("_helper", "function", False, id="private"),
        pytest.param("Calc.run", "method", True, id="method"),
        pytest.param("Calc._run", "method", False, id="private-method"),
        pytest.param("_Calc.run", "method", False, id="private-class"),
        pytest.param("Calc.__eq__", "method", True, id="dunder"),
        pytest.param("Calc", "class", False, id="class-body"),
        pytest.param("<module>", "module", False, id="module"),
    ],
)
def test_public_functions(symbol: str, kind: str, public: bool) -> None:
    assert is_public(_task(symbol, kind)) is public


def test_body_lines_skip_the_docstring_and_the_header() -> None:
    source = '    @dec\n    def f(x):\n        """Doc."""\n        if x:\n            return 1\n' \
             '        return 2\n'
    assert body_lines(source, 10) == (13, 14, 15)


def _stage_change(git_repo: Path, commit: CommitFn, tests: str | None) -> None:
    base = {"pkg/__init__.py": "", "pkg/calc.py": "VERSION = 1\n"}
    if tests is not None:
        base["tests/test_calc.py"] = tests
    commit(base)
    write(git_repo, {"pkg/calc.py": CALC})
    git(git_repo, "add", "pkg/calc.py")


def _run(git_repo: Path, monkeypatch: pytest.MonkeyPatch, environ: dict[str, str] | None = None
         ) -> int:
    monkeypatch.chdir(git_repo)
    return main(["hook", "--check", "pkg/calc.py"], environ or {"PRE_COMMIT": "1"})


@pytest.mark.slow
def test_check_lists_the_uncovered_public_function(
    git_repo: Path, commit: CommitFn, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _stage_change(git_repo, commit, TESTS)
    start = time.monotonic()
    assert _run(git_repo, monkeypatch) == 1
    elapsed = time.monotonic() - start
    out = capsys.readouterr().out
    assert "not covered by any test: pkg/calc.py::scale (lines 10)" in out
    assert "pkg/calc.py::add" not in out.split("covered by")[0]
    assert "_helper" not in out
    assert "1 of 2 changed public function(s) covered by 1 existing test file(s)" in out
    assert elapsed < 60
    assert git(git_repo, "status", "--porcelain") == "M  pkg/calc.py"


@pytest.mark.slow
def test_check_passes_when_every_changed_public_function_is_run(
    git_repo: Path, commit: CommitFn, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tests = TESTS + "\n\ndef test_scale() -> None:\n    from pkg.calc import scale\n" \
                    "    assert scale(2, 3) == 6\n"
    _stage_change(git_repo, commit, tests)
    assert _run(git_repo, monkeypatch) == 0
    assert "2 of 2 changed public function(s) covered" in capsys.readouterr().out


@pytest.mark.slow
def test_check_measures_the_staged_content_not_the_working_tree(
    git_repo: Path, commit: CommitFn, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tests = TESTS + "\n\ndef test_scale() -> None:\n    from pkg.calc import scale\n" \
                    "    assert scale(2, 3) == 6\n"
    _stage_change(git_repo, commit, TESTS)
    write(git_repo, {"tests/test_calc.py": tests})  # covers scale, but is not staged
    assert _run(git_repo, monkeypatch, {}) == 1
    assert "not covered by any test: pkg/calc.py::scale" in capsys.readouterr().out


@pytest.mark.slow
def test_check_without_tests_lists_everything(
    git_repo: Path, commit: CommitFn, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _stage_change(git_repo, commit, None)
    assert _run(git_repo, monkeypatch) == 1
    out = capsys.readouterr().out
    assert "pkg/calc.py::add" in out and "pkg/calc.py::scale" in out
    assert "note: no existing test files found" in out


@pytest.mark.slow
def test_check_fails_clearly_when_the_tests_cannot_run(
    git_repo: Path, commit: CommitFn, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _stage_change(git_repo, commit, "import not_a_module_anywhere\n\n\ndef test_x() -> None:\n"
                                    "    assert not_a_module_anywhere\n")
    assert _run(git_repo, monkeypatch) == 1
    out = capsys.readouterr().out
    assert "coverage could not be measured: pytest could not run the existing tests" in out
    assert "SKIP=tta-ci-check" in out
    assert "not covered" not in out


def test_check_ignores_private_only_changes(
    git_repo: Path, commit: CommitFn, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    commit({"pkg/__init__.py": "", "pkg/calc.py": CALC})
    write(git_repo, {"pkg/calc.py": CALC.replace("return x\n", "return x + 0\n")})
    git(git_repo, "add", "pkg/calc.py")
    assert _run(git_repo, monkeypatch) == 0
    assert "no changed public function to check" in capsys.readouterr().out
