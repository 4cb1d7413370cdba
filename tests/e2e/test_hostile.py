"""Hostile candidate tests (tests/corpus/hostile: each an honest test plus an attack) validated
on a machine set up as a CI runner has it: secrets in the environment, the job token in the
checkout's ``.git/config`` (as actions/checkout persists it), credentials in
``~/.git-credentials``, a listener on 127.0.0.1 — under ``sandbox = "auto"`` and under
``sandbox = "fallback"``. Whatever the level: no secret in any output or file, no connection, no
write outside the workspace, the checkout byte-for-byte unchanged, no forged verdict and no
hostile payload accepted."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import CORPUS
from support.corpus import make_project
from support.gitrepo import git

from tta_ci.core.secrets import derived_forms
from tta_ci.sandbox.isolation import bwrap_works

pytestmark = pytest.mark.slow

HOSTILE = sorted((CORPUS / "hostile").glob("*.py"))
SECRET = "sk-or-v1-hostile-secret-5a1e0c2f9d"
TOKEN = "ghs_hostileJobToken0123456789abcd"
TARGET = "pkg/calc.py"
LINES = list(range(14, 28))
LEVELS = [pytest.param("auto", marks=pytest.mark.skipif(not bwrap_works(),
                                                         reason="bubblewrap cannot run here")),
          "fallback"]
DRIVER = """
import asyncio, json, sys
from pathlib import Path
from tta_ci.core.config import load_config
from tta_ci.plan.single import task_for_lines
from tta_ci.validate.validator import ResultValidator
import os
repo, level, files = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
config = load_config(repo, os.environ, {"sandbox": level})
task = task_for_lines(repo, config, "pkg/calc.py", list(range(14, 28)))
codes = [Path(f).read_text() for f in files]
verdicts = asyncio.run(ResultValidator(config, repo, environ=os.environ).validate_many(task, codes))
print(json.dumps([v.model_dump(mode="json") for v in verdicts]))
"""


@dataclass
class Machine:
    repo: Path
    home: Path
    outside: Path
    environ: dict[str, str]
    candidates: dict[str, Path]
    connections: list[str]

    def tree(self) -> str:
        """The checkout, ``.git`` included, byte for byte."""
        digest = hashlib.sha256()
        for path in sorted(self.repo.rglob("*")):
            digest.update(str(path.relative_to(self.repo)).encode())
            if path.is_file():
                digest.update(path.read_bytes())
        return digest.hexdigest()


def _listener(found: list[str]) -> int:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def accept() -> None:
        while True:
            conn, _ = server.accept()
            found.append("connection")
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return int(server.getsockname()[1])


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machine]:
    repo, _ = make_project(tmp_path_factory)
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    git(repo, "config", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {basic}")
    home = tmp_path_factory.mktemp("home")
    (home / ".git-credentials").write_text(f"https://x-access-token:{TOKEN}@github.com\n")
    outside = tmp_path_factory.mktemp("outside")
    connections: list[str] = []
    port = _listener(connections)
    marks = {"__PORT__": str(port), "__OUTSIDE_LITERAL__": str(outside / "shell.txt"),
             "__GITCONFIG_CODES__": repr([ord(c) for c in str(repo / ".git" / "config")]),
             "__TOKEN__": TOKEN, "owned.txt": f"owned-{outside.name}.txt"}
    folder = tmp_path_factory.mktemp("hostile")
    candidates = {}
    for path in HOSTILE:
        text = path.read_text()
        for mark, value in marks.items():
            text = text.replace(mark, value)
        (folder / path.name).write_text(text)
        candidates[path.stem] = folder / path.name
    environ = {"PATH": os.environ["PATH"], "HOME": str(home), "OPENROUTER_API_KEY": SECRET,
               "GITHUB_TOKEN": TOKEN, "LANG": "C.UTF-8"}
    yield Machine(repo, home, outside, environ, candidates, connections)


def _forms() -> set[str]:
    return derived_forms(SECRET) | derived_forms(TOKEN)


def _leaks(text: str) -> list[str]:
    return sorted(f for f in _forms() if f in text)


@pytest.fixture(scope="module")
def judged(machine: Machine) -> Iterator[dict[str, Any]]:
    """Per level: the verdicts, the driver's whole output, the checkout before and after."""
    results: dict[str, Any] = {}

    def judge(level: str) -> dict[str, Any]:
        if level not in results:
            before = machine.tree()
            files = [str(p) for p in machine.candidates.values()]
            done = subprocess.run([sys.executable, "-c", DRIVER, str(machine.repo), level, *files],
                                  env=machine.environ, capture_output=True, text=True,
                                  timeout=900, check=False)
            assert done.returncode == 0, done.stderr[-3000:]
            verdicts = dict(zip(machine.candidates, json.loads(done.stdout), strict=True))
            results[level] = {"verdicts": verdicts, "output": done.stdout + done.stderr,
                              "before": before, "after": machine.tree()}
        return results[level]

    yield judge  # type: ignore[misc]


def _expectation(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), path
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("level", LEVELS)
def test_every_hostile_candidate_is_refused_or_pruned_to_its_honest_test(
        machine: Machine, judged: Any, level: str) -> None:
    verdicts = judged(level)["verdicts"]
    for name, path in machine.candidates.items():
        verdict, expect = verdicts[name], _expectation(path)
        if expect.startswith("accepted without: "):
            marker = expect.removeprefix("accepted without: ")
            assert verdict["accepted"], (name, verdict["reason"])
            body = verdict["code"].split("\n", 1)[1]  # past the "# expect" line
            assert marker not in body and "CODES =" not in body, body
            assert verdict["checks"]["recheck"]["ok"], (name, verdict["checks"]["recheck"])
        else:
            reasons = [r.strip() for r in expect.split("|")]
            assert not verdict["accepted"], (name, verdict["code"])
            assert any(verdict["reason"].startswith(r) for r in reasons), (name, verdict["reason"])


@pytest.mark.parametrize("level", LEVELS)
def test_nothing_leaks_connects_or_changes(machine: Machine, judged: Any, level: str) -> None:
    result = judged(level)
    assert _leaks(result["output"]) == []  # verdicts, feedback, code, logs: no secret form
    assert machine.connections == []
    assert list(machine.outside.iterdir()) == []
    assert not list(Path("/tmp").glob(f"owned-{machine.outside.name}.txt"))
    assert result["before"] == result["after"]  # the checkout, .git included, byte for byte
    assert "AUTHORIZATION: basic" in (machine.repo / ".git" / "config").read_text()


def test_the_command_line_verdict_is_redacted(machine: Machine) -> None:
    level = "auto" if bwrap_works() else "fallback"  # the redaction is the same at both
    done = subprocess.run(
        [sys.executable, "-m", "tta_ci", "validate", str(machine.candidates["exfiltrate_encoded"]),
         "--target", f"{TARGET}:14-27", "--repo", str(machine.repo), "--json"],
        env={**machine.environ, "TTA_SANDBOX": level}, capture_output=True, text=True,
        timeout=600, check=False)
    assert done.returncode == 1, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["accepted"] is False and verdict["reason"] in ("failed", "possible bug")
    assert "***" in json.dumps(verdict)  # the smuggled forms arrived, redacted
    assert _leaks(done.stdout + done.stderr) == []
