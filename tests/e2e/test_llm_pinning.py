"""The scripted LLM path pins the change: ``tta-ci run --backend openrouter`` against the local
server, with mutation on (the default). A model that keeps a documented expectation after the
failure reports a possible bug with its reason; a wrong first answer the model corrects reports
none; and the accepted tests of a good answer kill the hand-made mutants the existing tests miss.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.gitrepo import CommitFn
from support.llm_server import LLMServer

from tta_ci.cli.main import main
from tta_ci.publish.markdown import text

pytestmark = pytest.mark.slow

KEY = "sk-or-v1-pinning-secret-7d1c"
VAT_BASE = '''def vat(amount: float) -> float:
    """The VAT on ``amount``: 20%.

    >>> vat(100.0)
    20.0
    """
    return round(amount * 0.2, 2)
'''
WRONG = "from shop.tax import vat\n\n\ndef test_vat():\n    assert vat(100.0) == 20.0\n"
KEEPS = ("The docstring example is the documented behaviour, so the test stays.\n\n"
         f"```python\n{WRONG}```\n\n"
         "Possible bug: the docstring of `vat` says vat(100.0) is 20.0 (20% VAT), the code "
         "gives 25.0\n")


def run(repo: Path, base: str, head: str, out: Path, server: LLMServer,
        **env: str) -> dict[str, Any]:
    environ = {**{k: v for k, v in os.environ.items() if not k.startswith("TTA_")},
               "OPENROUTER_API_KEY": KEY, "TTA_LLM_BASE_URL": server.url,
               "TTA_MODEL": "test/model", "TTA_CACHE": "false", "TTA_RUNS": "1", **env}
    code = main(["run", "--backend", "openrouter", "--mode", "files", "--repo", str(repo),
                 "--base", base, "--head", head, "--output-dir", str(out)], environ)
    assert code == 0
    metrics: dict[str, Any] = json.loads((out / "metrics.json").read_text())
    return metrics


def test_a_kept_documented_expectation_is_a_possible_bug_with_its_reason(
        git_repo: Path, commit: CommitFn, llm_server: LLMServer, tmp_path: Path) -> None:
    base = commit({"shop/__init__.py": "", "shop/tax.py": VAT_BASE})
    head = commit({"shop/tax.py": VAT_BASE.replace("0.2, 2", "0.25, 2")}, "vat")
    llm_server.answer_code(WRONG)
    llm_server.answer(KEEPS)
    out = tmp_path / "out"
    metrics = run(git_repo, base, head, out, llm_server)
    (task,) = metrics["tasks"]
    assert task["status"] == "possible_bug" and task["attempts"] == 2, task
    reason = ("Possible bug: the docstring of `vat` says vat(100.0) is 20.0 (20% VAT), "
              "the code gives 25.0")
    assert task["reason"] == reason
    assert [(b["test"], b["reason"]) for b in task["possible_bugs"]] == [("test_vat", reason)]
    assert metrics["totals"]["possible_bugs"] == 1
    assert text(reason, 500) in (out / "summary.md").read_text()  # escaped where it goes
    repair = llm_server.chat_requests[1].json["messages"][-1]["content"]
    assert "Possible bug:" in repair and "assert 25.0 == 20.0" in repair


def test_a_wrong_first_answer_the_model_corrects_is_no_possible_bug(
        git_repo: Path, commit: CommitFn, llm_server: LLMServer, tmp_path: Path) -> None:
    base = commit({"shop/__init__.py": "", "shop/tax.py": VAT_BASE})
    head = commit({"shop/tax.py": VAT_BASE.replace("0.2, 2", "0.25, 2")
                   .replace("20%", "25%").replace("20.0", "25.0")}, "vat is 25%")
    llm_server.answer_code(WRONG)
    llm_server.answer_code(WRONG.replace("20.0", "25.0"), prose="Fixed the expectation.")
    out = tmp_path / "out"
    metrics = run(git_repo, base, head, out, llm_server)
    (task,) = metrics["tasks"]
    assert task["status"] == "accepted" and task["possible_bugs"] == [], task
    assert metrics["totals"]["possible_bugs"] == 0
    assert "Possible bugs" not in (out / "summary.md").read_text()


SHIP_BASE = "def shipping(weight: float, express: bool = False) -> float:\n    return 5.0\n"
SHIP_HEAD = '''def shipping(weight: float, express: bool = False) -> float:
    if weight <= 0:
        raise ValueError("weight must be positive")
    if weight > 30:
        raise ValueError("too heavy")
    cost = 5.0 if weight < 2 else 5.0 + (weight - 2) * 1.5
    if express:
        cost *= 2
    return round(cost, 2)
'''
EXISTING = ("from shop.ship import shipping\n\n\n"
            "def test_light():\n    assert shipping(1.0) == 5.0\n")
HAND_MADE = [("weight <= 0", "weight < 0"), ("weight > 30", "weight >= 30"),
             ("weight > 30", "weight > 31"), ("weight < 2", "weight < 3"),
             ("* 1.5", "* 2.5"), ("5.0 + (", "5.0 - ("), ("weight - 2", "weight - 1"),
             ("cost *= 2", "cost *= 3"), ("cost *= 2", "cost += 2"),
             ("round(cost, 2)", "round(cost, 1)")]
GOOD = '''import pytest

from shop.ship import shipping


def test_light_parcel():
    assert shipping(1.5) == 5.0


def test_heavier_parcel_pays_per_kilo():
    assert shipping(2.5) == 5.75


def test_at_the_weight_limit():
    assert shipping(30) == 47.0


def test_just_over_the_limit():
    with pytest.raises(ValueError, match="too heavy"):
        shipping(30.5)


def test_no_weight():
    with pytest.raises(ValueError, match="positive"):
        shipping(0)


def test_express_doubles():
    assert shipping(1.0, express=True) == 10.0
'''


def killed(repo: Path, tests: Path, mutant: str) -> bool:
    (repo / "shop/ship.py").write_text(mutant)
    try:
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                 str(tests)], cwd=repo, capture_output=True, timeout=120)
    finally:
        (repo / "shop/ship.py").write_text(SHIP_HEAD)
    return result.returncode != 0


def test_the_accepted_tests_kill_the_hand_made_mutants_the_existing_tests_miss(
        git_repo: Path, commit: CommitFn, llm_server: LLMServer, tmp_path: Path) -> None:
    base = commit({"shop/__init__.py": "", "shop/ship.py": SHIP_BASE,
                   "tests/test_ship.py": EXISTING})
    head = commit({"shop/ship.py": SHIP_HEAD}, "shipping by weight")
    mutants = [SHIP_HEAD.replace(old, new, 1) for old, new in HAND_MADE]
    assert len(set(mutants)) == 10 and SHIP_HEAD not in mutants
    existing = git_repo / "tests/test_ship.py"
    assert not any(killed(git_repo, existing, m) for m in mutants)
    llm_server.answer_code(GOOD)
    metrics = run(git_repo, base, head, tmp_path / "out", llm_server)
    (task,) = metrics["tasks"]
    assert task["status"] == "accepted", task
    assert "test_light_parcel" in task["rejected_tests"]  # it adds nothing
    score = task["mutation"]
    assert score["killed_with_accepted"] > score["killed_by_existing"]
    accepted = tmp_path / "test_accepted.py"
    accepted.write_text(task["code"])
    kills = sum(killed(git_repo, accepted, m) for m in mutants)
    assert kills >= 8, f"{kills} of 10 hand-made mutants killed"


GRADE = "def passes(score):\n    return score > 50\n"
PINNING_TESTS = ("from pkg.grade import passes\n\n\ndef test_edge():\n"
                 "    assert passes(50) is True\n    assert passes(49) is False\n"
                 "    assert passes(51) is True\n")


def test_a_change_its_own_tests_pin_is_skipped_and_nothing_is_written(
        git_repo: Path, commit: CommitFn, llm_server: LLMServer, tmp_path: Path) -> None:
    base = commit({"pkg/__init__.py": "", "pkg/grade.py": GRADE})
    head = commit({"pkg/grade.py": GRADE.replace("> 50", ">= 50"),
                   "tests/test_grade.py": PINNING_TESTS}, "pass at 50, with its test")
    out = tmp_path / "out"
    metrics = run(git_repo, base, head, out, llm_server)
    (task,) = metrics["tasks"]
    assert (task["status"], task["reason"]) == ("skipped", "already pinned by your tests")
    assert task["mutation"]["tried"] == task["mutation"]["killed_by_existing"] >= 3
    assert task["mutation"]["survivors"] == []
    assert llm_server.chat_count == 0  # decided before any request
    assert (git_repo / "tests/test_grade.py").read_text() == PINNING_TESTS
    summary = (out / "summary.md").read_text()
    assert "already pinned by your tests" in summary
