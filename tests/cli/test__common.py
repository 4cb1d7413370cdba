"""tta_ci.cli._common: a command's flags, environment and file become its configuration."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tta_ci.cli._common import config_from_args
from tta_ci.core.errors import ConfigError


def args(repo: Path, **values: object) -> argparse.Namespace:
    return argparse.Namespace(repo=str(repo), config=None, **values)


def test_flags_that_are_set_override_the_file_and_the_environment(tmp_path: Path) -> None:
    (tmp_path / ".tta-ci.toml").write_text("max_tasks = 5\nconcurrency = 3\nmodel = 'a/b'\n")
    config = config_from_args(args(tmp_path, max_tasks=2, concurrency=None, model=None,
                                   json=True), {"TTA_CONCURRENCY": "7"})
    assert (config.max_tasks, config.concurrency, config.model) == (2, 7, "a/b")
    assert config.source("max_tasks") == "flag --max-tasks"
    assert config.source("concurrency") == "env TTA_CONCURRENCY"


def test_only_the_given_keys_and_the_extra_values(tmp_path: Path) -> None:
    config = config_from_args(args(tmp_path, mode="none", backend="offline"), {},
                              keys=("backend",), extra={"runs": 1})
    assert (config.backend, config.mode, config.runs) == ("offline", "files", 1)
    assert config.source("mode") == "default"


def test_the_config_flag_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "ci.toml").write_text("max_tasks = 4\n")
    namespace = argparse.Namespace(repo=str(tmp_path), config=str(tmp_path / "ci.toml"))
    assert config_from_args(namespace, {}).max_tasks == 4
    namespace.config = str(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="configuration file not found"):
        config_from_args(namespace, {})
