"""Every labeled candidate of tests/corpus is classified as its ``# expect:`` line says.

All candidates are judged twice: together in one batched ``validate_many`` call (a few pytest
processes for the whole corpus), and one by one through ``tta-ci validate --json`` for the
entries that the static gates decide plus a few that need the sandbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import git
from tta_ci.cli.main import main
from tta_ci.core.config import load_config
from tta_ci.core.types import Verdict
from tta_ci.plan.single import task_for_lines
from tta_ci.validate import ResultValidator

CORPUS = Path(__file__).parent / "corpus"
CANDIDATES = sorted((CORPUS / "candidates").glob("*.py"))
TARGET = "pkg/calc.py:14-27"
SECRET = "sk-or-v1-corpus-secret-0123456789"
TOKEN = "ghp_corpusTokenValue0123456789"

pytestmark = pytest.mark.slow


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


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    repo = tmp_path_factory.mktemp("corpus") / "project"
    shutil.copytree(CORPUS / "project", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    yield repo, tree_hash(repo)


def environ() -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "OPENROUTER_API_KEY": SECRET, "GITHUB_TOKEN": TOKEN,
            "HOME": os.environ.get("HOME", "/root")}


STATIC = ("syntax error", "no assertion", "trivial assertion", "forbidden call: os._exit",
          "forbidden call: sys.exit", "forbidden call: socket", "forbidden call: network",
          "reads a secret", "forbidden call: /proc", "writes conftest.py", "defines pytest hook",
          "forbidden call: time.sleep", "forbidden call: subprocess")
CLI_DYNAMIC = {"good", "secret_hidden"}
CLI = [p for p in CANDIDATES
       if p.stem in CLI_DYNAMIC or (expected(p).startswith(STATIC) and p.stem != "network_hidden")]


@pytest.fixture(scope="module")
def batch_verdicts(project: tuple[Path, str]) -> dict[str, Verdict]:
    repo, _ = project
    config = load_config(repo, {})
    lines = list(range(14, 28))
    task = task_for_lines(repo, config, "pkg/calc.py", lines)
    validator = ResultValidator(config, repo, environ=environ())
    codes = [p.read_text() for p in CANDIDATES]
    verdicts = asyncio.run(validator.validate_many(task, codes))
    return {p.stem: v for p, v in zip(CANDIDATES, verdicts, strict=True)}


@pytest.mark.parametrize("candidate", CANDIDATES, ids=[p.stem for p in CANDIDATES])
def test_corpus_entry_in_one_batch(batch_verdicts: dict[str, Verdict], candidate: Path,
                                   project: tuple[Path, str]) -> None:
    verdict = batch_verdicts[candidate.stem]
    label = expected(candidate)
    if label == "accepted":
        assert verdict.accepted, verdict.to_json()
        assert verdict.code is not None and "def test_" in verdict.code
    else:
        assert not verdict.accepted and verdict.reason.startswith(label), verdict.to_json()
    assert SECRET not in verdict.feedback and TOKEN not in verdict.feedback
    assert tree_hash(project[0]) == project[1]


@pytest.mark.parametrize("candidate", CLI, ids=[p.stem for p in CLI])
def test_corpus_entry_is_classified(project: tuple[Path, str], candidate: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    repo, before = project
    label = expected(candidate)
    code = main(["validate", str(candidate), "--target", TARGET, "--repo", str(repo), "--json"],
                environ())
    out = capsys.readouterr().out
    verdict = json.loads(out)
    assert SECRET not in out and TOKEN not in out
    if label == "accepted":
        assert (code, verdict["accepted"]) == (0, True), verdict
        assert any(t["status"] == "accepted" for t in verdict["tests"].values())
    else:
        assert (code, verdict["accepted"]) == (1, False), verdict
        assert verdict["reason"].startswith(label), verdict
    assert verdict["isolation"] in ("bwrap", "fallback")
    assert tree_hash(repo) == before, "the user's working tree changed"
    assert "tta" not in git(repo, "status", "--porcelain")
