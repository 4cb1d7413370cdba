"""The edges of the OpenHands backend: the worker's environment and the agent's workspace.

Each conversation runs in its own worker process (``worker``). Its environment is
built here from the caller's ``environ`` with every secret taken out: the variables
``secret_names`` reports, the key variable, ``GITHUB_TOKEN``, ``GH_TOKEN``, the configured
``secret_env``, and any variable holding a secret value under another name. The agent's terminal
descends from the worker and so inherits that clean environment; the API key reaches the worker
on its stdin only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tta_ci.core.config import Config
from tta_ci.core.errors import BadResponse
from tta_ci.core.secrets import secret_names
from tta_ci.core.types import LLMCall

__all__ = [
    "ALWAYS_HIDDEN",
    "BYPRODUCT_PARTS",
    "AgentRun",
    "names_to_hide",
    "read_test_file",
    "worker_env",
]

MAX_TEST_FILE_BYTES = 1_000_000
ALWAYS_HIDDEN = frozenset({"GITHUB_TOKEN", "GH_TOKEN", "OPENROUTER_API_KEY"})
# Paths that running pytest leaves behind; not something the agent chose to write.
BYPRODUCT_PARTS = frozenset({"__pycache__", ".pytest_cache", ".hypothesis", ".coverage"})


def names_to_hide(
    env: Mapping[str, str], names: Iterable[str], values: Iterable[str]
) -> set[str]:
    """The variables of ``env`` named in ``names`` or holding one of the secret ``values``."""
    secret_values = {v for v in values if len(v) >= 6}
    hidden = {n for n in names if n in env}
    hidden.update(n for n, v in env.items() if v in secret_values)
    return hidden


def worker_env(
    environ: Mapping[str, str], config: Config, *, values: Iterable[str], home: Path,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a worker process: ``environ`` without any secret, with a private
    ``HOME`` (no credential files of the user's home by that route) and ``extra`` added."""
    names = {*ALWAYS_HIDDEN, config.api_key_env, *secret_names(environ, config)}
    hidden = names_to_hide(environ, names, values)
    env = {k: v for k, v in environ.items() if k not in hidden}
    env.setdefault("PATH", os.defpath)
    env["HOME"] = str(home)
    env.update(extra or {})
    return env


class AgentRun(BaseModel):
    """How a conversation ended: the SDK's execution status and the calls it made."""

    model_config = ConfigDict(frozen=True)

    status: str
    calls: tuple[LLMCall, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def iterations(self) -> int:
        return len(self.calls)


def read_test_file(workdir: Path, test_file: str) -> str | None:
    """The named test file of the workspace, or None when the agent did not write it."""
    path = workdir / test_file
    if path.is_symlink() or not path.resolve().is_relative_to(workdir.resolve()):
        raise BadResponse(f"the agent made {test_file} a symbolic link; it must be a plain file")
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_TEST_FILE_BYTES:
        raise BadResponse(f"the agent wrote {test_file} larger than {MAX_TEST_FILE_BYTES} bytes")
    return path.read_text(encoding="utf-8", errors="replace")
