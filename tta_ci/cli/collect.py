"""``tta-ci collect [ID] [--timeout S]``: wait for a started run, then publish it as ``run`` does.

Waits by polling the run's state (and its lock, to notice a background process that died).
Then the run's documents are published with the configuration ``start`` was given: the same
modes, files, step summary, outputs and exit codes as ``tta-ci run``. A run is published once:
collecting it again prints the same result and sets the same outputs, and posts nothing.
When the background process died or failed, what it finished is published, and collect says
so and exits 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from tta_ci.cli.run import exit_code, publish_finished, show
from tta_ci.cli.status import run_folder
from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError
from tta_ci.core.report import MetricsDocument
from tta_ci.core.secrets import Redactor
from tta_ci.run.state import Published, RunFolder, RunState, locked, now_iso

__all__ = ["collect", "wait_for"]

POLL_S = 0.5


def wait_for(folder: RunFolder, timeout_s: float | None, *,
             clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep) -> tuple[RunState, bool]:
    """The run's state once it is done, failed, or its process is gone; (state, alive)."""
    deadline = None if timeout_s is None else clock() + timeout_s
    while True:
        alive = folder.alive()  # before the state: a process gone now wrote its last state
        state = folder.state()
        if state.status in ("done", "failed") or not alive:
            return state, alive
        if deadline is not None and clock() >= deadline:
            left = state.progress(alive)
            raise UsageError(
                f"run {folder.id} is still running after {timeout_s:g}s ({left['done']} of "
                f"{left['total']} task(s) done); collect it again later or raise --timeout")
        sleep(POLL_S)


def _problem(state: RunState) -> str | None:
    if state.status == "done":
        return None
    if state.status == "failed":
        return f"run {state.id} failed in the background: {state.error}"
    return (f"the background process of run {state.id} (pid {state.pid}) ended before the run "
            f"finished: {len(state.finished)} of {state.total} task(s) done")


def _document(folder: RunFolder, state: RunState, config: Config,
              problem: str | None) -> MetricsDocument:
    from tta_ci.run.background import partial_document

    if problem is None:
        return MetricsDocument.model_validate_json(folder.metrics.read_text(encoding="utf-8"))
    note = f"{problem}; the tasks it did not finish are cancelled"
    return partial_document(state, config.mode, note)


def _again(folder: RunFolder, published: Published, out: Path, as_json: bool,
           environ: Mapping[str, str]) -> int:
    """A run published before: its files and outputs again; nothing is posted."""
    from tta_ci.publish.actions import run_outputs, write_outputs
    from tta_ci.publish.outputs import write_documents

    doc = MetricsDocument.model_validate_json(folder.metrics.read_text(encoding="utf-8"))
    write_documents(doc, out)
    write_outputs(environ, run_outputs(doc, out))
    show(doc, out, as_json)
    print(f"tta-ci: run {folder.id} was published at {published.at} (mode {published.mode}); "
          "not published again", file=sys.stderr)
    if published.problem:
        raise UsageError(published.problem)
    return published.exit_code


def collect(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from tta_ci.github.event import read_event
    from tta_ci.publish.modes import preflight

    folder = run_folder(args, environ)
    config = folder.config()
    if args.fail_on_rejected:
        config = config.model_copy(update={"fail_on_rejected": True})
    event = read_event(environ)
    preflight(config, environ, event)  # a missing token fails before the wait
    state, _ = wait_for(folder, args.timeout)
    out = Path(state.output_dir)
    with locked(folder.path / "publish.lock"):  # two collects at once publish once
        state = folder.state()
        if state.published is not None:
            return _again(folder, state.published, out, args.json, environ)
        problem = _problem(state)
        doc = _document(folder, state, config, problem)
        final = publish_finished(doc, repo=Path(state.repo), config=config, environ=environ,
                                 event=event, out=out, as_json=args.json)
        code = 2 if problem else exit_code(final, config)
        redact = Redactor.from_env(environ, config)
        folder.write("metrics.json", final.model_dump_json(indent=2) + "\n", redact)
        state.published = Published(at=now_iso(), mode=final.mode, exit_code=code,
                                    problem=problem, metrics=str(out / "metrics.json"),
                                    summary=str(out / "summary.md"))
        folder.save(state, redact)
    if problem:
        raise UsageError(f"{problem}; published what finished (see {folder.log})")
    return code
