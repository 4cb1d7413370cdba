"""action.yml: its schema, its inputs and outputs, and how they reach the scripts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from support import ROOT

ACTION = ROOT / "action.yml"


def action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text())
    assert isinstance(data, dict)
    return data


def test_schema() -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    out = subprocess.run([str(checker), "--builtin-schema", "vendor.github-actions", str(ACTION)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_inputs_and_outputs_are_the_contract() -> None:
    data = action()
    assert list(data["inputs"]) == [
        "openrouter-api-key", "github-token", "backend", "model", "mode", "max-tasks",
        "concurrency", "budget-usd", "python-version", "working-directory", "config-file",
    ]
    assert data["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert data["inputs"]["mode"]["default"] == "comment"
    assert list(data["outputs"]) == [
        "accepted", "rejected", "possible-bugs", "cost-usd", "summary-path", "metrics-path",
    ]


def test_inputs_reach_scripts_only_through_env() -> None:
    steps = action()["runs"]["steps"]
    for step in steps:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
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
    assert any("tta-ci-venv" in p for p in cache_paths)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert re.search(r"metrics\.json\n.*summary\.md", upload["with"]["path"])


def test_install_uses_the_actions_own_path() -> None:
    install = next(s for s in action()["runs"]["steps"] if s.get("name") == "Install tta-ci")
    assert install["env"]["TTA_ACTION_PATH"] == "${{ github.action_path }}"
    # the venv sees the project's installed dependencies, which the generated tests import
    assert '-m venv --system-site-packages "$TTA_VENV"' in install["run"]
