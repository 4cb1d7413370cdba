"""What a command imports before its first sandbox: never the publishers' libraries (libcst,
PyGithub and its requests/jwt), which cost about half a second; the validator path not the
diff planner or the engine either."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, write
from support.imports import loaded_after

PUBLISHING = ("libcst", "github", "requests", "jwt", "tta_ci.publish.modes")

CALC = "def add(a, b):\n    return a + b\n"
CANDIDATE = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


# Runs tta-ci with sys.stderr wrapped: the line that holds the mark writes the names in
# sys.modules at that moment to a file, then goes out as usual.
SPY = """
import sys

class Spy:
    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        if MARK in text:
            with open(OUT, "w") as f:
                f.write("\\n".join(sorted(sys.modules)))
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)

sys.stderr = Spy(sys.stderr)
from tta_ci.cli.main import main
raise SystemExit(main(ARGV))
"""


def _loaded_at(argv: list[str], cwd: Path, mark: str, out: Path) -> set[str]:
    """The modules a real ``tta-ci`` process had imported when it printed ``mark``."""
    code = f"MARK, OUT, ARGV = {mark!r}, {str(out)!r}, {argv!r}\n{SPY}"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin"})
    assert proc.stderr is not None
    try:
        if not any(mark in line for line in proc.stderr):
            pytest.fail(f"{' '.join(argv)} never printed {mark!r}")
    finally:
        proc.send_signal(signal.SIGTERM)  # it removes its workspaces on the way out
        proc.communicate(timeout=60)
    return set(out.read_text().split())


def test_validate_reaches_its_sandbox_without_the_publishers(git_repo: Path,
                                                             commit: CommitFn,
                                                             tmp_path: Path) -> None:
    commit({"calc.py": CALC})
    write(git_repo, {"calc.py": CALC.replace("a + b", "b + a")})
    (tmp_path / "cand.py").write_text(CANDIDATE)
    names = _loaded_at(["validate", str(tmp_path / "cand.py"), "--target", "calc.py"],
                       git_repo, "preparing the sandbox", tmp_path / "modules.txt")
    assert "tta_ci.validate.validator" in names  # read at the right moment
    unwanted = {*PUBLISHING, "tta_ci.engine", "tta_ci.plan.change", "tta_ci.generators"}
    assert names & unwanted == set()


@pytest.mark.parametrize(("statements", "unwanted"), [
    pytest.param("import tta_ci.publish.console", (*PUBLISHING, "asyncio", "git",
                                                   "tta_ci.engine", "tta_ci.core.report"),
                 id="console"),
    pytest.param("import tta_ci.cli.hook, tta_ci.hook.run", PUBLISHING, id="hook"),
    pytest.param("import tta_ci.cli.run, tta_ci.run.pipeline\n"
                 "from tta_ci.publish import preflight", (*PUBLISHING[:4], "git"), id="run"),
    pytest.param("from tta_ci.plan.single import task_for_lines",
                 ("tta_ci.plan.change", "tta_ci.github.event"), id="plan-one-file"),
])
def test_a_command_path_leaves_out(statements: str, unwanted: tuple[str, ...]) -> None:
    assert loaded_after(statements, unwanted) == set()


def test_publishing_loads_the_publisher_of_its_mode_only() -> None:
    local = "from tta_ci.publish import get_publisher\nget_publisher('files')"
    assert loaded_after(local, PUBLISHING[:4]) == set()
    remote = "from tta_ci.publish import get_publisher\nget_publisher('comment')"
    assert loaded_after(remote, PUBLISHING[:4]) == {"github", "requests", "jwt"}


@pytest.mark.parametrize("face", ["tta_ci", "tta_ci.plan", "tta_ci.publish", "tta_ci.validate"])
def test_a_lazy_face_gives_every_name_it_exports(face: str) -> None:
    """Each name resolves to the function or class, also after its submodules are imported
    (``tta_ci.plan.shard`` the module must not hide ``shard`` the function)."""
    code = (f"import importlib, pkgutil, types\nface = importlib.import_module({face!r})\n"
            "for sub in pkgutil.iter_modules(face.__path__):\n"
            "    if not sub.name.startswith('_'):\n"
            "        importlib.import_module(f'{face.__name__}.{sub.name}')\n"
            "bad = [n for n in face.__all__ if isinstance(getattr(face, n), types.ModuleType)]\n"
            "print(' '.join(bad) or 'ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["ok"]
