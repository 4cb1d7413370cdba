"""tta_ci.run.pipeline: plan → engine → metrics document, with fake generator and validator
on real repositories; the target filter on its own."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from support.gitrepo import CommitFn, git

from tta_ci.core import scratch
from tta_ci.core.config import Config
from tta_ci.core.types import PlanResult, Skip, Task
from tta_ci.engine.fake import FakeGenerator, FakeValidator
from tta_ci.run.pipeline import filter_targets, run_pipeline, run_tasks

CALC = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"


def task(path: str, symbol: str) -> Task:
    return Task(id=f"{path}::{symbol}", file=path, symbol=symbol, kind="function",
                changed_lines=(1,), test_file="tests/test_x.py")


PLAN = PlanResult(tasks=(task("calc.py", "add"), task("calc.py", "Shape.area"),
                         task("pkg/m.py", "f")), skipped=(Skip(file="a.md", reason="not python"),))


@pytest.mark.parametrize(
    ("targets", "ids"),
    [
        pytest.param(["calc.py"], ["calc.py::add", "calc.py::Shape.area"], id="a-file"),
        pytest.param(["./calc.py::add"], ["calc.py::add"], id="a-symbol"),
        pytest.param(["calc.py::Shape"], ["calc.py::Shape.area"], id="a-class-and-its-methods"),
        pytest.param(["pkg/m.py", "calc.py::add", "calc.py::add"], ["pkg/m.py::f", "calc.py::add"],
                     id="several-once-each"),
    ],
)
def test_filter_targets_inside_the_change(targets: list[str], ids: list[str]) -> None:
    def never(path: str, symbol: str | None) -> PlanResult:
        raise AssertionError(f"planned {path} on its own")

    assert [t.id for t in filter_targets(PLAN, targets, never).tasks] == ids


def test_a_target_outside_the_change_is_planned_on_its_own() -> None:
    asked: list[tuple[str, str | None]] = []

    def plan_target(path: str, symbol: str | None) -> PlanResult:
        asked.append((path, symbol))
        return PlanResult(tasks=(task(path, symbol or "<module>"),),
                          skipped=(Skip(file=path, reason="over max_tasks (1)", symbol="g"),))

    result = filter_targets(PLAN, ["other.py::g", "new.py"], plan_target)
    assert asked == [("other.py", "g"), ("new.py", None)]
    assert [t.id for t in result.tasks] == ["other.py::g", "new.py::<module>"]
    assert [s.file for s in result.skipped] == ["a.md", "other.py", "new.py"]


def test_run_tasks_reports_progress_for_every_task() -> None:
    seen: list[tuple[str, int, int]] = []
    results, metrics = asyncio.run(run_tasks(
        PLAN.tasks, Config(), generator=FakeGenerator(),
        validator=FakeValidator(accept=lambda t, code: t.symbol != "f"),
        on_progress=lambda r, done, total: seen.append((r.task_id, done, total))))
    assert sorted(r.outcome for r in results) == ["accepted", "accepted", "rejected"]
    assert [(done, total) for _, done, total in seen] == [(1, 3), (2, 3), (3, 3)]
    assert metrics.document().totals.tasks == 3


def test_a_change_planned_run_and_documented(git_repo: Path, commit: CommitFn) -> None:
    base = commit({"calc.py": CALC, "README.md": "# calc\n"})
    head = commit({"calc.py": CALC.replace("a + b", "b + a").replace("a - b", "b - a"),
                   "README.md": "# calc!\n"})
    config = Config(mode="files", cache=False, sandbox="fallback")
    outcome = asyncio.run(run_pipeline(git_repo, config, {}, base=base, head=head,
                                       generator=FakeGenerator(), validator=FakeValidator()))
    doc = outcome.document
    assert sorted(t.id for t in outcome.plan.tasks) == ["calc.py::add", "calc.py::sub"]
    assert (doc.base, doc.head, doc.mode, doc.backend, doc.isolation) == (
        base, head, "files", "fake", "fallback")
    assert doc.backend_reason == "backend auto: OPENROUTER_API_KEY is not set, so no LLM is used"
    assert doc.skipped == [{"file": "README.md", "reason": "not python"}]
    assert doc.totals.accepted == 2 and len(outcome.results) == 2
    assert not (git_repo / ".tta-ci").exists()  # the cache is off


def test_targets_and_a_shard_narrow_the_plan(git_repo: Path, commit: CommitFn) -> None:
    base = commit({"calc.py": CALC})
    head = commit({"calc.py": CALC.replace("a + b", "b + a").replace("a - b", "b - a")})
    config = Config(cache=False, sandbox="fallback")

    def run(**kw: object) -> list[str]:
        outcome = asyncio.run(run_pipeline(git_repo, config, {}, base=base, head=head,
                                           generator=FakeGenerator(),
                                           validator=FakeValidator(), **kw))  # type: ignore[arg-type]
        return sorted(t.id for t in outcome.document.tasks)

    assert run(targets=["calc.py::sub"]) == ["calc.py::sub"]
    halves = run(shard="1/2") + run(shard="2/2")
    assert sorted(halves) == ["calc.py::add", "calc.py::sub"]


def test_the_cache_folder_is_under_the_repository(git_repo: Path, commit: CommitFn) -> None:
    base = commit({"calc.py": CALC})
    head = commit({"calc.py": CALC.replace("a + b", "b + a")})
    config = Config(sandbox="fallback", cache_dir=".cache/tta")
    gen = FakeGenerator()
    for _ in range(2):
        asyncio.run(run_pipeline(git_repo, config, {}, base=base, head=head, generator=gen,
                                 validator=FakeValidator()))
    assert len(gen.calls) == 1  # the second run was answered from the cache
    assert any((git_repo / ".cache/tta").rglob("*.json"))


def test_a_start_cleans_what_a_killed_run_left(git_repo: Path, commit: CommitFn,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    base = commit({"calc.py": CALC})
    head = commit({"calc.py": CALC.replace("a + b", "b + a")})
    temp = tmp_path / "tmp"
    stale = temp / "tta-ci-killed"
    (stale / "commit-x").mkdir(parents=True)
    (stale / scratch.OWNER_FILE).write_text("999999999 1\n")  # no such process
    worktree = stale / "commit-x" / "repo"
    git(git_repo, "worktree", "add", "--detach", "--quiet", str(worktree), base)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    config = Config(mode="none", cache=False, sandbox="fallback")
    asyncio.run(run_pipeline(git_repo, config, {}, base=base, head=head,
                             generator=FakeGenerator(), validator=FakeValidator()))
    assert not stale.exists()
    assert str(worktree) not in git(git_repo, "worktree", "list")


MIXED = ("def typed(a: int) -> int:\n    return a\n\n\nasync def waits(a):\n    return a\n\n\n"
         "def other(b: int) -> int:\n    return b\n\n\ndef last(c: int) -> int:\n    return c\n")


class Notes:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, text: str) -> None:
        self.lines.append(text)

    def stage(self, task_id: str | None, text: str) -> None:
        self.lines.append(f"{task_id}: {text}")

    def expect(self, total: int) -> None:
        self.lines.append(f"expect {total}")


def _mixed_run(git_repo: Path, commit: CommitFn, **kw: object) -> tuple[object, Notes,
                                                                           FakeGenerator]:
    from tta_ci.core import progress

    base = commit({"mixed.py": MIXED.replace("return", "return 0 +")})
    head = commit({"mixed.py": MIXED})
    gen = FakeGenerator(name="offline")  # the offline backend's plan-time check applies
    notes = Notes()
    with progress.reporting(notes):
        outcome = asyncio.run(run_pipeline(
            git_repo, Config(cache=False, sandbox="fallback", max_tasks=2), {}, base=base,
            head=head, generator=gen, validator=FakeValidator(), **kw))  # type: ignore[arg-type]
    return outcome, notes, gen


def test_the_backends_skips_are_not_queued_and_are_recorded(
    git_repo: Path, commit: CommitFn
) -> None:
    outcome, notes, gen = _mixed_run(git_repo, commit)
    doc = outcome.document  # type: ignore[attr-defined]
    assert sorted(task_id for task_id, _ in gen.calls) == ["mixed.py::other", "mixed.py::typed"]
    by_id = {t.id: t for t in doc.tasks}
    assert by_id["mixed.py::waits"].status == "skipped"
    assert by_id["mixed.py::waits"].reason.startswith("no offline strategy: waits is async")
    assert doc.totals.skipped == 1 and doc.totals.accepted == 2
    # the run's skips are exactly what `tta-ci plan` lists: the backend's, then the cap's
    assert doc.skipped == [
        {"file": "mixed.py", "symbol": "waits", "backend": "offline",
         "reason": by_id["mixed.py::waits"].reason},
        {"file": "mixed.py", "symbol": "last", "reason": "over max_tasks (2)"},
    ]
    assert notes.lines[:3] == [
        notes.lines[0],
        "skipped mixed.py::waits (offline backend): " + by_id["mixed.py::waits"].reason,
        "skipped mixed.py::last: over max_tasks (2)",
    ]
    assert notes.lines[0].startswith("planned 2 tasks, 2 skipped (")
    assert "running 2 task(s) with the offline backend, 2 at a time" in notes.lines
    assert "expect 2" in notes.lines
    assert "mixed.py::typed: generating" in notes.lines
    assert "mixed.py::typed: validating" in notes.lines


def test_a_skipped_task_is_recorded_by_one_shard_only(git_repo: Path, commit: CommitFn) -> None:
    from tta_ci.core.report import merge_documents

    base = commit({"mixed.py": MIXED.replace("return", "return 0 +")})
    head = commit({"mixed.py": MIXED})
    docs = [asyncio.run(run_pipeline(
        git_repo, Config(cache=False, sandbox="fallback"), {}, base=base, head=head,
        shard=f"{i}/2", generator=FakeGenerator(name="offline"),
        validator=FakeValidator())).document for i in (1, 2)]
    merged = merge_documents(docs)
    assert sorted(t.id for t in merged.tasks) == [
        "mixed.py::last", "mixed.py::other", "mixed.py::typed", "mixed.py::waits"]
    assert merged.totals.skipped == 1 and len(merged.skipped) == 1


def test_many_skips_are_named_up_to_a_limit() -> None:
    from tta_ci.core import progress
    from tta_ci.run.pipeline import report_plan

    skips = (*(Skip(file=f"f{i}.txt", reason="not python") for i in range(3)),
             Skip(file="a.py", reason="over max_tasks (1)", symbol="g"))
    notes = Notes()
    with progress.reporting(notes):
        report_plan(PlanResult(skipped=skips, base="a" * 40, head="b" * 40), limit=2)
    assert notes.lines == ["planned 0 tasks, 4 skipped (aaaaaaa..bbbbbbb)",
                           "skipped a.py::g: over max_tasks (1)", "skipped f0.txt: not python",
                           "… 2 more skipped: see summary.md"]


def test_interpreters_are_started_early_only_for_tasks_the_cache_cannot_answer(
        tmp_path: Path) -> None:
    from tta_ci.core.types import Verdict
    from tta_ci.engine.cache import CacheEntry, ResultCache, cache_key
    from tta_ci.run.pipeline import _uncached

    cached, fresh = task("a.py", "f"), task("a.py", "g")
    cache = ResultCache(tmp_path / "cache")
    key = cache_key(cached, "offline", None, cache.version)
    cache.put(CacheEntry(key=key, task_id=cached.id, task_hash=cached.hash, generator="offline",
                         outcome="rejected", reason="failed",
                         verdict=Verdict(accepted=False, reason="failed")))
    assert _uncached([cached, fresh], cache, "offline", None) == [fresh]
    assert _uncached([cached, fresh], None, "offline", None) == [cached, fresh]
