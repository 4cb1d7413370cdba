"""tta_ci.engine.cache: a second identical run is answered from the result cache."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tta_ci.core.config import Config
from tta_ci.core.types import Task, TaskStatus
from tta_ci.engine import Engine as ExecutionEngine
from tta_ci.engine.cache import ResultCache, cache_key
from tta_ci.engine.fake import FakeGenerator, FakeValidator


def make_task(name: str, digest: str = "h1") -> Task:
    return Task(id=f"pkg/mod.py::{name}", file="pkg/mod.py", symbol=name, kind="function",
                changed_lines=(3,), test_file="tests/test_mod.py", hash=digest)


async def run_once(cache_dir: Path, tasks: list[Task], *, recheck_ok: bool = True,
                   accept: bool = True) -> tuple[FakeGenerator, FakeValidator, list, list[str]]:
    gen = FakeGenerator(code=lambda r: f"def test_{r.task.symbol}():\n    assert f() == 1\n")
    validator = FakeValidator(accept=lambda task, code: accept)
    rechecked: list[str] = []

    async def recheck(task: Task, code: str) -> bool:
        rechecked.append(task.id)
        return recheck_ok

    engine = ExecutionEngine(Config(), generator=gen, validator=validator,
                             cache=ResultCache(cache_dir), recheck=recheck)
    async with engine:
        for task in tasks:
            await engine.submit_task(task)
        results = await engine.wait_all(timeout=5)
    return gen, validator, results, rechecked


async def test_second_identical_run_makes_no_request_and_no_validation(tmp_path: Path) -> None:
    tasks = [make_task("f"), make_task("g")]
    gen1, val1, first, _ = await run_once(tmp_path, tasks)
    assert len(gen1.calls) == 2 and len(val1.seen) == 2
    gen2, val2, second, rechecked = await run_once(tmp_path, tasks)
    assert gen2.calls == []
    assert val2.seen == []
    assert rechecked == ["pkg/mod.py::f", "pkg/mod.py::g"]  # re-run once before use
    assert [r.cached for r in second] == [True, True]
    assert [r.accepted_code for r in second] == [r.accepted_code for r in first]
    assert all(r.status is TaskStatus.COMPLETED and r.outcome == "accepted" for r in second)


async def test_changed_task_hash_misses_the_cache(tmp_path: Path) -> None:
    await run_once(tmp_path, [make_task("f", "h1")])
    gen, _, results, _ = await run_once(tmp_path, [make_task("f", "h2")])
    assert len(gen.calls) == 1
    assert results[0].cached is False


async def test_rejected_outcomes_are_cached_without_recheck(tmp_path: Path) -> None:
    await run_once(tmp_path, [make_task("f")], accept=False)
    gen, _, results, rechecked = await run_once(tmp_path, [make_task("f")], accept=False)
    assert gen.calls == [] and rechecked == []
    assert results[0].outcome == "rejected" and results[0].cached


async def test_a_cached_test_that_no_longer_passes_is_generated_anew(tmp_path: Path) -> None:
    await run_once(tmp_path, [make_task("f")])
    gen, _, results, rechecked = await run_once(tmp_path, [make_task("f")], recheck_ok=False)
    assert rechecked == ["pkg/mod.py::f"]
    assert len(gen.calls) == 1
    assert results[0].cached is False and results[0].outcome == "accepted"


def _entry_path(cache_dir: Path, task: Task) -> Path:
    key = cache_key(task, "fake", None)
    return cache_dir / key[:2] / f"{key}.json"


@pytest.mark.parametrize("damage", ["corrupt", "foreign-version", "wrong-key"])
async def test_corrupt_or_foreign_entries_are_ignored_with_a_warning(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    task = make_task("f")
    await run_once(tmp_path, [task])
    path = _entry_path(tmp_path, task)
    data = json.loads(path.read_text())
    if damage == "corrupt":
        path.write_text("{not json")
    elif damage == "foreign-version":
        path.write_text(json.dumps({**data, "tool_version": "0.0.1"}))
    else:
        path.write_text(json.dumps({**data, "key": "0" * 64}))
    caplog.set_level(logging.WARNING, logger="tta_ci.cache")
    gen, _, results, _ = await run_once(tmp_path, [task])
    assert len(gen.calls) == 1
    assert results[0].cached is False
    assert "ignoring" in caplog.text


async def test_metrics_mark_cached_tasks(tmp_path: Path) -> None:
    await run_once(tmp_path, [make_task("f")])
    gen = FakeGenerator()
    engine = ExecutionEngine(Config(), generator=gen, validator=FakeValidator(),
                             cache=ResultCache(tmp_path))

    async with engine:
        await engine.submit_task(make_task("f"))
        await engine.wait_all(timeout=5)
    doc = engine.metrics.document()
    assert doc.totals.cached == 1
    assert doc.totals.llm_requests == 0
    assert doc.tasks[0].cached is True
