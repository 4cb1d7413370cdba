"""The run's two files in the output folder: ``metrics.json`` and ``summary.md``."""

from __future__ import annotations

import json
from pathlib import Path

from tta_ci.core.files import write_atomic
from tta_ci.core.paths import make_dirs
from tta_ci.core.report import MetricsDocument
from tta_ci.publish.summary import render_summary

__all__ = ["write_documents"]


def write_documents(doc: MetricsDocument, out: Path) -> tuple[Path, Path]:
    """Write both files atomically; returns (metrics.json, summary.md)."""
    make_dirs(out)
    metrics_path, summary_path = out / "metrics.json", out / "summary.md"
    write_atomic(metrics_path, json.dumps(doc.to_json(), indent=2) + "\n")
    write_atomic(summary_path, render_summary(doc) + "\n")
    return metrics_path, summary_path
