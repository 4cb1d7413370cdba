"""tta_ci.core.progress: stages and notes reach the reporter of their context, for their task."""

from __future__ import annotations

import asyncio
import io

from support.imports import loaded_after

from tta_ci.core import progress


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str | None, str]] = []

    def stage(self, task_id: str | None, text: str) -> None:
        self.events.append(("stage", task_id, text))

    def note(self, text: str) -> None:
        self.events.append(("note", None, text))

    def expect(self, total: int) -> None:
        self.events.append(("expect", None, str(total)))


def test_without_a_reporter_nothing_happens() -> None:
    progress.stage("validating 1/3")
    progress.note("planned 1 task")
    progress.expect(1)
    assert progress.current_task() is None


def test_stages_belong_to_the_task_around_them() -> None:
    recorder = Recorder()
    with progress.reporting(recorder):
        progress.expect(2)
        progress.note("planned 2 tasks")
        with progress.task("a.py::f"):
            progress.stage("generating")
            with progress.task("a.py::g"):
                progress.stage("mutants 1/8")
            progress.stage("validating 1/3")
        progress.stage("outside any task")
    progress.stage("nobody listens")
    assert recorder.events == [
        ("expect", None, "2"),
        ("note", None, "planned 2 tasks"),
        ("stage", "a.py::f", "generating"),
        ("stage", "a.py::g", "mutants 1/8"),
        ("stage", "a.py::f", "validating 1/3"),
        ("stage", None, "outside any task"),
    ]


def test_asyncio_tasks_and_threads_keep_their_own_task() -> None:
    recorder = Recorder()

    async def work(name: str) -> None:
        with progress.task(name):
            await asyncio.sleep(0)  # the other task runs in between
            progress.stage("generating")
            await asyncio.to_thread(progress.stage, "in a worker thread")

    async def main() -> None:
        await asyncio.gather(work("a.py::f"), work("b.py::g"))

    with progress.reporting(recorder):
        asyncio.run(main())
    by_task: dict[str | None, list[str]] = {}
    for _, task_id, text in recorder.events:
        by_task.setdefault(task_id, []).append(text)
    assert by_task == {"a.py::f": ["generating", "in a worker thread"],
                       "b.py::g": ["generating", "in a worker thread"]}


def test_announce_is_one_flushed_line() -> None:
    stream = io.StringIO()
    progress.announce("planning main..HEAD", stream)
    assert stream.getvalue() == "tta-ci: planning main..HEAD\n"


def test_the_module_imports_nothing_heavy() -> None:
    assert loaded_after("import tta_ci.core.progress") == set()
