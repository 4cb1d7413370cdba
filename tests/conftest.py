from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git, write
from support.llm_server import llm_server  # noqa: F401  (fixture: a scripted LLM server on 127.0.0.1)

# data folders: candidate tests and example projects, run by the tests, not collected
collect_ignore = ["corpus"]

SCRUBBED_PREFIXES = ("GITHUB_", "TTA_", "RUNNER_", "ACTIONS_")


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test never depends on the machine's GitHub, tta-ci or API-key variables."""
    for name in list(os.environ):
        if name.startswith(SCRUBBED_PREFIXES) or name.endswith("_API_KEY") or name == "CI":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Author")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", "/tmp/tta-ci-tests-hypothesis")


@pytest.fixture
def git_repo(tmp_path: Path) -> Iterator[Path]:
    """An empty git repository with one initial commit on ``main``."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test Author")
    git(repo, "config", "user.email", "author@example.com")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "commit", "-q", "--allow-empty", "-m", "initial")
    yield repo


@pytest.fixture
def commit(git_repo: Path) -> CommitFn:
    """``commit({path: text, ...}, message)`` writes, stages and commits; returns the SHA.

    A value of ``None`` deletes the file.
    """

    def _commit(files: dict[str, str | None], message: str = "change") -> str:
        for name, text in files.items():
            if text is None:
                git(git_repo, "rm", "-q", name)
            else:
                write(git_repo, {name: text})
                git(git_repo, "add", name)
        git(git_repo, "commit", "-q", "-m", message)
        return git(git_repo, "rev-parse", "HEAD")

    return _commit


BWRAP_DENIED = "bwrap: setting up uid map: Permission denied"


@pytest.fixture
def broken_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A ``bwrap`` first on PATH that fails as GitHub's ubuntu-24.04 runners make it fail
    (AppArmor restricting user namespaces); the sandbox probe forgotten before and after."""
    from tta_ci.sandbox import isolation

    folder = tmp_path / "broken-bwrap"
    folder.mkdir()
    fake = folder / "bwrap"
    fake.write_text(f"#!/bin/sh\necho '{BWRAP_DENIED}' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    isolation.probe_bwrap.cache_clear()
    yield fake
    monkeypatch.undo()
    isolation.probe_bwrap.cache_clear()
