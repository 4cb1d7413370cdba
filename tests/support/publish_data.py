"""Metrics documents for the publishing tests, shaped like a real run's ``metrics.json``, and
the pull request event and publishing context they publish with."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from support import EVENTS
from support.github_server import FakeGitHub
from tta_ci.core.config import Config
from tta_ci.core.report import MetricsDocument, ModelStats, TaskRecord, Totals
from tta_ci.core.types import PossibleBug
from tta_ci.github.event import Event, parse_event
from tta_ci.publish.base import PublishContext

REPO = "Codertocat/Hello-World"  # the repository of the recorded pull request event


def pr_event(**pr_fields: Any) -> Event:
    """The recorded ``pull_request.opened`` event, its head updated with ``pr_fields``."""
    payload = json.loads((EVENTS / "pull_request.opened.json").read_text())
    payload["pull_request"]["head"].update(pr_fields)
    return parse_event("pull_request", payload)


def context(tmp_path: Path, fake: FakeGitHub | None, mode: str, event: Event | None,
            **environ: str) -> PublishContext:
    """Publishing ``mode`` from ``tmp_path``, against ``fake`` GitHub when given."""
    env = dict(environ)
    if fake is not None:
        env.update(GITHUB_TOKEN=fake.token, GITHUB_API_URL=fake.url)
    return PublishContext(repo=tmp_path, config=Config(mode=mode), environ=env, event=event,
                          output_dir=tmp_path / "out", stream=io.StringIO())

ACCEPTED_CODE = '''from calc import add


def test_add_small_numbers():
    assert add(2, 3) == 5
'''


def task(status: str = "accepted", **fields: Any) -> TaskRecord:
    base: dict[str, Any] = {
        "id": "calc.py::add",
        "file": "calc.py",
        "symbol": "add",
        "status": status,
        "reason": "covers 2 changed lines" if status == "accepted" else "assertion failed",
        "generator": "openrouter",
        "model": "openai/gpt-4.1-mini",
        "attempts": 1,
        "prompt_tokens": 120,
        "completion_tokens": 40,
        "cost_usd": 0.0001025,
        "latency_s": 1.5,
        "test_file": "tests/test_calc.py",
        "tests": ["test_add_small_numbers"] if status == "accepted" else [],
        "code": ACCEPTED_CODE if status == "accepted" else None,
    }
    base.update(fields)
    return TaskRecord(**base)


def document(tasks: list[TaskRecord] | None = None, **fields: Any) -> MetricsDocument:
    tasks = [task()] if tasks is None else tasks
    counts = {s: sum(t.status == s for t in tasks) for s in ("accepted", "rejected", "skipped")}
    bugs = sum(len(t.possible_bugs) for t in tasks)
    base: dict[str, Any] = {
        "tool_version": "0.1.0",
        "started_at": "2026-01-01T00:00:00Z",
        "wall_s": 12.5,
        "backend": "openrouter",
        "backend_reason": "OPENROUTER_API_KEY is set",
        "isolation": "bwrap",
        "mode": "comment",
        "base": "1" * 40,
        "head": "2" * 40,
        "totals": Totals(tasks=len(tasks), possible_bugs=bugs, cost_usd=0.0002, **counts),
        "models": {"openai/gpt-4.1-mini": ModelStats(requests=2, p50_latency_s=1.2,
                                                     p95_latency_s=1.9, accepted=1)},
        "tasks": tasks,
    }
    base.update(fields)
    return MetricsDocument(**base)


def bug_task() -> TaskRecord:
    return task(
        "possible_bug",
        id="calc.py::div",
        symbol="div",
        reason="fails the same way every run",
        possible_bugs=[PossibleBug(test="test_div_by_one", message="assert 0 == 4",
                                   file="calc.py", line=7)],
    )
