"""The background half of ``tta-ci start``: a detached process that runs the pipeline.

    spawn(folder, environ)        the parent: start ``python -m tta_ci.run.background`` detached
    main([FOLDER, LOCK_FD])       the child: run_pipeline on the stored plan, updating state.json
                                  as tasks finish, then metrics.json and status "done"

The child inherits the environment (the LLM key must reach it) but not ``GITHUB_TOKEN``: it
never publishes. Its stdout and stderr (its own lines and any subprocess's) pass through a
pipe that redacts every secret value before the line reaches ``run.log``. SIGTERM ends it as
Ctrl-C ends ``tta-ci run``: running tasks are cancelled and their worktrees removed.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from tta_ci.core.config import Config
from tta_ci.core.errors import TtaError
from tta_ci.core.report import MetricsDocument, TaskRecord, rates_of
from tta_ci.core.secrets import Redactor
from tta_ci.engine import MetricsCollector, TaskResult
from tta_ci.engine.queue import QueuedTask
from tta_ci.engine.records import task_record
from tta_ci.run.state import Finished, RunFolder, RunState

__all__ = ["NOT_INHERITED", "child_environ", "main", "partial_document", "spawn"]

NOT_INHERITED = ("GITHUB_TOKEN", "GH_TOKEN")  # publishing is collect's job, never the child's


def child_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The background process's environment: the caller's, without the GitHub token."""
    return {k: v for k, v in environ.items() if k not in NOT_INHERITED}


def spawn(folder: RunFolder, environ: Mapping[str, str]) -> int:
    """Start the background process of ``folder``, detached; its pid. Returns at once."""
    env = child_environ(environ)
    fd = folder.hold()  # locked before the child exists: the run is never seen as dead
    try:
        with open(os.devnull, "rb") as stdin, folder.log.open("ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "tta_ci.run.background", str(folder.path), str(fd)],
                stdin=stdin, stdout=log, stderr=log, env=env, pass_fds=(fd,),
                start_new_session=True,
            )
    finally:
        os.close(fd)  # the child keeps the lock
    return child.pid


# -- the child ---------------------------------------------------------------------------------


def _pump(source: int, log: BinaryIO, redact: Redactor) -> None:
    """Copy ``source`` to ``log`` line by line, every secret value redacted."""
    pending = b""
    with os.fdopen(source, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            pending += chunk
            lines, _, pending = pending.rpartition(b"\n")
            if lines:
                log.write(redact((lines + b"\n").decode("utf-8", "replace")).encode())
                log.flush()
    if pending:
        log.write(redact(pending.decode("utf-8", "replace")).encode())
        log.flush()


def _redirect_output(folder: RunFolder, redact: Redactor) -> threading.Thread:
    """Send fds 1 and 2 (and so every subprocess that inherits them) through ``_pump``."""
    read_end, write_end = os.pipe()
    log = folder.log.open("ab")
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)
    pump = threading.Thread(target=_pump, args=(read_end, log, redact), daemon=True)
    pump.start()
    return pump


def _end_output(pump: threading.Thread) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)  # the pipe's last writer is gone: the pump reads to its end
    os.close(null)
    pump.join(10)


class _Recorder:
    """The pipeline's progress callback: a line in the log, the state file rewritten."""

    def __init__(self, folder: RunFolder, state: RunState, redact: Redactor) -> None:
        from tta_ci.publish.console import Progress

        self.folder, self.state, self.redact = folder, state, redact
        self.print = Progress(sys.stderr)

    def __call__(self, result: TaskResult, done: int, total: int) -> None:
        self.print(result, done, total)
        if result.task is not None:
            record = task_record(QueuedTask.from_task(result.task), result)
            self.state.finished.append(Finished(record=record, calls=list(result.calls)))
            self.folder.save(self.state, self.redact)


def _interrupt_on_sigterm() -> None:
    """SIGTERM becomes the SIGINT that asyncio.run turns into a clean cancellation (SIGINT
    itself may arrive ignored from the parent, so its default is put back)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: signal.raise_signal(signal.SIGINT))


async def _run(folder: RunFolder, state: RunState, config: Config, redact: Redactor
               ) -> MetricsDocument:
    from tta_ci.generators import choose_backend
    from tta_ci.run.pipeline import run_pipeline
    from tta_ci.sandbox.isolation import isolation_level

    environ = os.environ
    state.backend, state.backend_reason = choose_backend(config, environ)
    state.isolation = isolation_level(config)
    state.status = "running"
    folder.save(state, redact)
    outcome = await run_pipeline(Path(state.repo), config, environ, plan=folder.plan(),
                                 on_progress=_Recorder(folder, state, redact))
    return outcome.document.model_copy(update={"shard": state.shard})


def _work(folder: RunFolder, redact: Redactor) -> int:
    state = folder.state()
    state.pid = os.getpid()
    try:
        doc = asyncio.run(_run(folder, state, folder.config(), redact))
    except (Exception, KeyboardInterrupt) as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        state.status = "failed"
        state.error = "interrupted (SIGTERM or SIGINT)" if interrupted else (
            str(exc) if isinstance(exc, TtaError) else f"{type(exc).__name__}: {exc}")
        folder.save(state, redact)
        if not isinstance(exc, TtaError | KeyboardInterrupt):
            traceback.print_exc()
        print(f"tta-ci: run {folder.id} failed: {state.error}", file=sys.stderr)
        return 130 if interrupted else getattr(exc, "exit_code", 3)
    folder.write("metrics.json", doc.model_dump_json(indent=2) + "\n", redact)
    state.status = "done"
    folder.save(state, redact)
    print(f"tta-ci: run {folder.id} done: {doc.totals.accepted} accepted of "
          f"{doc.totals.tasks} task(s)", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    folder, lock_fd = RunFolder(Path(args[0])), int(args[1])
    os.set_inheritable(lock_fd, False)  # held until this process ends; no subprocess keeps it
    config = folder.config()
    redact = Redactor.from_env(os.environ, config)
    pump = _redirect_output(folder, redact)
    _interrupt_on_sigterm()
    try:
        return _work(folder, redact)
    finally:
        _end_output(pump)


# -- what collect publishes when the child did not finish ------------------------------------------


def _seconds_between(start: str, end: str) -> float:
    parse = datetime.datetime.fromisoformat
    return max(0.0, round((parse(end) - parse(start)).total_seconds(), 4))


def partial_document(state: RunState, mode: str, reason: str) -> MetricsDocument:
    """The document of a run that ended early: the tasks it finished, the others cancelled."""
    collector = MetricsCollector()
    for finished in state.finished:
        collector.record_task(finished.record)
        for call in finished.calls:
            collector.record_call(call)
    done = {f.record.id for f in state.finished}
    for task in state.tasks:
        if task["id"] not in done:
            collector.record_task(TaskRecord(
                id=task["id"], file=task["file"], symbol=task["symbol"], status="cancelled",
                reason=reason, test_file=task.get("test_file", ""),
                priority=str(task.get("priority", "normal")),
                changed_lines=list(task.get("changed_lines", []))))
    doc = collector.document(backend=state.backend, backend_reason=state.backend_reason,
                             isolation=state.isolation, mode=mode, base=state.base,
                             head=state.head, shard=state.shard, skipped=state.skipped,
                             notes=[reason])
    wall = _seconds_between(state.started_at, state.updated_at)
    return doc.model_copy(update={"started_at": state.started_at, "wall_s": wall,
                                  "rates": rates_of(doc.totals, wall)})


if __name__ == "__main__":
    sys.exit(main())
