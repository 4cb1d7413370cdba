"""``tta-ci demo``: the refusals that come before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from tta_ci.cli.main import main


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["demo", "--dir", str(tmp_path)], {}) == 2
    assert "not an empty directory" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"
