"""What several commands share: loading the configuration from their flags."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tta_ci.cli.parser import CONFIG_FLAGS
from tta_ci.core.config import Config, load_config

__all__ = ["config_from_args"]

def config_from_args(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    *,
    keys: Iterable[str] = CONFIG_FLAGS,
    extra: Mapping[str, Any] | None = None,
) -> Config:
    flags = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    flags.update(extra or {})
    config_file = getattr(args, "config", None)
    return load_config(
        Path(getattr(args, "repo", ".")),
        environ,
        flags,
        Path(config_file) if config_file else None,
    )
