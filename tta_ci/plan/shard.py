"""Sharding: deterministic, balanced, disjoint shares of a plan's tasks (pure).

Tasks are ordered by the sha256 of their id, then dealt round-robin: share sizes differ by at
most one, and the share of a task does not depend on the order the tasks were listed in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from tta_ci.core.errors import UsageError
from tta_ci.core.types import Task

__all__ = ["MAX_SHARDS", "matrix", "parse_shard", "shard"]

MAX_SHARDS = 256  # GitHub Actions runs at most 256 jobs per matrix
_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def _key(task: Task) -> tuple[str, str]:
    return hashlib.sha256(task.id.encode("utf-8")).hexdigest(), task.id


def _check(index: int, total: int) -> None:
    if not 1 <= total <= MAX_SHARDS:
        raise UsageError(f"shard count {total} must be between 1 and {MAX_SHARDS}")
    if not 1 <= index <= total:
        raise UsageError(f"shard index {index} must be between 1 and {total}")


def shard(tasks: Sequence[Task], index: int, total: int) -> tuple[Task, ...]:
    """The ``index``-th (1-based) of ``total`` shares, in the tasks' original order."""
    _check(index, total)
    ordered = sorted(tasks, key=_key)
    mine = {t.id for t in ordered[index - 1 :: total]}
    return tuple(t for t in tasks if t.id in mine)


def parse_shard(value: str) -> tuple[int, int]:
    """``"I/N"`` → ``(I, N)``; anything else is a ``UsageError``."""
    match = _SHARD.fullmatch(value)
    if match is None:
        raise UsageError(f"--shard {value!r}: expected I/N, e.g. 1/4")
    index, total = int(match.group(1)), int(match.group(2))
    try:
        _check(index, total)
    except UsageError as exc:
        raise UsageError(f"--shard {value!r}: {exc}") from None
    return index, total


def matrix(n: int) -> dict[str, Any]:
    """A GitHub Actions job matrix of ``n`` shards: ``{"include": [{"shard": "1/N"}, ...]}``."""
    _check(1, n)
    return {"include": [{"shard": f"{i}/{n}"} for i in range(1, n + 1)]}
