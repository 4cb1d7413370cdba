"""tta_ci.validate.standby and its use by the validator: gate 8's plain interpreter starts
early, sees no candidate code before its go line, and a call that accepts nothing leaves no
process and no folder behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.gitrepo import CommitFn

from tta_ci.core.config import load_config
from tta_ci.core.errors import SandboxError
from tta_ci.core.scratch import scratch_root
from tta_ci.core.types import Verdict
from tta_ci.plan.single import task_for_lines
from tta_ci.sandbox.isolation import bwrap_works
from tta_ci.sandbox.warm import WarmSandbox
from tta_ci.validate.confirm import PlainProcess, PlainServer
from tta_ci.validate.standby import Standbys
from tta_ci.validate.validator import ResultValidator

pytestmark = pytest.mark.slow

ENV = {"PATH": os.defpath}
CALC = "def double(x):\n    return x * 2\n"


def _gone(process: PlainProcess) -> bool:
    proc = process._proc
    assert proc is not None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 0)
        return False
    return proc.returncode is not None


def test_an_unused_interpreter_ends_and_its_folders_go(tmp_path: Path) -> None:
    made: list[Path] = []

    @contextlib.asynccontextmanager
    async def workspace() -> AsyncIterator[Path]:
        ws = tmp_path / f"ws{len(made)}"
        ws.mkdir()
        made.append(ws)
        try:
            yield ws
        finally:
            shutil.rmtree(ws)

    processes: list[PlainProcess] = []

    def make(ws: Path) -> PlainProcess:
        processes.append(PlainProcess(ws, environ=ENV, python_path=(".",),
                                      isolation="fallback", timeout_s=60))
        return processes[-1]

    async def scenario() -> None:
        standbys = Standbys(workspace, make)
        standbys.begin()
        standbys.reserve(2)  # one more, started at once
        await asyncio.sleep(1)
        await standbys.close()

    asyncio.run(scenario())
    assert len(processes) == 2 and all(_gone(p) for p in processes)
    assert all(p.ctrl is not None and not p.ctrl.exists() for p in processes)
    assert made and not any(ws.exists() for ws in made)


def test_a_start_that_fails_raises_on_take_and_leaves_no_folder(tmp_path: Path) -> None:
    ws = tmp_path / "ws"

    @contextlib.asynccontextmanager
    async def workspace() -> AsyncIterator[Path]:
        ws.mkdir()
        try:
            yield ws
        finally:
            shutil.rmtree(ws)

    def make(where: Path) -> PlainProcess:
        return PlainProcess(where, environ=ENV, python_path=(), isolation="nowhere",
                            timeout_s=60)

    async def scenario() -> None:
        standbys = Standbys(workspace, make)
        standbys.begin()
        with pytest.raises(SandboxError, match="unknown isolation"):
            async with standbys.take():
                pass
        await standbys.close()

    asyncio.run(scenario())
    assert not ws.exists()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Each plain interpreter the validator starts: its process, the test files its
    workspace held once it was running, and those it held when its go line was sent."""
    seen: list[dict[str, Any]] = []
    start, run = PlainProcess.start, PlainProcess.run

    async def recorded_start(self: PlainProcess) -> None:
        await start(self)
        seen.append({"process": self, "at_start": _test_files(self.ws)})

    async def recorded_run(self: PlainProcess, *args: Any, **kwargs: Any) -> Any:
        next(s for s in seen if s["process"] is self)["at_go"] = _test_files(self.ws)
        return await run(self, *args, **kwargs)

    monkeypatch.setattr(PlainProcess, "start", recorded_start)
    monkeypatch.setattr(PlainProcess, "run", recorded_run)
    yield seen


def _test_files(ws: Path) -> list[str]:
    return sorted(p.relative_to(ws).as_posix() for p in ws.rglob("test_*.py"))


def _leftovers() -> set[str]:
    return {p.name for p in scratch_root().iterdir()}


GOOD = "from calc import double\n\n\ndef test_neg():\n    assert double(-1) == 0\n"
BAD = GOOD.replace("== 0", "== 5")


def _validate(git_repo: Path, commit: CommitFn, isolation: str, code: str) -> Verdict:
    commit({"calc.py": CALC, "tests/test_calc.py": "from calc import double\n\n\n"
                                                   "def test_two():\n    assert double(1) == 2\n"})
    (git_repo / "calc.py").write_text(CALC.replace(":\n", ":\n    if x < 0:\n        return 0\n"))
    config = load_config(git_repo, {}, {"runs": 1, "sandbox": isolation, "mutation": False})
    task = task_for_lines(git_repo, config, "calc.py", [2, 3])
    validator = ResultValidator(config, git_repo, environ=ENV)
    (verdict,) = asyncio.run(validator.validate_many(task, [code]))
    return verdict


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Each plain server the validator starts (bubblewrap): its sandbox, the test files its
    workspace held once it was running, and those it held at each re-check."""
    seen: list[dict[str, Any]] = []
    start, plain = PlainServer._start, WarmSandbox.plain

    async def recorded_start(self: PlainServer) -> Any:
        ws, box = await start(self)
        seen.append({"box": box, "ws": ws, "at_start": _test_files(ws), "at_go": []})
        return ws, box

    async def recorded_plain(self: WarmSandbox, *args: Any, **kwargs: Any) -> Any:
        record = next(s for s in seen if s["box"] is self)
        record["at_go"].append(_test_files(record["ws"]))
        return await plain(self, *args, **kwargs)

    monkeypatch.setattr(PlainServer, "_start", recorded_start)
    monkeypatch.setattr(WarmSandbox, "plain", recorded_plain)
    yield seen


@pytest.mark.skipif(not bwrap_works(), reason="bubblewrap cannot run here")
@pytest.mark.parametrize(("code", "accepted"), [(GOOD, True), (BAD, False)],
                         ids=["accepted", "rejected"])
def test_the_validator_starts_gate_8_early_and_leaves_nothing(
        git_repo: Path, commit: CommitFn, served: list[dict[str, Any]],
        started: list[dict[str, Any]], code: str, accepted: bool) -> None:
    before = _leftovers()
    verdict = _validate(git_repo, commit, "auto", code)
    assert verdict.accepted is accepted, verdict.to_json()
    assert len(served) == 1 and started == []  # one server, started while the gates ran
    (record,) = served
    assert record["at_start"] == ["tests/test_calc.py"]  # the project's own test only
    if accepted:  # the candidate was written only once the verdict was known
        assert record["at_go"] == [["tests/test_calc.py", "tests/test_calc_tta1.py"]]
        assert verdict.checks["recheck"].ok
    else:
        assert record["at_go"] == []
    box = record["box"]
    assert box._proc is not None and box._proc.returncode is not None  # ended
    assert not record["ws"].exists()
    assert _leftovers() == before


@pytest.mark.parametrize(("code", "accepted"), [(GOOD, True), (BAD, False)],
                         ids=["accepted", "rejected"])
def test_under_the_fallback_gate_8_starts_only_after_the_verdict(
        git_repo: Path, commit: CommitFn, started: list[dict[str, Any]], code: str,
        accepted: bool) -> None:
    """The fallback's sandboxes share a uid: nothing of gate 8 waits while candidates run."""
    before = _leftovers()
    verdict = _validate(git_repo, commit, "fallback", code)
    assert verdict.accepted is accepted, verdict.to_json()
    assert len(started) == accepted
    for record in started:
        assert record["at_start"] == ["tests/test_calc.py"]
        assert record["at_go"] == ["tests/test_calc.py", "tests/test_calc_tta1.py"]
        assert verdict.checks["recheck"].ok
        assert _gone(record["process"]) and not record["process"].ws.exists()
    assert _leftovers() == before
