"""tta_ci.publish.outputs: the run's metrics.json and summary.md, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.publish_data import document, task

from tta_ci.core import files
from tta_ci.core.report import MetricsDocument
from tta_ci.publish.outputs import write_documents


def test_both_files_are_written_and_read_back(tmp_path: Path) -> None:
    doc = document([task()])
    metrics, summary = write_documents(doc, tmp_path / "deep" / "out")
    assert (metrics.name, summary.name) == ("metrics.json", "summary.md")
    assert MetricsDocument.model_validate(json.loads(metrics.read_text())) == doc
    assert metrics.read_text().endswith("}\n")
    assert summary.read_text().startswith("## ✅ **tta-ci**: 1 accepted")
    write_documents(document([]), tmp_path / "deep" / "out")  # replaced, not appended
    assert json.loads(metrics.read_text())["tasks"] == []
    assert sorted(p.name for p in metrics.parent.iterdir()) == ["metrics.json", "summary.md"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics, _ = write_documents(document([task()]), tmp_path)
    before = metrics.read_text()

    def broken(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_documents(document([]), tmp_path)
    assert metrics.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "summary.md"]
