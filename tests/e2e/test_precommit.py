"""The hook through the real ``pre-commit``: ``pre-commit try-repo`` against this repository.

``try-repo`` clones the repository it is given and ``pip install``s it into a fresh virtualenv
(from the package index, or pip's cache), as a user's ``pre-commit install`` would. The clone
is of a scratch commit of this checkout's files as they are now (tracked and new files, minus
the ignored ones), so that the test checks the code under test, committed or not. One
``try-repo`` keeps its clone and virtualenv in a fresh temporary store per call (it ignores
``PRE_COMMIT_HOME``), so each run installs once. That store must not be under /tmp: the
sandbox mounts a fresh /tmp, which would hide the hook environment's interpreter. So the
pre-commit process gets a ``TMPDIR`` under the user's cache directory, removed at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ROOT
from support.gitrepo import git, write

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CALC = '''\
from __future__ import annotations


def add(a: int, b: int) -> int:
    """The sum of two integers."""
    return a + b
'''


def _snapshot(dest: Path) -> Path:
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout
    for raw in listing.split(b"\0"):
        rel = os.fsdecode(raw)
        src = ROOT / rel
        if rel and src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "snapshot")
    return dest


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout, committed as it is now, for ``pre-commit try-repo``."""
    return _snapshot(tmp_path_factory.mktemp("tta-ci-src"))


@pytest.fixture(scope="session")
def pre_commit_tmp() -> Iterator[Path]:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tta-ci-tests"
    cache.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="pre-commit-", dir=cache))
    yield home
    shutil.rmtree(home, ignore_errors=True)


def _try_repo(repo: Path, hook_repo: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmp), "PRE_COMMIT_HOME": str(tmp / "home"),
           "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "tta-ci", "--verbose"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=840, check=False,
    )


def test_try_repo_writes_a_test_then_passes_after_git_add_all(
    git_repo: Path, hook_repo: Path, pre_commit_tmp: Path
) -> None:
    write(git_repo, {"pkg/__init__.py": "", "pkg/calc.py": CALC})
    git(git_repo, "add", "pkg")
    staged_before = git(git_repo, "diff", "--cached")

    first = _try_repo(git_repo, hook_repo, pre_commit_tmp)
    output = first.stdout + first.stderr
    assert first.returncode == 1, output
    assert "tta-ci: ✔ accepted pkg/calc.py::add" in output
    assert "`git add tests/test_calc.py`" in output
    written = (git_repo / "tests/test_calc.py").read_text()
    assert "from pkg.calc import add" in written and "def test_add" in written
    # the staged code is untouched, in the index and in the working tree
    assert git(git_repo, "diff", "--cached") == staged_before
    assert (git_repo / "pkg/calc.py").read_text() == CALC
    assert (git_repo / ".tta-ci/out/metrics.json").is_file()

    # what a user does next: stage everything; tta-ci's outputs stay out of the index
    git(git_repo, "add", "-A")
    assert git(git_repo, "diff", "--cached", "--name-only").splitlines() == [
        "pkg/__init__.py", "pkg/calc.py", "tests/test_calc.py"]
    assert (git_repo / ".tta-ci/.gitignore").read_text().splitlines()[-1] == "*"
    second = _try_repo(git_repo, hook_repo, pre_commit_tmp)
    output = second.stdout + second.stderr
    assert second.returncode == 0, output
    assert "already in tests/test_calc.py" in output
    assert (git_repo / "tests/test_calc.py").read_text() == written
