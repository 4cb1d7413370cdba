"""``tta-ci plan`` through main(): table, --json, --shard, --matrix, --staged, errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write

from tta_ci.cli.main import main
from tta_ci.cli.plan import render_plan
from tta_ci.core.types import PlanResult, Skip, Task, TaskPriority

LIB = "def one():\n    return 1\n\n\ndef two():\n    return 2\n\n\ndef _three():\n    return 3\n"


@pytest.fixture
def repo(git_repo: Path, commit: CommitFn) -> Path:
    commit({"lib.py": LIB})
    commit({"lib.py": LIB.replace("return", "return -"), "notes.txt": "n\n"})
    return git_repo


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["plan", *argv], environ={})
    out, err = capsys.readouterr()
    return code, out, err


def test_table(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--repo", str(repo))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["PRIORITY", "TASK", "KIND", "LINES", "TEST", "FILE"]
    assert lines[1].split() == [
        "high", "lib.py::one", "function", "2", "tests/test_lib.py", "(new)"
    ]
    assert lines[3].split()[:2] == ["low", "lib.py::_three"]
    assert lines[4] == "skipped  notes.txt: not python"
    assert lines[5].startswith("3 tasks, 1 skipped (")


def test_json_and_max_tasks(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--repo", str(repo), "--json", "--max-tasks", "2")
    assert code == 0
    doc = json.loads(out)
    assert [t["id"] for t in doc["tasks"]] == ["lib.py::one", "lib.py::two"]
    assert set(doc["tasks"][0]) >= {
        "id", "file", "symbol", "kind", "changed_lines", "test_file", "priority", "hash"
    }
    assert doc["skipped"] == [
        {"file": "notes.txt", "reason": "not python"},
        {"file": "lib.py", "reason": "over max_tasks (2)", "symbol": "_three"},
    ]


def test_shards_cover_the_plan(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = []
    for i in (1, 2):
        code, out, _ = run(capsys, "--repo", str(repo), "--json", "--shard", f"{i}/2")
        assert code == 0
        ids.append([t["id"] for t in json.loads(out)["tasks"]])
    assert sorted(ids[0] + ids[1]) == ["lib.py::_three", "lib.py::one", "lib.py::two"]
    assert sorted(map(len, ids)) == [1, 2]


def test_matrix_on_one_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--repo", str(repo), "--matrix", "2")
    assert (code, out) == (0, '{"include": [{"shard": "1/2"}, {"shard": "2/2"}]}\n')
    code, out, _ = run(capsys, "--repo", str(repo), "--matrix", "8")
    assert json.loads(out) == {"include": [{"shard": f"{i}/3"} for i in (1, 2, 3)]}


def test_staged(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, {"extra.py": "def e():\n    return 0\n"})
    git(repo, "add", "extra.py")
    code, out, _ = run(capsys, "--repo", str(repo), "--staged", "--json")
    assert code == 0
    assert [t["id"] for t in json.loads(out)["tasks"]] == ["extra.py::e"]


def test_base_and_head(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--repo", str(repo), "--base", "HEAD~1", "--head", "HEAD~1")
    assert code == 0
    assert out.splitlines() == [f"0 tasks, 0 skipped ({_short(repo)}..{_short(repo)})"]


def _short(repo: Path) -> str:
    return git(repo, "rev-parse", "--short=7", "HEAD~1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--shard", "3/2"], "tta-ci: error: --shard '3/2': shard index 3 must be between 1 and 2"),
        (["--matrix", "0"], "tta-ci: error: shard count 0 must be between 1 and 256"),
        (["--base", "nope"], "tta-ci: error: 'nope': unknown revision"),
        (["--max-tasks", "0"], "tta-ci: error: flag --max-tasks: key 'max_tasks'"),
    ],
)
def test_errors(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--repo", str(repo), *argv)
    assert (code, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1


def test_not_a_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--repo", str(tmp_path))
    assert code == 2
    assert err == f"tta-ci: error: {tmp_path}: not a git repository; check --repo\n"


def test_render_plan_aligns_the_columns() -> None:
    tasks = (
        Task(id="lib.py::one", file="lib.py", symbol="one", kind="function",
             changed_lines=(2, 3, 7), test_file="tests/test_lib.py", priority=TaskPriority.HIGH),
        Task(id="pkg/longer.py::C.m", file="pkg/longer.py", symbol="C.m", kind="method",
             changed_lines=(), test_file="tests/pkg/test_longer.py", test_file_exists=True),
    )
    result = PlanResult(tasks=tasks, skipped=(Skip(file="a.md", reason="not python"),
                                              Skip(file="lib.py", reason="cap", symbol="two")),
                        base="a" * 40, head=None)
    assert render_plan(result).splitlines() == [
        "PRIORITY  TASK                KIND      LINES  TEST FILE",
        "high      lib.py::one         function  2-3,7  tests/test_lib.py (new)",
        "normal    pkg/longer.py::C.m  method    -      tests/pkg/test_longer.py",
        "skipped  a.md: not python",
        "skipped  lib.py::two: cap",
        "2 tasks, 2 skipped (aaaaaaa..index)",
    ]
    assert render_plan(PlanResult()) == "0 tasks, 0 skipped (index..index)"


@pytest.mark.parametrize("text", [
    pytest.param("exclude = [" + '"build/**", ' * 400_000 + "]\n", id="huge"),
    pytest.param("provider = " + "[" * 100_000 + "]" * 100_000 + "\n", id="nested"),
])
def test_a_hostile_configuration_is_a_one_line_error_at_once(
        repo: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    (repo / ".tta-ci.toml").write_text(text)
    start = time.monotonic()
    code, out, err = run(capsys, "--repo", str(repo), "--base", "HEAD~1")
    assert code == 2 and out == "" and err.startswith("tta-ci: error: .tta-ci.toml: ")
    assert err.count("\n") == 1 and time.monotonic() - start < 5


MIXED = (
    "def typed(a: int) -> int:\n    return a\n\n\n"
    "async def waits(a: int) -> int:\n    return a\n\n\n"
    "def other(b: int) -> int:\n    return b\n"
)


def test_the_backends_own_skips_are_known_at_plan_time(
    git_repo: Path, commit: CommitFn, capsys: pytest.CaptureFixture[str]
) -> None:
    commit({"mixed.py": MIXED.replace("return", "return 0 +")})
    commit({"mixed.py": MIXED})
    code, out, _ = run(capsys, "--repo", str(git_repo), "--json", "--max-tasks", "2")
    assert code == 0
    doc = json.loads(out)
    # the task offline cannot do is listed with its backend, and takes no place under the cap
    assert [t["id"] for t in doc["tasks"]] == ["mixed.py::typed", "mixed.py::other"]
    assert doc["skipped"] == [{
        "file": "mixed.py", "symbol": "waits", "backend": "offline",
        "reason": "no offline strategy: waits is async (an event loop is not set up)",
    }]
    code, out, _ = run(capsys, "--repo", str(git_repo), "--backend", "openrouter")
    assert "mixed.py::waits" in out and out.splitlines()[-1].startswith("3 tasks, 0 skipped")
    _, out, _ = run(capsys, "--repo", str(git_repo))
    assert "skipped  mixed.py::waits (offline backend): no offline strategy" in out
