"""action.yml, collect/action.yml and sandbox/action.yml: their schema, inputs and outputs, how
they reach the scripts, and the one environment the first two find."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import ROOT

ACTION = ROOT / "action.yml"
COLLECT = ROOT / "collect" / "action.yml"
SANDBOX = ROOT / "sandbox" / "action.yml"
ENV_SCRIPT = ROOT / "scripts" / "action-env.sh"
OUTPUTS = ["accepted", "rejected", "possible-bugs", "cost-usd", "summary-path", "metrics-path"]


def action(path: Path = ACTION) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def step(path: Path, step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in action(path)["runs"]["steps"] if s.get("id") == step_id)
    return found


@pytest.mark.parametrize("path", [ACTION, COLLECT, SANDBOX], ids=["action", "collect", "sandbox"])
def test_schema(path: Path) -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    out = subprocess.run([str(checker), "--builtin-schema", "vendor.github-actions", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_inputs_and_outputs_are_the_contract() -> None:
    data = action()
    assert list(data["inputs"]) == [
        "openrouter-api-key", "github-token", "backend", "model", "mode", "max-tasks",
        "concurrency", "budget-usd", "python-version", "working-directory", "config-file",
        "wait",
    ]
    assert data["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert data["inputs"]["mode"]["default"] == "comment"
    assert data["inputs"]["wait"]["default"] == "true"
    assert list(data["outputs"]) == [*OUTPUTS, "run-id"]
    assert data["outputs"]["run-id"]["value"] == "${{ steps.run.outputs.run-id }}"


def test_the_collect_action_publishes_with_the_same_outputs() -> None:
    data = action(COLLECT)
    assert list(data["inputs"]) == ["run-id", "timeout", "github-token", "working-directory"]
    assert list(data["outputs"]) == OUTPUTS
    assert all(v["value"] == f"${{{{ steps.collect.outputs.{k} }}}}"
               for k, v in data["outputs"].items())
    collect = step(COLLECT, "collect")
    assert collect["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    assert collect["working-directory"] == "${{ inputs.working-directory }}"
    upload = next(s for s in data["runs"]["steps"]
                  if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"


@pytest.mark.parametrize("path", [ACTION, COLLECT, SANDBOX], ids=["action", "collect", "sandbox"])
def test_inputs_reach_scripts_only_through_env(path: Path) -> None:
    for s in action(path)["runs"]["steps"]:
        if "run" in s:
            assert "${{" not in s["run"], s["name"]


def test_the_key_and_token_reach_the_run_step() -> None:
    steps = action()["runs"]["steps"]
    run = next(s for s in steps if s.get("id") == "run")
    assert run["env"]["OPENROUTER_API_KEY"] == "${{ inputs.openrouter-api-key }}"
    assert run["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    assert "tta-ci\" \"${args[@]}\"" in run["run"]


def test_key_masked_first_and_artifact_uploaded() -> None:
    steps = action()["runs"]["steps"]
    assert "::add-mask::$TTA_KEY" in steps[0]["run"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    caches = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    cache_paths = [s["with"]["path"] for s in caches]
    assert any(p.endswith(".tta-ci/cache") for p in cache_paths)
    assert "${{ steps.env.outputs.venv }}" in cache_paths  # the venv (see action-env.sh)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always() && inputs.wait != 'false'"  # with wait false: collect's
    assert re.search(r"metrics\.json\n.*summary\.md", upload["with"]["path"])


def test_both_actions_find_one_environment_through_one_script() -> None:
    for path, root in ((ACTION, "${{ github.action_path }}"),
                       (COLLECT, "${{ github.action_path }}/..")):
        steps = action(path)["runs"]["steps"]
        scripts = [s for s in steps if "action-env.sh" in s.get("run", "")]
        assert [s["run"].split()[-1] for s in scripts] == ["locate", "install"]
        assert all(s["env"]["TTA_ACTION_ROOT"] == root for s in scripts)
    cache = next(s for s in action()["runs"]["steps"] if s.get("id") == "venv-cache")
    assert cache["with"] == {"path": "${{ steps.env.outputs.venv }}",
                             "key": "${{ steps.env.outputs.key }}"}
    # the venv sees the project's installed dependencies, which the generated tests import
    assert '-m venv --system-site-packages "$TTA_VENV"' in ENV_SCRIPT.read_text()


def _locate(tmp_path: Path, root: Path) -> dict[str, str]:
    out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}"
    env = {**os.environ, "GITHUB_OUTPUT": str(out), "RUNNER_TEMP": str(tmp_path),
           "RUNNER_OS": "Linux", "TTA_ACTION_ROOT": str(root)}
    subprocess.run(["bash", str(ENV_SCRIPT), "locate"], env=env, check=True, timeout=60)
    return dict(line.split("=", 1) for line in out.read_text().splitlines())


def test_locate_gives_start_and_collect_the_same_venv_and_key(tmp_path: Path) -> None:
    main = _locate(tmp_path, ROOT)
    collect = _locate(tmp_path, ROOT / "collect" / "..")
    assert main == collect
    assert main["venv"] == str(tmp_path / "tta-ci-venv")
    assert re.fullmatch(r"tta-ci-venv-Linux-3\.\d+\.\d+-[0-9a-f]{32}", main["key"])


def _run_step(path: Path, step_id: str, tmp_path: Path, **inputs: str) -> list[str]:
    """Run a step's script with a stand-in tta-ci that prints its arguments."""
    fake = tmp_path / "venv" / "bin" / "tta-ci"
    fake.parent.mkdir(parents=True, exist_ok=True)
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": os.environ["PATH"], "TTA_VENV": str(tmp_path / "venv"), **inputs}
    out = subprocess.run(["bash", "-c", step(path, step_id)["run"]], env=env, check=True,
                         capture_output=True, text=True, timeout=60)
    return out.stdout.splitlines()


def test_wait_false_starts_and_the_collect_step_collects(tmp_path: Path) -> None:
    inputs = {"INPUT_MODE": "comment", "INPUT_BACKEND": "auto", "OPENROUTER_API_KEY": ""}
    assert _run_step(ACTION, "run", tmp_path, INPUT_WAIT="true", **inputs)[0] == "run"
    started = _run_step(ACTION, "run", tmp_path, INPUT_WAIT="false", INPUT_MAX_TASKS="5",
                        **inputs)
    assert started == ["start", "--output-dir", ".tta-ci/out", "--mode", "comment",
                       "--backend", "auto", "--max-tasks", "5"]
    assert _run_step(COLLECT, "collect", tmp_path, INPUT_RUN_ID="20260101T000000-abc123",
                     INPUT_TIMEOUT="600") == [
        "collect", "--output-dir", ".tta-ci/out", "20260101T000000-abc123", "--timeout", "600"]
    assert _run_step(COLLECT, "collect", tmp_path) == ["collect", "--output-dir", ".tta-ci/out"]
