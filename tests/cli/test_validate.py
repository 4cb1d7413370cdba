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
from tta_ci.cli.validate import parse_target, render_verdict
from tta_ci.core.errors import UsageError
from tta_ci.core.types import MutationScore, Survivor, TestVerdict, Verdict

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


@pytest.mark.slow
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


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param("pkg/m.py", ("pkg/m.py", None), id="whole-file"),
        pytest.param("pkg/m.py:3-5", ("pkg/m.py", [3, 4, 5]), id="range"),
        pytest.param("pkg/m.py:7", ("pkg/m.py", [7]), id="one-line"),
        pytest.param("C:/x.py:2-2", ("C:/x.py", [2]), id="last-colon"),
    ],
)
def test_parse_target(target: str, expected: tuple[str, list[int] | None]) -> None:
    assert parse_target(target) == expected


@pytest.mark.parametrize("target", ["m.py:5-3", "m.py:0", "m.py:a-b", ":3", "m.py:"])
def test_parse_target_refuses_bad_ranges(target: str) -> None:
    with pytest.raises(UsageError, match=r"bad line range .*use PATH:START-END"):
        parse_target(target)


def test_render_verdict() -> None:
    verdict = Verdict(accepted=False, reason="flaky", isolation="bwrap", duration_s=2.26,
                      tests={"test_a": TestVerdict(status="accepted", reason="accepted"),
                             "test_b": TestVerdict(status="rejected", reason="flaky",
                                                   message="outcomes [failed, passed]\nmore")},
                      covered_lines=(3, 4, 5), uncovered_lines=(9,))
    assert render_verdict(verdict).splitlines() == [
        "rejected: flaky (bwrap, 2.3s)",
        "  accepted     test_a: accepted",
        "  rejected     test_b: flaky (outcomes [failed, passed])",
        "  newly covered lines: 3-5",
        "  changed lines not covered: 9",
    ]
    accepted = verdict.model_copy(update={"accepted": True, "tests": {}, "covered_lines": (),
                                          "uncovered_lines": ()})
    assert render_verdict(accepted) == "accepted (bwrap, 2.3s)"
    scored = accepted.model_copy(update={"mutation": MutationScore(
        tried=4, killed_by_existing=1, killed_with_accepted=3,
        survivors=(Survivor(line=6, operator="`50` → `51`", code="return score >= 51"),))})
    assert render_verdict(scored).splitlines()[1:] == [
        "  mutants: 4, killed by the existing tests 1, with the accepted tests 3",
        "  survives: line 6: `50` → `51`: return score >= 51"]


def test_a_missing_candidate_is_a_usage_error(git_repo: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(git_repo / "nope.py"), "--target", "calc.py", "--repo",
                 str(git_repo)], {})
    assert code == 2
    assert "nope.py: candidate test file not found" in capsys.readouterr().err


def test_a_machine_where_bwrap_cannot_work_runs_nothing(
        project: tuple[Path, str], broken_bwrap: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    repo, before = project
    good = next(p for p in CANDIDATES if p.stem == "good")
    code = main(["validate", str(good), "--target", TARGET, "--repo", str(repo)], environ())
    out, err = capsys.readouterr()
    first, error = err.splitlines()  # what is being validated, then the one-line error
    assert code == 2 and out == "" and first.startswith("tta-ci: validating ")
    assert error.startswith("tta-ci: error: bubblewrap cannot build its sandbox (bwrap: setting up "
                            "uid map: Permission denied), and tta-ci does not run untrusted code")
    assert tree_hash(repo) == before


@pytest.mark.slow
def test_the_gates_are_reported_as_they_start(project: tuple[Path, str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    repo, _ = project
    good = next(p for p in CANDIDATES if p.stem == "good")
    env = {**environ(), "TTA_MUTATION": "true", "TTA_MUTATION_MAX_MUTANTS": "2"}
    code = main(["validate", str(good), "--target", TARGET, "--repo", str(repo), "--json"], env)
    out, err = capsys.readouterr()
    verdict = json.loads(out)  # stdout stays one JSON document
    assert code == (0 if verdict["accepted"] else 1) and "mutation" in verdict["checks"]
    lines = err.splitlines()
    assert lines[0] == f"tta-ci: validating {good} against {TARGET}"
    gates = [line.removeprefix("tta-ci: ") for line in lines[1:]]
    runs = [g for g in gates if g.startswith(("validating ", "mutants "))]
    total = int(runs[0].rpartition("/")[2])  # the project's `runs`
    # the two mutants the existing tests miss run together, after one collection
    assert runs == [*(f"validating {n}/{total}" for n in range(1, total + 1)), "mutants 1-2/2"]
    assert gates.index("preparing the sandbox") < gates.index(runs[0])
