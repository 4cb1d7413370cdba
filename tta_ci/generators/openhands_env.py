"""The edges of the OpenHands backend: the process environment and the agent's workspace.

The SDK's terminal tool builds its shell's environment from ``os.environ`` (and its tmux server
inherits the process environment when it starts), and it offers no way to remove a variable.
So while any conversation runs, the secret variables are taken out of ``os.environ``; they are
put back when the last concurrent conversation ends. The API key itself never needs to be in
the process environment: the LLM object holds it.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from tta_ci.config import Config
from tta_ci.errors import BadResponse
from tta_ci.secrets import secret_names

__all__ = [
    "BYPRODUCT_PARTS",
    "PROCESS_ENV",
    "EnvScrubber",
    "changed_files",
    "names_to_hide",
    "read_test_file",
    ]

MAX_TEST_FILE_BYTES = 1_000_000
# Paths that running pytest leaves behind; not something the agent chose to write.
BYPRODUCT_PARTS = frozenset({"__pycache__", ".pytest_cache", ".hypothesis", ".coverage"})


def names_to_hide(
    env: MutableMapping[str, str], names: Iterable[str], values: Iterable[str]
) -> set[str]:
    """The variables of ``env`` named in ``names`` or holding one of the secret ``values``."""
    secret_values = {v for v in values if len(v) >= 6}
    hidden = {n for n in names if n in env}
    hidden.update(n for n, v in env.items() if v in secret_values)
    return hidden


class EnvScrubber:
    """Removes variables from an environment while at least one holder is inside ``hidden``.

    Reference-counted and thread-safe: concurrent conversations share one removal, and the
    values come back only when the last one leaves.
    """

    def __init__(self, env: MutableMapping[str, str]) -> None:
        self._env = env
        self._lock = threading.Lock()
        self._holders = 0
        self._saved: dict[str, str] = {}

    @property
    def active(self) -> bool:
        return self._holders > 0

    @contextmanager
    def hidden(
        self, names: Iterable[str], values: Iterable[str] = (), config: Config | None = None
    ) -> Iterator[None]:
        """Without ``names``, the variables holding ``values``, and ``secret_names``."""
        with self._lock:
            names = {*names, *secret_names(self._env, config)}
            for name in names_to_hide(self._env, names, values):
                self._saved.setdefault(name, self._env.pop(name))
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    self._env.update(self._saved)
                    self._saved.clear()


PROCESS_ENV = EnvScrubber(os.environ)


def _status_paths(output: bytes) -> Iterator[str]:
    fields = output.split(b"\0")
    index = 0
    while index < len(fields):
        entry = fields[index]
        index += 1
        if len(entry) < 4:
            continue
        yield os.fsdecode(entry[3:])
        if entry[:1] in (b"R", b"C"):  # a rename or copy: the next field is the old path
            yield os.fsdecode(fields[index])
            index += 1


def changed_files(workdir: Path) -> list[str]:
    """Files of the worktree that differ from its commit (added, changed, deleted), except the
    byproducts of running tests."""
    done = subprocess.run(
        ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"],
        cwd=workdir, capture_output=True, check=False,
    )
    if done.returncode != 0:
        return []
    paths = set(_status_paths(done.stdout))
    return sorted(
        p for p in paths if not BYPRODUCT_PARTS.intersection(PurePosixPath(p).parts)
    )


def read_test_file(workdir: Path, test_file: str) -> str | None:
    """The named test file of the worktree, or None when the agent did not write it."""
    path = workdir / test_file
    if path.is_symlink() or not path.resolve().is_relative_to(workdir.resolve()):
        raise BadResponse(f"the agent made {test_file} a symbolic link; it must be a plain file")
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_TEST_FILE_BYTES:
        raise BadResponse(f"the agent wrote {test_file} larger than {MAX_TEST_FILE_BYTES} bytes")
    return path.read_text(encoding="utf-8", errors="replace")
