"""The labeled candidate tests of tests/corpus: each file's first line, ``# expect: ...``, is the
verdict the validator must give it against tests/corpus/project."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from support import CORPUS
from support.gitrepo import git

CANDIDATES = sorted((CORPUS / "candidates").glob("*.py"))
TARGET = "pkg/calc.py:14-27"
SECRET = "sk-or-v1-corpus-secret-0123456789"
TOKEN = "ghp_corpusTokenValue0123456789"


def expected(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), path
    return first.removeprefix("# expect: ")


def tree_hash(repo: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(repo.rglob("*")):
        if ".git" in path.relative_to(repo).parts:
            continue
        digest.update(str(path.relative_to(repo)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def make_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The corpus project, committed in a fresh repository; with the hash of its tree."""
    repo = tmp_path_factory.mktemp("corpus") / "project"
    shutil.copytree(CORPUS / "project", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    return repo, tree_hash(repo)


def environ() -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "OPENROUTER_API_KEY": SECRET, "GITHUB_TOKEN": TOKEN,
            "HOME": os.environ.get("HOME", "/root")}
