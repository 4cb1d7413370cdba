"""``tta-ci hook [FILES…] [--check]``: the pre-commit entry point.

``tta-ci hook`` (hook id ``tta-ci``) plans the staged change limited to FILES (pre-commit
passes the staged file names; without FILES, every staged file), generates tests (offline
unless the configured API key is set), validates them against a snapshot of the staged
content, and writes the accepted ones next to the existing tests. Exit 1 when it wrote a file
(the user reviews it and ``git add``-s it), 0 when nothing needed doing.

``tta-ci hook --check`` (hook id ``tta-ci-check``) generates nothing: it exits 1 listing the
changed public functions that no existing test runs, or when coverage cannot be measured.

The no-op path (``SKIP`` names the hook, no Python file, only test files, only excluded
files) uses ``tta_ci.hook_files`` alone and returns before anything heavy is imported.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tta_ci.hook_files import (
    CHECK_HOOK_ID,
    HOOK_ID,
    maybe_planned,
    python_candidates,
    read_file_rules,
    repo_relative,
    skipped_by_env,
)

if TYPE_CHECKING:
    from tta_ci.config import Config
    from tta_ci.engine import TaskResult
    from tta_ci.models import PlanResult

__all__ = ["hook", "hook_files"]

NOTHING = "nothing to do: no staged Python change outside tests and excluded files"


def _say(line: str) -> None:
    print(f"tta-ci: {line}", flush=True)


def hook_files(args: argparse.Namespace, environ: Mapping[str, str]) -> list[str]:
    """The repository-relative files worth planning; [] when the hook has nothing to do.

    Cheap: file names first, the raw configuration only when some file survives them.
    """
    repo = Path(args.repo)
    files: Sequence[str] = args.files
    if not files:
        from tta_ci.hook_git import staged_names

        files = staged_names(repo)
    if not python_candidates(files):
        return []
    files = repo_relative(python_candidates(files), repo, Path.cwd())
    rules = read_file_rules(repo, environ, getattr(args, "config", None))
    return files if rules is None else maybe_planned(files, rules)


def hook(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    hook_id = CHECK_HOOK_ID if args.check else HOOK_ID
    if skipped_by_env(environ, hook_id):
        _say(f"skipped: SKIP names {hook_id}")
        return 0
    files = hook_files(args, environ)
    if not files:
        _say(NOTHING)
        return 0
    return _check(args, files, environ) if args.check else _generate(args, files, environ)


def _plan(args: argparse.Namespace, files: Sequence[str], environ: Mapping[str, str],
          *, check: bool) -> tuple[Config, PlanResult]:
    from tta_ci.commands._common import config_from_args
    from tta_ci.plan import plan_change

    config = config_from_args(args, environ, keys=())
    if check:  # every changed function is checked, not only the first max_tasks
        config = config.model_copy(update={"max_tasks": 10_000})
    return config, plan_change(Path(args.repo), config, environ, staged=True, paths=files)


def _on_result(result: TaskResult, done: int, total: int) -> None:
    from tta_ci.commands.run import ICONS

    label = result.task.id if result.task else result.task_id
    tail = "" if result.outcome == "accepted" or not result.reason else f": {result.reason}"
    _say(f"{ICONS[result.outcome]} {result.outcome} {label}{tail}")


def _records_path(repo: Path, config: Config) -> Path | None:
    """Where the hook remembers the tests it wrote (None when the cache is off)."""
    if not config.cache:
        return None
    root = Path(config.cache_dir)
    return (root if root.is_absolute() else repo / root) / "hook-written.json"


def _generate(args: argparse.Namespace, files: Sequence[str], environ: Mapping[str, str]) -> int:
    import asyncio

    from tta_ci.commands.run import output_dir, write_outputs
    from tta_ci.hook_git import index_snapshot, protected_paths
    from tta_ci.hook_write import (
        accepted_tests,
        already_written,
        load_written,
        record_written,
        route_tests,
        write_routed,
    )
    from tta_ci.pipeline import run_pipeline

    repo = Path(args.repo)
    config, plan = _plan(args, files, environ, check=False)
    records = _records_path(repo, config)
    present = already_written(repo, load_written(records, plan.tasks) if records else {})
    for task_id, test_file in present.items():
        _say(f"✔ accepted {task_id}: already in {test_file}")
    tasks = tuple(t for t in plan.tasks if t.id not in present)
    if not tasks:
        _say(_final_line([], sorted(set(present.values())), environ) if present
             else "nothing to test in the staged change")
        return 0
    # validate against exactly what is staged, whatever the working tree holds
    plan = plan.model_copy(update={"tasks": tasks, "head": index_snapshot(repo, environ)})
    outcome = asyncio.run(run_pipeline(repo, config, environ, plan=plan, on_progress=_on_result))
    routing = route_tests(repo, accepted_tests(outcome.document), protected_paths(repo))
    written = write_routed(repo, routing)
    if records is not None:
        record_written(records, plan.tasks, routing.tests)
    notes = [*routing.notes, *(f"wrote {f}" for f in written)]
    doc = outcome.document.model_copy(update={"mode": "files",
                                              "notes": [*outcome.document.notes, *notes]})
    metrics, _ = write_outputs(doc, output_dir(config, repo))
    for note in routing.notes:
        _say(note)
    _say(f"metrics: {metrics}")
    _say(_final_line(written, sorted({*routing.present, *present.values()}), environ))
    return 1 if written else 0


def _final_line(written: Sequence[str], present: Sequence[str],
                environ: Mapping[str, str]) -> str:
    if written:
        then = " and commit again" if environ.get("PRE_COMMIT") == "1" else ""
        return (f"wrote {len(written)} test file(s); review them, then "
                f"`git add {' '.join(written)}`{then}")
    if present:
        return f"the accepted tests are already in {', '.join(present)}; nothing to add"
    return "no new test accepted; nothing to add"


def _check(args: argparse.Namespace, files: Sequence[str], environ: Mapping[str, str]) -> int:
    import asyncio

    from tta_ci.hook_check import check_tasks, is_public, render_check
    from tta_ci.hook_git import index_snapshot

    repo = Path(args.repo)
    config, plan = _plan(args, files, environ, check=True)
    if not any(is_public(t) for t in plan.tasks):
        _say("no changed public function to check")
        return 0
    report = asyncio.run(check_tasks(repo, plan.tasks, config, environ,
                                     ref=index_snapshot(repo, environ)))
    for line in render_check(report):
        _say(line)
    return 1 if report.failed else 0
