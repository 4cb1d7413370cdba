"""Result cache: a task's final outcome, keyed by its content hash, generator, model and version.

One JSON file per key under ``cache_dir`` (``.tta-ci/cache``; ``action.yml`` persists it with
``actions/cache``). An entry that does not parse, was written by another tta-ci version, or
whose key does not match its name is ignored with a warning. An accepted test from the cache is
re-run once before it is used again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from tta_ci._version import __version__
from tta_ci.core.files import write_atomic
from tta_ci.core.paths import make_dirs
from tta_ci.core.types import PossibleBug, Task, Verdict

if TYPE_CHECKING:
    from tta_ci.engine.attempts import TaskResult

__all__ = ["CACHEABLE", "CacheEntry", "CacheLayer", "ResultCache", "cache_key"]

log = logging.getLogger("tta_ci.cache")
CACHE_SCHEMA = 1
CACHEABLE = ("accepted", "rejected", "possible_bug")


def cache_key(task: Task, generator: str, model: str | None, version: str = __version__) -> str:
    parts = [
        f"schema={CACHE_SCHEMA}",
        f"version={version}",
        f"task={task.id}",
        f"hash={task.hash}",
        f"generator={generator}",
        f"model={model or 'auto'}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class CacheEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = CACHE_SCHEMA
    tool_version: str = __version__
    key: str
    task_id: str
    task_hash: str
    generator: str
    model: str | None = None
    model_reason: str = ""
    outcome: Literal["accepted", "rejected", "possible_bug"]
    reason: str
    verdict: Verdict
    possible_bugs: tuple[PossibleBug, ...] = ()
    created_at: str = ""


class ResultCache:
    def __init__(self, root: Path, *, version: str = __version__) -> None:
        self.root = root
        self.version = version
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CacheEntry | None:
        path = self._path(key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as exc:
            log.warning("tta-ci: ignoring unreadable cache entry %s: %s", path, exc)
            self.misses += 1
            return None
        entry = self._parse(path, text, key)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def _parse(self, path: Path, text: str, key: str) -> CacheEntry | None:
        try:
            entry = CacheEntry.model_validate(json.loads(text))
        except (ValueError, ValidationError):
            log.warning("tta-ci: ignoring corrupt cache entry %s", path)
            return None
        if entry.key != key or entry.tool_version != self.version:
            log.warning("tta-ci: ignoring foreign cache entry %s", path)
            return None
        return entry

    def put(self, entry: CacheEntry) -> None:
        """Write atomically; a cache that cannot be written is a warning, never an error."""
        path = self._path(entry.key)
        stamped = entry.model_copy(
            update={"created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
        )
        try:
            make_dirs(path.parent)
            write_atomic(path, stamped.model_dump_json(indent=1))
        except OSError as exc:
            log.warning("tta-ci: could not write the cache entry %s: %s", path, exc)

    def drop(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class CacheLayer:
    """The engine's use of the cache: look up (re-running a cached accepted test), store."""

    def __init__(
        self,
        cache: ResultCache,
        *,
        generator: str,
        model: str | None,
        still_passes: Callable[[Task, str], Awaitable[bool]],
    ) -> None:
        self.cache = cache
        self.generator = generator
        self.model = model
        self._still_passes = still_passes

    def key(self, task: Task) -> str:
        return cache_key(task, self.generator, self.model, self.cache.version)

    async def lookup(self, task: Task) -> CacheEntry | None:
        key = self.key(task)
        entry = self.cache.get(key)
        if entry is None:
            return None
        if entry.outcome == "accepted" and not await self._still_passes(
            task, entry.verdict.code or ""
        ):
            log.warning("tta-ci: the cached test of %s no longer passes; generating anew", task.id)
            self.cache.drop(key)
            return None
        return entry

    def store(self, task: Task, result: TaskResult) -> None:
        if result.cached or result.verdict is None or result.candidate is None:
            return
        if result.outcome not in CACHEABLE:
            return
        self.cache.put(
            CacheEntry(
                key=self.key(task),
                task_id=task.id,
                task_hash=task.hash,
                generator=result.candidate.generator,
                model=result.candidate.model,
                model_reason=result.candidate.model_reason,
                outcome=result.outcome,  # type: ignore[arg-type]
                reason=result.reason,
                verdict=result.verdict,
                possible_bugs=result.possible_bugs,
            )
        )
