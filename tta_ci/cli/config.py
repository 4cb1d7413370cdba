"""``tta-ci config``: the effective configuration, each key with its source; secrets redacted."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping

from tta_ci.cli._common import config_from_args
from tta_ci.core.config import Config
from tta_ci.core.secrets import secret_names

__all__ = ["config", "render_config"]


def _secrets(config: Config, environ: Mapping[str, str]) -> dict[str, str]:
    names = secret_names(environ, config) | {config.api_key_env}
    return {n: ("*** (set)" if environ.get(n) else "(not set)") for n in sorted(names)}


def render_config(config: Config, environ: Mapping[str, str]) -> str:
    """``key = value  # source`` lines, then the secrets the run would use (redacted)."""
    lines = [f"{k} = {json.dumps(v)}  # {src}" for k, v, src in config.public_items()]
    lines.append("")
    lines.extend(f"{name} = {state}  # secret" for name, state in _secrets(config, environ).items())
    return "\n".join(lines)


def config(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    cfg = config_from_args(args, environ, keys=())
    if args.json:
        doc = {
            "config": {k: {"value": v, "source": s} for k, v, s in cfg.public_items()},
            "secrets": _secrets(cfg, environ),
        }
        print(json.dumps(doc, indent=2))
    else:
        print(render_config(cfg, environ))
    return 0
