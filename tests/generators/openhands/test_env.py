"""tta_ci.generators.openhands.env: the worker's environment and the test file it wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tta_ci.core.config import Config
from tta_ci.core.errors import (
    BadResponse,
)
from tta_ci.generators.openhands.env import read_test_file, worker_env


def test_openhands_worker_env_hides_names_values_and_configured_secrets(tmp_path: Path) -> None:
    env = {"OPENROUTER_API_KEY": "sk-secret-1", "ALIAS": "sk-secret-1", "MY_SECRET": "s3cr3t-x",
           "CUSTOM": "custom-value", "GH_TOKEN": "gho_0123456789", "PATH": "/bin",
           "HOME": "/root", "LANG": "C.UTF-8"}
    config = Config(secret_env=("CUSTOM",))
    clean = worker_env(env, config, values=["sk-secret-1"], home=tmp_path, extra={"X": "1"})
    assert clean == {"PATH": "/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8", "X": "1"}
    assert len(env) == 8  # the caller's mapping is not touched


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
