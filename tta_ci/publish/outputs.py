"""The run's two files in the output folder: ``metrics.json`` and ``summary.md``."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from tta_ci.core.paths import make_dirs
from tta_ci.core.report import MetricsDocument
from tta_ci.publish.summary import render_summary

__all__ = ["write_documents"]


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_documents(doc: MetricsDocument, out: Path) -> tuple[Path, Path]:
    """Write both files atomically; returns (metrics.json, summary.md)."""
    make_dirs(out)
    metrics_path, summary_path = out / "metrics.json", out / "summary.md"
    _atomic_write(metrics_path, json.dumps(doc.to_json(), indent=2) + "\n")
    _atomic_write(summary_path, render_summary(doc) + "\n")
    return metrics_path, summary_path
