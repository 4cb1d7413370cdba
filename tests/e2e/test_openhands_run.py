"""``tta-ci run --backend openhands`` end to end against the scripted agent: the accepted test is
written, and the agent never reads the key from /proc."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.agent_script import (
    CALC,
    KEY,
    TEST_CODE,
    TOKEN,
    Agenda,
    create,
    finish,
    shell,
)
from support.gitrepo import CommitFn
from support.llm_server import LLMServer

from tta_ci.cli.main import main
from tta_ci.generators.openhands.generator import sdk_available
from tta_ci.sandbox.isolation import bwrap_works

needs_sdk = pytest.mark.skipif(
    not sdk_available(), reason="needs the openhands extra (openhands-sdk, Python >= 3.12)"
)
pytestmark = pytest.mark.openhands


# Looks for the key (never written whole: the command is echoed back) in the terminal's parent's
# environment and in every /proc/<pid>/environ the terminal can see. The control: a process the
# probe starts with PROBE_MARKER in its environment must be found by the same scan.
PROC_PROBE = (
    'env PROBE_MARKER=visible-marker-42 sleep 60 & M=$!; '
    'K=sk-or-v1-test-; K="${K}secret-0123456789"; '
    'grep -qaF "$K" /proc/$PPID/environ && echo "leak""ed-parent"; '
    'echo "parent""-vars-$(tr "\\0" "\\n" < /proc/$PPID/environ | grep -c =)"; '
    'for f in /proc/[0-9]*/environ; do '
    'grep -qaF "$K" "$f" 2>/dev/null && echo "leak""ed-$f"; '
    'grep -qaF visible-marker-42 "$f" 2>/dev/null && echo "mark""er-$f"; done; '
    'echo "pro""cs-$(ls -d /proc/[0-9]* | wc -l)-seen"; kill $M'
)


@needs_sdk
@pytest.mark.slow
@pytest.mark.parametrize("sandbox", ["auto", "fallback"])
def test_openhands_agent_cannot_read_the_key_from_proc(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, sandbox: str
) -> None:
    """As in CI: the key is in the environment tta-ci starts with."""
    base = commit({"calc.py": "def add(a, b):\n    return a + b\n"}, "base")
    commit({"calc.py": CALC}, "change")
    agenda = Agenda([shell(PROC_PROBE), create, finish])
    llm_server.respond = agenda
    environ = {"OPENROUTER_API_KEY": KEY, "GITHUB_TOKEN": TOKEN, "TTA_MODEL": "test/model",
               "TTA_LLM_BASE_URL": llm_server.url, "PATH": os.environ["PATH"],
               "TTA_SANDBOX": sandbox}
    done = subprocess.run(
        [sys.executable, "-m", "tta_ci", "run", "--backend", "openhands", "--repo",
         str(git_repo), "--base", base, "--mode", "none", "--json"],
        env=environ, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    output = "\n".join(agenda.tool_outputs)
    assert re.search(r"parent-vars-[1-9]", output), output  # the parent's environ was read
    assert "marker-/proc/" in output, output  # the scan finds what is there
    assert llm_server.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"
    isolation = json.loads(done.stdout)["isolation"]
    if sandbox == "auto" and bwrap_works():
        assert "leaked-" not in output, output
        procs = int(re.search(r"procs-(\d+)-seen", output)[1])  # type: ignore[index]
        assert procs < 20  # only the sandbox's own processes
    else:  # the tta-ci process itself is readable without a PID namespace; its worker is not
        assert "leaked-parent" not in output, output
    assert isolation == ("bwrap" if sandbox == "auto" and bwrap_works() else "fallback")


@needs_sdk
@pytest.mark.slow
def test_openhands_run_command_accepts_the_agents_tests(
    git_repo: Path, commit: CommitFn, llm_server: LLMServer, capsys: pytest.CaptureFixture[str],
) -> None:
    base = commit({"calc.py": "def add(a, b):\n    return a + b\n"}, "base")
    commit({"calc.py": CALC}, "change")
    llm_server.respond = Agenda([create, finish])
    environ = {"OPENROUTER_API_KEY": KEY, "TTA_LLM_BASE_URL": llm_server.url,
               "TTA_MODEL": "test/model", "PATH": os.environ["PATH"]}
    code = main(["run", "--backend", "openhands", "--repo", str(git_repo), "--base", base,
                 "--mode", "files", "--json"], environ=environ)
    assert code == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    [record] = doc["tasks"]
    assert (record["status"], record["generator"], record["model"]) == (
        "accepted", "openhands", "test/model")
    assert doc["totals"]["cost_usd"] == pytest.approx(0.002)
    assert any("openhands agent: status finished, 2 iterations" in n for n in record["notes"])
    written = (git_repo / "tests" / "test_calc.py").read_text()
    assert "generator: openhands" in written and TEST_CODE.split("\n\n\n", 1)[1] in written
