"""The repository's example ``pull_request`` workflow (``uses: ./``), run by a real workflow
runner (``act``), offline, with the GitHub API served locally (see ``support.act``): the probe,
the run, the step outputs, the job summary and the sticky comment happen as on GitHub; and a
``bwrap`` that cannot make namespaces stops the job before any code of the pull request runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import act

SECRET = "sk-or-v1-act-test-secret-4f9c2b7e"
STOP = ("::error title=tta-ci sandbox::bubblewrap cannot build its sandbox (bwrap: setting up "
        "uid map: Permission denied); tta-ci stopped before running any code of the pull request")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(act.available() is not None, reason=str(act.available()))]


def test_pull_request_workflow_end_to_end(tmp_path: Path) -> None:
    run = act.run_act(tmp_path, warm=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.job == "success"
    assert run.steps["Check the sandbox"] == "success"
    assert run.steps["Install tta-ci"] == run.steps["Run tta-ci"] == "success"
    assert run.outputs["tta/run"] == {
        "accepted": "1", "rejected": "0", "possible-bugs": "0", "cost-usd": "0.000000",
        "summary-path": ".tta-ci/out/summary.md", "metrics-path": ".tta-ci/out/metrics.json"}
    report = [e["msg"] for e in run.events if e.get("raw_output") and e.get("stepID") == ["3"]]
    assert report == ["accepted=1 cost=0.000000\n"]  # the Report step read the action's outputs
    summary = run.summaries["tta/run"]
    assert summary.startswith("## ✅ **tta-ci**: 1 accepted") and "isolation: bwrap" in summary
    (comment,) = run.comments
    assert comment["body"].startswith("<!-- tta-ci -->") and "calc/__init__.py::add" in comment[
        "body"]
    assert run.calls.count(("POST", f"/repos/{act.REPO}/issues/2/comments")) == 1
    artifact = tmp_path / "artifacts" / "tta-ci-tests--1"  # act: strategy.job-index is ''
    assert json.loads((artifact / "metrics.json").read_text())["totals"]["accepted"] == 1
    assert (artifact / "summary.md").read_text().strip() == summary.strip()
    assert "ghs_faketoken" not in run.stdout  # the job's token: masked everywhere


def test_a_bwrap_without_namespaces_stops_the_job_before_pr_code(tmp_path: Path) -> None:
    run = act.run_act(tmp_path, secret=SECRET, path_prefix=(act.HERE / "fake-bwrap",),
                      canary=tmp_path / "canary")
    assert run.returncode != 0 and run.job == "failure"
    assert [e.removeprefix("❗").strip() for e in run.errors()] == [STOP]
    assert run.steps["Check the sandbox"] == "failure"
    assert not set(run.steps) & {"Install tta-ci", "Run tta-ci", "Report"}
    assert not (tmp_path / "canary").exists()  # no code of the pull request ran
    assert run.comments == [] and run.calls == []
    # act's --json log keeps the masked value in the add-mask event itself: only there
    leaks = [e for e in run.events if SECRET in json.dumps(e) and e.get("command") != "add-mask"]
    assert leaks == []
