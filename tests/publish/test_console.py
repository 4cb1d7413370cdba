"""tta_ci.publish.console: the progress lines, the final table, and the output folder."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from support.publish_data import bug_task, document, task

from tta_ci.core import progress as report
from tta_ci.core.config import Config, load_config
from tta_ci.core.errors import ConfigError
from tta_ci.core.types import Task, TaskStatus
from tta_ci.engine import TaskResult
from tta_ci.publish.console import Progress, checked_output_dir, output_dir, print_table

TASK = Task(id="calc.py::add", file="calc.py", symbol="add", kind="function",
            changed_lines=(2,), test_file="tests/test_calc.py")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def result(outcome: str, reason: str = "") -> TaskResult:
    status = TaskStatus.COMPLETED if outcome in ("accepted", "rejected") else TaskStatus.FAILED
    return TaskResult(task_id="q1", status=status, outcome=outcome, reason=reason, task=TASK,
                      attempts=2, started_s=1.0, finished_s=3.5)  # type: ignore[arg-type]


def test_one_line_per_task_in_a_log() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress(result("accepted", "accepted"), 1, 2)
    progress(result("rejected", "assertion failed"), 2, 2)
    assert stream.getvalue().splitlines() == [
        "tta-ci: [1/2] ✔ accepted     calc.py::add  (2 attempt(s), 2.5s)",
        "tta-ci: [2/2] ✘ rejected     calc.py::add  (2 attempt(s), 2.5s): assertion failed",
    ]


def test_a_bar_on_a_terminal_until_the_last_task() -> None:
    stream = Terminal()
    progress = Progress(stream)
    progress.expect(4)
    assert stream.getvalue() == "\r\033[K[....................] 0/4"
    progress(result("failed", "timeout").model_copy(update={"task": None}), 1, 4)
    first = stream.getvalue()
    assert "\r\033[Ktta-ci: [1/4] ✘ failed       q1" in first
    assert first.endswith(": timeout\n\r\033[K[#####...............] 1/4")
    progress(result("accepted"), 4, 4)
    assert stream.getvalue().endswith("(2 attempt(s), 2.5s)\n")


def test_cached_tasks_say_so_instead_of_counting_attempts() -> None:
    stream = io.StringIO()
    Progress(stream)(result("accepted").model_copy(update={"cached": True, "attempts": 0}), 1, 1)
    assert stream.getvalue() == "tta-ci: [1/1] ✔ accepted     calc.py::add  (cached, 2.5s)\n"


def test_stages_are_plain_lines_in_a_log() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    with progress.live():
        report.note("planned 2 tasks, 0 skipped (abc..def)")
        with report.task("calc.py::add"):
            report.stage("validating 2/3")
        report.stage("mutants 4/8")  # outside a task: `tta-ci validate`
    report.stage("after the run")  # nobody listens any more
    assert stream.getvalue().splitlines() == [
        "tta-ci: planned 2 tasks, 0 skipped (abc..def)",
        "tta-ci: calc.py::add: validating 2/3",
        "tta-ci: mutants 4/8",
    ]


def test_stages_share_one_status_line_on_a_terminal() -> None:
    stream = Terminal()
    progress = Progress(stream, width=60)
    with progress.live():
        progress.expect(2)
        with report.task("calc.py::add"):
            report.stage("generating")
            report.stage("validating 1/3")
        with report.task("calc.py::sub"):
            report.stage("mutants 4/8")
        status = stream.getvalue().rsplit("\r\033[K", 1)[1]
        assert status.startswith("[....................] 0/2 · calc.py::add: validating 1/3")
        assert len(status) == 59 and status.endswith("…")  # cut to the terminal's width
        report.note("a line of its own")
        assert "\r\033[Ktta-ci: a line of its own\n" in stream.getvalue()
        assert "\n" not in stream.getvalue().rsplit("tta-ci: a line of its own\n", 1)[1]
        progress(result("accepted"), 1, 2)  # a finished task leaves the status line
        assert "calc.py::add:" not in stream.getvalue().rsplit("\r\033[K", 1)[1]
    assert stream.getvalue().endswith("\r\033[K")  # the status line is cleared at the end


def test_tasks_in_asyncio_report_their_own_stages() -> None:
    import asyncio

    async def one(name: str) -> None:
        with report.task(name):
            await asyncio.sleep(0)
            report.stage("generating")
            await asyncio.to_thread(report.stage, "in a thread")

    async def both() -> None:
        await asyncio.gather(one("a.py::f"), one("b.py::g"))

    stream = io.StringIO()
    with Progress(stream).live():
        asyncio.run(both())
    assert sorted(stream.getvalue().splitlines()) == [
        "tta-ci: a.py::f: generating", "tta-ci: a.py::f: in a thread",
        "tta-ci: b.py::g: generating", "tta-ci: b.py::g: in a thread",
    ]


def test_table_and_totals() -> None:
    stream = io.StringIO()
    print_table(document([task(), bug_task()]), stream)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "✔ accepted     calc.py::add  1 test(s) → tests/test_calc.py"
    assert lines[1] == "! possible_bug calc.py::div  fails the same way every run"
    assert lines[2] == ("2 task(s): 1 accepted, 0 rejected, 1 possible bug(s), 0 skipped, "
                        "0 failed; 0 LLM request(s), $0.0002, 12.5s "
                        "[backend openrouter, isolation bwrap]")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param({}, "REPO/.tta-ci/out", id="default-under-the-repo"),
        pytest.param({"output_dir": "out"}, "out", id="flag-relative-to-the-cwd"),
        pytest.param({"output_dir": "/abs/out"}, "/abs/out", id="absolute"),
    ],
)
def test_output_dir(tmp_path: Path, flags: dict[str, str], expected: str) -> None:
    config = load_config(tmp_path, {}, flags)
    assert output_dir(config, tmp_path) == Path(expected.replace("REPO", str(tmp_path)))


def test_output_dir_from_the_file_is_under_the_repo(tmp_path: Path) -> None:
    (tmp_path / ".tta-ci.toml").write_text("output_dir = 'build/tta'\n")
    assert output_dir(load_config(tmp_path, {}), tmp_path) == tmp_path / "build/tta"
    assert output_dir(Config(output_dir="x"), tmp_path) == tmp_path / "x"


def test_the_table_says_when_the_weak_sandbox_ran() -> None:
    stream = io.StringIO()
    print_table(document(isolation="fallback"), stream)
    assert stream.getvalue().splitlines()[-1].startswith(
        '⚠️  weak sandbox: the configuration chose sandbox = "fallback"')
    plain = io.StringIO()
    print_table(document(), plain)
    assert "weak sandbox" not in plain.getvalue()


def test_the_output_dir_is_checked_writable(tmp_path: Path) -> None:
    config = load_config(tmp_path, {}, {"output_dir": str(tmp_path / "new" / "out")})
    assert checked_output_dir(config, tmp_path).is_dir()
    (tmp_path / "file").write_text("x")
    bad = load_config(tmp_path, {}, {"output_dir": str(tmp_path / "file")})
    with pytest.raises(ConfigError, match=r"^--output-dir .*/file: not a writable folder"):
        checked_output_dir(bad, tmp_path)


def test_table_names_what_the_plan_dropped_and_marks_cached_tasks() -> None:
    stream = io.StringIO()
    doc = document([task(cached=True),
                    task("skipped", id="calc.py::untyped", symbol="untyped", reason="no offline")],
                   skipped=[{"file": "calc.py", "symbol": "untyped", "backend": "offline",
                             "reason": "no offline"},
                            {"file": "calc.py", "symbol": "mul", "reason": "over max_tasks (2)"},
                            {"file": "README.md", "reason": "not python"}])
    print_table(doc, stream)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("1 test(s) → tests/test_calc.py (cached)")
    assert lines[1] == "- skipped      calc.py::untyped  no offline"
    assert lines[2] == "- skipped      calc.py::mul      over max_tasks (2)"
    assert "; 2 skipped when planning;" in lines[3]
