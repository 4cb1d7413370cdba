"""The hook's real work, past its cheap no-op path: generate and write tests, or check.

``generate`` plans the staged change, skips the tasks whose accepted tests an earlier run
already wrote (and the user kept), runs the rest through the pipeline against a snapshot of
the staged content, and writes the accepted tests where ``tta_ci.hook.write`` routes them.
``check`` measures which changed public functions the existing tests run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tta_ci.core import aio
from tta_ci.core.config import Config
from tta_ci.core.types import PlanResult
from tta_ci.engine import TaskResult
from tta_ci.generators import choose_backend, precheck_for
from tta_ci.git.cli import index_snapshot, protected_paths
from tta_ci.hook.check import check_tasks, is_public, render_check
from tta_ci.hook.write import (
    already_written,
    load_written,
    record_written,
    route_tests,
    write_routed,
)
from tta_ci.plan import plan_change
from tta_ci.publish.console import ICONS, output_dir
from tta_ci.publish.files import accepted_tests
from tta_ci.publish.outputs import write_documents
from tta_ci.run.pipeline import run_pipeline

__all__ = ["check", "final_line", "generate"]


def _say(line: str) -> None:
    print(f"tta-ci: {line}", flush=True)


def _plan(repo: Path, config: Config, files: Sequence[str], environ: Mapping[str, str],
          *, check: bool) -> tuple[Config, PlanResult]:
    if check:  # every changed function is checked, not only the first max_tasks
        config = config.model_copy(update={"max_tasks": 10_000})
    precheck = None if check else precheck_for(choose_backend(config, environ)[0])
    return config, plan_change(repo, config, environ, staged=True, paths=files,
                               precheck=precheck)


def _on_result(result: TaskResult, done: int, total: int) -> None:
    label = result.task.id if result.task else result.task_id
    tail = "" if result.outcome == "accepted" or not result.reason else f": {result.reason}"
    cached = " (cached)" if result.cached else ""
    _say(f"{ICONS[result.outcome]} {result.outcome} {label}{cached}{tail}")


def _records_path(repo: Path, config: Config) -> Path | None:
    """Where the hook remembers the tests it wrote (None when the cache is off)."""
    if not config.cache:
        return None
    root = Path(config.cache_dir)
    return (root if root.is_absolute() else repo / root) / "hook-written.json"


def generate(repo: Path, config: Config, files: Sequence[str],
             environ: Mapping[str, str]) -> int:
    """Write validated tests for the staged change of ``files``; 1 when a file was written."""
    config, plan = _plan(repo, config, files, environ, check=False)
    records = _records_path(repo, config)
    present = already_written(repo, load_written(records, plan.tasks) if records else {})
    for task_id, test_file in present.items():
        _say(f"✔ accepted {task_id}: already in {test_file}")
    for skip in plan.skipped:
        if skip.backend:  # a task the backend would not try: say so, as `run` does
            _say(f"{ICONS['skipped']} skipped {skip.describe()}")
    tasks = tuple(t for t in plan.tasks if t.id not in present)
    if not tasks:
        _say(final_line([], sorted(set(present.values())), environ) if present
             else "nothing to test in the staged change")
        return 0
    # validate against exactly what is staged, whatever the working tree holds
    plan = plan.model_copy(update={"tasks": tasks, "head": index_snapshot(repo, environ)})
    outcome = aio.run(run_pipeline(repo, config, environ, plan=plan, on_progress=_on_result))
    routing = route_tests(repo, accepted_tests(outcome.document), protected_paths(repo))
    written = write_routed(repo, routing)
    if records is not None:
        record_written(records, plan.tasks, routing.tests)
    notes = [*routing.notes, *(f"wrote {f}" for f in written)]
    doc = outcome.document.model_copy(update={"mode": "files",
                                              "notes": [*outcome.document.notes, *notes]})
    metrics, _ = write_documents(doc, output_dir(config, repo))
    for note in routing.notes:
        _say(note)
    _say(f"metrics: {metrics}")
    _say(final_line(written, sorted({*routing.present, *present.values()}), environ))
    return 1 if written else 0


def final_line(written: Sequence[str], present: Sequence[str],
                environ: Mapping[str, str]) -> str:
    if written:
        then = " and commit again" if environ.get("PRE_COMMIT") == "1" else ""
        return (f"wrote {len(written)} test file(s); review them, then "
                f"`git add {' '.join(written)}`{then}")
    if present:
        return f"the accepted tests are already in {', '.join(present)}; nothing to add"
    return "no new test accepted; nothing to add"


def check(repo: Path, config: Config, files: Sequence[str], environ: Mapping[str, str]) -> int:
    """List the changed public functions of ``files`` no test runs; 1 when there is one."""
    config, plan = _plan(repo, config, files, environ, check=True)
    if not any(is_public(t) for t in plan.tasks):
        _say("no changed public function to check")
        return 0
    report = aio.run(check_tasks(repo, plan.tasks, config, environ,
                                 ref=index_snapshot(repo, environ)))
    for line in render_check(report):
        _say(line)
    return 1 if report.failed else 0
