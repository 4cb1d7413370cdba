"""``tta-ci start [run options]``: plan now, run in the background, return at once.

The plan is made in the foreground (so that a bad ref or configuration fails here, exit 2);
the run's folder ``<output_dir>/runs/<id>/`` gets the plan, the configuration and
``state.json``; then a detached process runs the pipeline (``tta_ci.run.background``). The
run id goes to stdout and, in GitHub Actions, to ``$GITHUB_OUTPUT`` as ``run-id``. While a
run of the same output folder still runs, another start is refused with its id.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from tta_ci.cli._common import config_from_args
from tta_ci.core.errors import UsageError
from tta_ci.core.secrets import Redactor
from tta_ci.publish.console import checked_output_dir

__all__ = ["start"]


def start(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from tta_ci.github.event import read_event
    from tta_ci.publish.actions import write_outputs
    from tta_ci.publish.modes import preflight
    from tta_ci.run.background import spawn
    from tta_ci.run.pipeline import plan_run
    from tta_ci.run.state import RunFolder, RunState, latest_active, locked, now_iso, runs_root
    from tta_ci.sandbox.isolation import isolation_level

    repo = Path(args.repo).resolve()
    config = config_from_args(args, environ)
    preflight(config, environ, read_event(environ))  # what collect will need, checked now
    isolation_level(config)  # no sandbox here: refused now, not in the background
    out = checked_output_dir(config, repo).resolve()
    redact = Redactor.from_env(environ, config)
    with locked(runs_root(out) / ".lock"):  # two starts at once: one waits, then is refused
        active = latest_active(out)
        if active is not None:
            raise UsageError(f"run {active.id} is still running in {out}; collect it first "
                             f"(tta-ci collect {active.id}) or use another --output-dir")
        plan = plan_run(repo, config, environ, base=args.base, head=args.head, shard=args.shard)
        folder = RunFolder.create(out)
        now = now_iso()
        state = RunState(id=folder.id, started_at=now, updated_at=now, repo=str(repo),
                         output_dir=str(out), base=plan.base, head=plan.head, shard=args.shard,
                         concurrency=config.concurrency, **plan.to_json())
        folder.save_inputs(plan, config, redact)
        folder.save(state, redact)
        write_outputs(environ, {"run-id": folder.id})  # fails before anything runs
        pid = spawn(folder, environ)
    if args.json:
        print(json.dumps({"run_id": folder.id, "pid": pid, "tasks": state.total,
                          "folder": str(folder.path)}))
    else:
        print(folder.id)
    print(f"tta-ci: started run {folder.id} in the background: {state.total} task(s), pid {pid}, "
          f"log {folder.log}; `tta-ci status {folder.id}` shows progress, "
          f"`tta-ci collect {folder.id}` waits and publishes", file=sys.stderr)
    return 0
