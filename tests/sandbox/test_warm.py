"""tta_ci.sandbox.warm and the server it starts: a warm run gives what a cold ``python -m
pytest`` gives, mutants switched by ``__code__`` are killed or survive as when written to disk,
budgets count CPU time, nothing a run starts outlives it, and a run cannot answer for the
server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tta_ci.core.errors import SandboxError
from tta_ci.sandbox.commands import PLUGIN, pytest_args, pytest_argv
from tta_ci.sandbox.isolation import bwrap_works, run_sandboxed
from tta_ci.sandbox.warm import BatchJob, Budget, MutantRef, WarmSandbox, WarmSpec
from tta_ci.validate.runner import _events

pytestmark = pytest.mark.slow
ISOLATION = "bwrap" if bwrap_works() else "fallback"

SHOP = '''\
BULK = 10


def price(quantity, unit):
    total = quantity * unit
    if quantity >= BULK:
        total = total * 0.9
    return round(total, 2)


def label(name):
    return name.strip().title()
'''
TESTS = {
    "shop.py": SHOP,
    "test_shop.py": textwrap.dedent('''\
        from hypothesis import given, settings, strategies as st

        from shop import BULK, label, price


        def test_small():
            assert price(2, 5) == 10


        def test_bulk_threshold():
            assert BULK == 10
            assert price(10, 1) == 9


        @settings(max_examples=20, database=None)
        @given(st.text(alphabet="ab ", max_size=5))
        def test_label_idempotent(name):
            assert label(label(name)) == label(name)


        def test_fails():
            assert price(1, 1) == 2
        '''),
}
SPIN = "def test_spin():\n    while True:\n        pass\n"
BURN = textwrap.dedent('''\
    import time


    def test_burns_half_a_second():
        start = time.process_time()
        while time.process_time() - start < 0.5:
            pass
    ''')
ESCAPES = textwrap.dedent('''\
    import os
    import time


    def test_leaves_processes():
        if os.fork() == 0:  # stays in the run's process group
            time.sleep(1000)
            os._exit(0)
        if os.fork() == 0:  # leaves it
            os.setsid()
            if os.fork() == 0:
                time.sleep(1000)
            os._exit(0)
        time.sleep(0.3)
    ''')
FORGE = textwrap.dedent('''\
    import os
    import sys

    FORGED = b'{"id": 1, "event": "done", "returncode": 0, "forged": true}\\n'


    def test_forges_answers():
        reached = []
        for fd in range(0, 64):
            try:
                os.write(fd, FORGED)
                reached.append(fd)
            except OSError:
                pass
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
        for pid in others:  # the server, and the sandbox's init
            for name in ("0", "1", "2", "3", "4", "5", "6"):
                try:
                    fd = os.open(f"/proc/{pid}/fd/{name}", os.O_WRONLY)
                except OSError:
                    continue
                os.write(fd, FORGED)
                who = "server" if int(pid) == os.getppid() else "other"
                reached.append(f"{who}:{pid}:{name}")
        sys.__stdout__.write(FORGED.decode())
        sys.__stdout__.flush()
        assert False, f"wrote to {reached}"
    ''')


def make_workspace(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def plugin_env(ws: Path, ctrl: Path, cover: str | None = None) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "TTA_SANDBOX_REPORT": str(ctrl / "events.jsonl"),
            "TTA_SANDBOX_WRITABLE": str(ctrl), "TTA_SANDBOX_COVDATA": str(ctrl / ".coverage"),
            "TTA_SANDBOX_COVER": str(ws / cover) if cover else "", "PYTHONHASHSEED": "1",
            "TTA_SANDBOX_SEED": "3", "TTA_SANDBOX_TEST_TIMEOUT": "30"}


@contextlib.asynccontextmanager
async def warm(ws: Path, **spec: Any) -> AsyncIterator[WarmSandbox]:
    async with WarmSandbox(WarmSpec(workspace=ws, **{"isolation": ISOLATION, **spec}),
                           dict(os.environ)) as box:
        yield box


async def warm_run(box: WarmSandbox, files: list[str], *, cover: str | None = None,
                   budget: Budget | None = None, mutant: MutantRef | None = None,
                   extra: list[str] | None = None, env: dict[str, str] | None = None
                   ) -> tuple[Any, list[dict[str, Any]], Path]:
    ctrl = box.new_ctrl()
    environ = {**plugin_env(box.spec.workspace, ctrl, cover), **(env or {})}
    args = [*(a.format(ctrl=ctrl) for a in extra or []), *pytest_args(files, plugin=PLUGIN)]
    result = await box.run(args, env=environ, budget=budget or Budget(), mutant=mutant,
                           ctrl=ctrl)
    return result, _events(ctrl / "events.jsonl"), ctrl


async def cold_run(ws: Path, files: list[str], ctrl: Path, *, cover: str | None = None,
                   extra: list[str] | None = None) -> tuple[Any, list[dict[str, Any]]]:
    ctrl.mkdir(parents=True, exist_ok=True)
    argv = pytest_argv(files, plugin=PLUGIN)
    argv[3:3] = [a.format(ctrl=ctrl) for a in extra or []]  # after "python -m pytest"
    result = await run_sandboxed(argv, workdir=ws, environ=plugin_env(ws, ctrl, cover),
                                 timeout_s=120, isolation=ISOLATION, writable=[ctrl])
    return result, _events(ctrl / "events.jsonl")


def outcomes(events: list[dict[str, Any]]) -> dict[str, str]:
    return {e["nodeid"]: e["outcome"] for e in events if e["event"] == "result"}


def contexts(events: list[dict[str, Any]]) -> dict[str, Any]:
    found = [e["contexts"] for e in events if e["event"] == "coverage"]
    assert found, events
    return dict(found[0])


def junit(path: Path) -> list[tuple[str, str, str]]:
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        cases.append((case.get("classname", ""), case.get("name", ""), ",".join(kinds)))
    return sorted(cases)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws", TESTS)


@pytest.mark.parametrize("preload", [(), ("shop",)], ids=["plain", "preloaded"])
async def test_warm_run_gives_what_a_cold_run_gives(shop: Path, tmp_path: Path,
                                                    preload: tuple[str, ...]) -> None:
    async with warm(shop, preload=preload, cover="shop.py" if preload else None) as box:
        result, events, ctrl = await warm_run(
            box, ["test_shop.py"], cover="shop.py", extra=["--junitxml={ctrl}/junit.xml"])
        warm_junit = junit(ctrl / "junit.xml")
    cold, cold_events = await cold_run(shop, ["test_shop.py"], tmp_path / "cold",
                                       cover="shop.py",
                                       extra=["--junitxml={ctrl}/junit.xml"])
    assert result.returncode == cold.returncode == 1
    assert outcomes(events) == outcomes(cold_events)
    assert outcomes(events)["test_shop.py::test_fails"] == "failed"
    assert contexts(events) == contexts(cold_events)  # import-time lines under "" in both
    assert warm_junit == junit(tmp_path / "cold" / "junit.xml")
    assert "1 failed, 3 passed" in result.stdout
    assert result.cpu_s > 0 and not result.timed_out and not result.cpu_exceeded


MUTANTS = [
    SHOP.replace("quantity * unit", "quantity + unit"),  # killed: test_small
    SHOP.replace("total * 0.9", "total * 0.8"),  # killed: test_bulk_threshold
    SHOP.replace("BULK = 10", "BULK = 11"),  # import-time: killed through `from shop import`
    SHOP.replace(".strip().title()", ".title().strip()"),  # survives: the same for a/b/space
    SHOP.replace("round(total, 2)", "round(total, 3)"),  # survives
]


async def test_switched_mutants_die_or_survive_as_mutants_on_disk(shop: Path,
                                                                  tmp_path: Path) -> None:
    files = ["test_shop.py"]
    deselect = ["--deselect", "test_shop.py::test_fails"]
    async with warm(shop, preload=("shop",), cover="shop.py") as box:
        plans = await box.load_mutants("shop", "shop", shop / "shop.py", SHOP, MUTANTS)
        base, _, _ = await warm_run(box, files, extra=deselect)
        warm_codes = [(await warm_run(box, files, extra=deselect,
                                      mutant=MutantRef("shop", k)))[0].returncode
                      for k in range(len(MUTANTS))]
        after, _, _ = await warm_run(box, files, extra=deselect)  # no mutant leaks into it
    assert [p["import_time"] for p in plans] == [False, False, True, False, False]
    cold_codes = []
    for k, source in enumerate(MUTANTS):
        copy = make_workspace(tmp_path / f"m{k}", {**TESTS, "shop.py": source})
        cold_codes.append((await cold_run(copy, files, tmp_path / f"c{k}", extra=deselect))[0]
                          .returncode)
    assert base.returncode == after.returncode == 0
    assert warm_codes == cold_codes == [1, 1, 1, 0, 0]


async def test_a_batch_forks_each_mutant_after_one_collection(shop: Path) -> None:
    looping = SHOP.replace("return round(total, 2)", "while True:\n        pass")
    sources = [*MUTANTS, looping]
    files = ["test_shop.py"]
    wanted = {  # the tests each run selects (test_fails: none of them)
        0: ["test_shop.py::test_small"], 1: ["test_shop.py::test_bulk_threshold"],
        2: ["test_shop.py::test_bulk_threshold"], 3: ["test_shop.py::test_label_idempotent"],
        4: ["test_shop.py::test_small", "test_shop.py::test_bulk_threshold"],
        5: ["test_shop.py::test_small"]}
    async with warm(shop, preload=("shop",), cover="shop.py") as box:
        await box.load_mutants("shop", "shop", shop / "shop.py", SHOP, sources)
        jobs = []
        for k, select in wanted.items():
            ctrl = box.new_ctrl()
            env = {**plugin_env(shop, ctrl), "TTA_SANDBOX_SELECT": "\n".join(select),
                   "TTA_SANDBOX_TEST_TIMEOUT": "0"}
            jobs.append(BatchJob(ctrl, env, Budget(cpu_s=2, wall_s=60), MutantRef("shop", k)))
        results = await box.run_batch(pytest_args(files, plugin=PLUGIN), jobs,
                                      budget=Budget(cpu_s=30, wall_s=60))
        runs = [_events(job.ctrl / "events.jsonl") for job in jobs]
        alone, _, _ = await warm_run(box, files, env={"TTA_SANDBOX_SELECT": "\n".join(
            wanted[0])}, mutant=MutantRef("shop", 0))  # the server still serves runs
    codes = [None if r is None else r.returncode for r in results]
    # the import-time mutant (BULK = 11) is refused: it is switched in before a collection
    assert codes[:5] == [1, 1, None, 0, 0], codes
    assert results[5] is not None and results[5].cpu_exceeded  # that one job, stopped alone
    for k in (0, 1, 3, 4):
        assert sorted(outcomes(runs[k])) == sorted(wanted[k]), runs[k]
        assert [e["event"] for e in runs[k]][:2] == ["collect_start", "collect_end"]
    assert outcomes(runs[0]) == {"test_shop.py::test_small": "failed"}
    assert outcomes(runs[4]) == dict.fromkeys(wanted[4], "passed")
    assert runs[2] == [] and alone.returncode == 1


async def test_a_batch_runs_two_jobs_side_by_side_each_with_its_own_backstop(
        shop: Path) -> None:
    """Three jobs that sleep 1.5 s each and one that sleeps for ever (wall backstop 2 s): two
    in flight at a time, the batch takes less than its jobs' times added up, and only the
    sleeper is stopped."""
    napping = SHOP.replace("    return round(total, 2)",
                           "    __import__('time').sleep(1.5)\n    return round(total, 2)")
    sleeping = SHOP.replace("    return round(total, 2)",
                            "    __import__('time').sleep(1000)\n    return round(total, 2)")
    async with warm(shop, preload=("shop",), cover="shop.py") as box:
        await box.load_mutants("shop", "shop", shop / "shop.py", SHOP, [napping, sleeping])
        jobs = []
        for k, wall in ((0, 60), (1, 2), (0, 60), (0, 60)):
            ctrl = box.new_ctrl()
            env = {**plugin_env(shop, ctrl), "TTA_SANDBOX_SELECT": "test_shop.py::test_small",
                   "TTA_SANDBOX_TEST_TIMEOUT": "0"}
            jobs.append(BatchJob(ctrl, env, Budget(cpu_s=5, wall_s=wall), MutantRef("shop", k)))
        started = time.monotonic()
        results = await box.run_batch(pytest_args(["test_shop.py"], plugin=PLUGIN), jobs,
                                      budget=Budget(cpu_s=30, wall_s=60))
        took = time.monotonic() - started
    assert all(r is not None for r in results)
    assert [r.timed_out for r in results if r is not None] == [False, True, False, False]
    assert [r.returncode for r in results if r is not None] == [0, -9, 0, 0]
    walls = sum(r.wall_s for r in results if r is not None)  # 6.5 s at least
    assert took < walls - 1.5, (took, walls)  # one at a time, it could not be shorter


async def test_a_looping_run_is_stopped_by_its_cpu_budget(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"test_spin.py": SPIN})
    async with warm(ws) as box:
        result, _, _ = await warm_run(
            box, ["test_spin.py"], budget=Budget(cpu_s=1, wall_s=60),
            env={"TTA_SANDBOX_TEST_TIMEOUT": "0"})
    assert result.cpu_exceeded and not result.timed_out
    assert result.returncode in (-24, -9)
    assert 0.7 < result.cpu_s < 3.0
    assert result.sandbox_result().timed_out  # a cold run's result: out of time


async def test_a_sleeping_run_is_stopped_by_the_wall_backstop(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {
        "test_sleep.py": "import time\n\n\ndef test_sleep():\n    time.sleep(1000)\n"})
    async with warm(ws) as box:
        result, _, _ = await warm_run(box, ["test_sleep.py"], budget=Budget(cpu_s=30, wall_s=2),
                                      env={"TTA_SANDBOX_TEST_TIMEOUT": "0"})
    assert result.timed_out and not result.cpu_exceeded and result.returncode == -9
    assert result.cpu_s < 1.5


@contextlib.contextmanager
def both_cores_busy(count: int = 3) -> Iterator[None]:
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(count)]
    try:
        yield
    finally:
        for proc in spinners:
            proc.kill()
            proc.wait()


async def test_under_load_a_test_within_its_cpu_budget_passes(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"test_burn.py": BURN, "test_spin.py": SPIN})
    budget = Budget(test_cpu_s=0.8, test_wall_s=60)
    async with warm(ws) as box:
        with both_cores_busy():
            runs = [await warm_run(box, ["test_burn.py"], budget=budget) for _ in range(3)]
            spin = await warm_run(box, ["test_spin.py"], budget=budget)
    assert [outcomes(events) for _, events, _ in runs] == [
        {"test_burn.py::test_burns_half_a_second": "passed"}] * 3
    assert outcomes(spin[1]) == {"test_spin.py::test_spin": "timeout"}  # the CPU timer fires


async def test_processes_a_run_leaves_are_killed(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"test_escapes.py": ESCAPES})
    async with warm(ws) as box:
        result, events, _ = await warm_run(box, ["test_escapes.py"],
                                           budget=Budget(wall_s=30))
        pong = await box.ping()
    assert result.returncode == 0 and not result.timed_out, result.stderr
    assert result.orphans_killed >= 1  # the setsid escape came back to the server
    assert outcomes(events) == {"test_escapes.py::test_leaves_processes": "passed"}
    server = box.ready["pid"]
    assert [p for p in pong["processes"] if p["ppid"] == server] == []
    assert pong["children"] == 0


async def test_a_run_cannot_forge_the_servers_answer(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"test_forge.py": FORGE})
    async with warm(ws) as box:
        result, events, _ = await warm_run(box, ["test_forge.py"], extra=["-s"])
        again, _, _ = await warm_run(box, ["test_forge.py"], extra=["-s"])
    assert result.returncode == again.returncode == 1  # the real answers, not the forged 0
    assert outcomes(events) == {"test_forge.py::test_forges_answers": "failed"}
    assert '"forged": true' in result.stdout  # the forgery reached only its own stdout file
    assert "'server:" not in result.stdout  # the server's descriptors cannot be opened


async def test_closing_kills_the_server_and_its_runs(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {
        "test_sleep.py": "import time\n\n\ndef test_sleep():\n    time.sleep(1000)\n"})
    box = await WarmSandbox.start(WarmSpec(workspace=ws, isolation=ISOLATION), dict(os.environ))
    assert box._proc is not None
    group = box._proc.pid
    running = asyncio.ensure_future(warm_run(box, ["test_sleep.py"],
                                             budget=Budget(wall_s=300)))
    await asyncio.sleep(1.0)
    await box.close()
    with contextlib.suppress(SandboxError):
        await running
    await asyncio.sleep(0.2)
    assert [pid for pid in _pids() if _pgid(pid) == group] == []
    with pytest.raises(SandboxError, match="not running"):
        await box.ping()


async def test_a_project_that_starts_threads_at_import_is_not_preloaded(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"busy.py": textwrap.dedent('''\
        import threading
        import time
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        ''')})
    with pytest.raises(SandboxError, match="started a thread"):
        async with warm(ws, preload=("busy",)):
            pass


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def test_budget_puts_the_per_test_cpu_clock_in_the_plugins_environment() -> None:
    assert Budget().plugin_env() == {}
    assert Budget(test_cpu_s=2, test_wall_s=40).plugin_env() == {
        "TTA_SANDBOX_TEST_TIMEOUT": "2", "TTA_SANDBOX_TEST_CLOCK": "cpu",
        "TTA_SANDBOX_TEST_WALL": "40"}
    assert Budget(cpu_s=5, wall_s=9).limits()["cpu_s"] == 5



GUARDED_FILES = {
    "test_late.py": textwrap.dedent('''\
        import atexit


        def _late():
            open("late.txt", "w").close()


        atexit.register(_late)


        def test_escape():
            open("escape.txt", "w").close()
        '''),
    "test_clean.py": "def test_ok(tmp_path):\n    (tmp_path / 'x').write_text('1')\n",
}


def guarded_env(ws: Path, files: list[str]) -> dict[str, str]:
    """As the runner sets it: the candidates guarded, nothing writable but the temp folder."""
    return {"TTA_SANDBOX_GUARDED": os.pathsep.join(str(ws / f) for f in files),
            "TTA_SANDBOX_WRITABLE": ""}


def violations(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((e["event"], e.get("nodeid") or e["violation"])
                  for e in events if e.get("violation"))


@pytest.mark.parametrize("isolation", sorted({ISOLATION, "fallback"}))
async def test_a_forked_run_is_guarded_as_a_fresh_one(tmp_path: Path, isolation: str) -> None:
    ws = make_workspace(tmp_path / "ws", GUARDED_FILES)
    files = sorted(GUARDED_FILES)
    async with warm(ws, isolation=isolation) as box:  # the fallback: through its reaper
        result, events, _ = await warm_run(box, files, env=guarded_env(ws, files))
        clean, clean_events, _ = await warm_run(box, ["test_clean.py"],
                                                env=guarded_env(ws, ["test_clean.py"]))
    ctrl = tmp_path / "cold"
    ctrl.mkdir()
    env = {**plugin_env(ws, ctrl), **guarded_env(ws, files)}
    cold = await run_sandboxed(pytest_argv(files, plugin=PLUGIN), workdir=ws, environ=env,
                               timeout_s=120, isolation=isolation, writable=[ctrl])
    cold_events = _events(ctrl / "events.jsonl")
    assert violations(events) == violations(cold_events) == [
        ("exit_violation", "writes outside tmp_path: late.txt"),
        ("result", "test_late.py::test_escape")]
    assert outcomes(events) == outcomes(cold_events)
    assert not (ws / "late.txt").exists() and not (ws / "escape.txt").exists()
    assert result.returncode == cold.returncode
    # the run's own report (warm.json) is written before the guard's exit phase
    assert violations(clean_events) == [] and clean.timing.get("end", 0) > 0
    assert outcomes(clean_events) == {"test_clean.py::test_ok": "passed"}


@pytest.mark.slow
async def test_a_main_runs_in_a_child_only_for_a_module_named_at_start(tmp_path: Path) -> None:
    tool = "import os, sys\ndef main(args):\n    print('args', args, sys.argv[0], os.getcwd())\n" \
           "    return 3\n"
    ws = make_workspace(tmp_path / "ws", {"tool.py": tool, "other.py": tool})
    async with warm(ws, plugins=(), mains=("tool",)) as box:
        done = await box.main("tool", ["x"], env={"PATH": os.environ["PATH"]})
        refused = await box.main("other", ["x"], env={"PATH": os.environ["PATH"]})
    assert done.returncode == 3 and done.stdout.strip() == f"args ['x'] tool {ws}"
    assert refused.returncode != 0 and "other is not a module this server runs" in refused.stderr
