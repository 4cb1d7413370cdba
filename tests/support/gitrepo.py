"""Plain git helpers for the tests: run git in a repository, write files into it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

CommitFn = Callable[..., str]


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
