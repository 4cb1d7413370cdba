"""The OpenHands backend's parts that need no SDK: prompt, environment scrubbing, workspace."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import CommitFn, git

from tta_ci.config import Config
from tta_ci.errors import BadResponse
from tta_ci.generators.openhands_env import EnvScrubber, changed_files, read_test_file
from tta_ci.generators.openhands_prompt import agent_prompt
from tta_ci.models import Candidate, Task

TASK = Task(
    id="pkg/calc.py::add", file="pkg/calc.py", symbol="add", kind="function",
    changed_lines=(2, 3, 5), test_file="tests/test_calc.py", start_line=1, end_line=5,
    source="def add(a, b):\n    if a < 0:\n        return -1\n\n    return a + b\n",
    module="pkg.calc",
)


def test_openhands_prompt_names_target_lines_and_the_one_test_file() -> None:
    prompt = agent_prompt(TASK, Path("/w/repo"))
    assert "checked out at /w/repo." in prompt
    assert "Test file: /w/repo/tests/test_calc.py\n" in prompt
    assert "`add` (function) in `pkg/calc.py`" in prompt
    assert "changed lines (2-3, 5)" in prompt
    assert "    2 >>     if a < 0:" in prompt and "\n    4\n" in prompt
    assert "from pkg.calc import add" in prompt
    assert "do not create, modify or delete any other file" in prompt
    assert "repair attempt" not in prompt


def test_openhands_repair_prompt_carries_the_feedback_and_previous_file() -> None:
    previous = Candidate(code="def test_old():\n    assert add(1, 1) == 3\n", generator="openhands")
    prompt = agent_prompt(TASK, Path("/w/repo"), previous=previous,
                          feedback="test_old: AssertionError: assert 2 == 3")
    assert "repair attempt" in prompt
    assert "assert add(1, 1) == 3" in prompt
    assert "AssertionError: assert 2 == 3" in prompt


def test_openhands_scrubber_hides_names_values_and_configured_secrets() -> None:
    env = {"OPENROUTER_API_KEY": "sk-secret-1", "ALIAS": "sk-secret-1", "MY_SECRET": "s3cr3t-x",
           "CUSTOM": "custom-value", "PATH": "/bin"}
    scrubber = EnvScrubber(env)
    config = Config(secret_env=("CUSTOM",))
    with scrubber.hidden({"OPENROUTER_API_KEY"}, values=["sk-secret-1"], config=config):
        assert env == {"PATH": "/bin"}
    assert env["ALIAS"] == "sk-secret-1" and env["CUSTOM"] == "custom-value"
    assert len(env) == 5


def test_openhands_scrubber_restores_only_after_the_last_holder() -> None:
    env = {"GITHUB_TOKEN": "ghp_0123456789"}
    scrubber = EnvScrubber(env)
    entered, release = threading.Barrier(3), threading.Event()
    seen: list[bool] = []

    def hold() -> None:
        with scrubber.hidden({"GITHUB_TOKEN"}):
            entered.wait()
            release.wait()
            seen.append("GITHUB_TOKEN" in env)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait()
    assert "GITHUB_TOKEN" not in env and scrubber.active
    release.set()
    for t in threads:
        t.join()
    assert seen == [False, False]  # hidden while any holder is inside
    assert env == {"GITHUB_TOKEN": "ghp_0123456789"} and not scrubber.active


def test_openhands_changed_files_lists_edits_and_new_files_not_byproducts(
    git_repo: Path, commit: CommitFn
) -> None:
    commit({"calc.py": "x = 1\n", "old.py": "y = 2\n"})
    (git_repo / "calc.py").write_text("x = 2\n")
    (git_repo / "tests" / "__pycache__").mkdir(parents=True)
    (git_repo / "tests" / "__pycache__" / "t.pyc").write_bytes(b"\0")
    (git_repo / "tests" / "test_calc.py").write_text("def test(): pass\n")
    (git_repo / ".pytest_cache").mkdir()
    (git_repo / ".pytest_cache" / "v").write_text("")
    git(git_repo, "rm", "-q", "old.py")
    assert changed_files(git_repo) == ["calc.py", "old.py", "tests/test_calc.py"]


def test_openhands_reads_only_a_plain_test_file_inside_the_worktree(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    assert read_test_file(tmp_path, "tests/test_calc.py") is None
    (tmp_path / "tests" / "test_calc.py").write_text("def test_x():\n    assert 1\n")
    assert read_test_file(tmp_path, "tests/test_calc.py") == "def test_x():\n    assert 1\n"
    outside = tmp_path.parent / "outside-secret.txt"
    outside.write_text("secret")
    (tmp_path / "tests" / "test_link.py").symlink_to(outside)
    with pytest.raises(BadResponse, match="symbolic link"):
        read_test_file(tmp_path, "tests/test_link.py")
