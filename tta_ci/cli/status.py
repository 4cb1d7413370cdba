"""``tta-ci status [ID] [--json]``: how far a started run is. Reads its state; never waits."""

from __future__ import annotations

import argparse
import datetime
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tta_ci.cli._common import config_from_args
from tta_ci.publish.console import output_dir

if TYPE_CHECKING:
    from tta_ci.run.state import RunFolder, RunState

__all__ = ["render_status", "run_folder", "status", "status_json"]

OUTCOMES = ("accepted", "rejected", "possible_bug", "skipped", "failed", "cancelled")


def run_folder(args: argparse.Namespace, environ: Mapping[str, str]) -> RunFolder:
    """The run ``args.run_id`` (default: the latest) under the configured output folder."""
    from tta_ci.run.state import find_run

    repo = Path(args.repo)
    config = config_from_args(args, environ, keys=("output_dir",))
    return find_run(output_dir(config, repo), args.run_id)


def status_json(state: RunState, alive: bool) -> dict[str, Any]:
    return {
        "id": state.id,
        "status": state.phase(alive),
        "alive": alive,
        "pid": state.pid,
        "started_at": state.started_at,
        "updated_at": state.updated_at,
        "tasks": state.progress(alive),
        "outcomes": {name: state.count(name) for name in OUTCOMES},
        "cost_usd": state.cost_usd,
        "llm_requests": sum(f.record.requests for f in state.finished),
        "error": state.error,
        "published": state.published is not None,
    }


def _age(started_at: str, now: datetime.datetime) -> str:
    seconds = (now - datetime.datetime.fromisoformat(started_at)).total_seconds()
    return f"{max(seconds, 0):.0f}s ago"


def render_status(doc: Mapping[str, Any], now: datetime.datetime) -> list[str]:
    """The lines ``tta-ci status`` prints for a ``status_json`` document."""
    tasks, outcomes = doc["tasks"], doc["outcomes"]
    head = f"run {doc['id']}: {doc['status']}"
    head += f" (pid {doc['pid']}, started {_age(doc['started_at'], now)})" if doc["pid"] else ""
    lines = [head, f"tasks: {tasks['done']} done, {tasks['running']} running, "
                   f"{tasks['queued']} queued, of {tasks['total']}"]
    if tasks["done"]:
        lines.append(", ".join(f"{n} {name.replace('_', ' ')}" for name, n in outcomes.items()
                               if n))
    lines.append(f"spent: ${doc['cost_usd']:.4f} in {doc['llm_requests']} LLM request(s) "
                 "(finished tasks)")
    if doc["status"] == "died":
        lines.append("the background process ended before the run finished; "
                     f"`tta-ci collect {doc['id']}` publishes what finished")
    elif doc["error"]:
        lines.append(f"error: {doc['error']}")
    if doc["published"]:
        lines.append("published: yes (`tta-ci collect` shows the result again)")
    return lines


def status(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    folder = run_folder(args, environ)
    alive = folder.alive()
    doc = status_json(folder.state(), alive)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join(render_status(doc, datetime.datetime.now(datetime.UTC))))
    return 0
