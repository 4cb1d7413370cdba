"""``tta-ci demo``: the refusals that come before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gitrepo import git

from tta_ci.cli.demo import build_demo_repo, demo_files
from tta_ci.cli.main import main


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["demo", "--dir", str(tmp_path)], {}) == 2
    assert "not an empty directory" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_the_example_project_is_data_and_its_change_rewrites_files() -> None:
    base, change = demo_files("base"), demo_files("change")
    assert "shop/pricing.py" in base and set(change) <= set(base) | {"shop/cart.py"}
    assert all(not name.endswith(".txt") for name in base)  # the storage suffix is dropped
    assert all(text.endswith("\n") for text in base.values())
    with pytest.raises(ValueError, match="kind must be 'base' or 'change'"):
        demo_files("other")  # type: ignore[arg-type]


def test_build_demo_repo_commits_the_base_then_the_change(tmp_path: Path) -> None:
    base, head = build_demo_repo(tmp_path)
    assert git(tmp_path, "rev-parse", "HEAD~1", "HEAD").split() == [base, head]
    assert git(tmp_path, "log", "--format=%s").splitlines() == [
        "Change pricing rules", "Example project"]
    assert git(tmp_path, "config", "user.name") == "tta-ci demo"
    changed = git(tmp_path, "diff", "--name-only", base, head).splitlines()
    assert changed == sorted(demo_files("change"))
    assert 'backend = "offline"' in (tmp_path / ".tta-ci.toml").read_text()
    assert git(tmp_path, "status", "--porcelain") == ""
