"""``tta-ci validate --json``, one labeled candidate of tests/corpus at a time: the entries that
the static gates decide, plus a few that need the sandbox (see support/corpus.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.corpus import (
    CANDIDATES,
    SECRET,
    TARGET,
    TOKEN,
    environ,
    expected,
    make_project,
    tree_hash,
)
from support.gitrepo import git

from tta_ci.cli.main import main

pytestmark = pytest.mark.slow

STATIC = ("syntax error", "no assertion", "trivial assertion", "forbidden call: os._exit",
          "forbidden call: sys.exit", "forbidden call: socket", "forbidden call: network",
          "reads a secret", "forbidden call: /proc", "writes conftest.py", "defines pytest hook",
          "forbidden call: time.sleep", "forbidden call: subprocess")
CLI_DYNAMIC = {"good", "secret_hidden"}
CLI = [p for p in CANDIDATES
       if p.stem in CLI_DYNAMIC or (expected(p).startswith(STATIC) and p.stem != "network_hidden")]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return make_project(tmp_path_factory)


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
