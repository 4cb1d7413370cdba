"""A run started in the background: its folder, its state file, and whether it still runs.

    <output_dir>/runs/<id>/
      state.json    id, pid, times, status, the plan's tasks, progress, finished task records
      plan.json     the planned tasks, as the background process runs them
      config.json   the configuration ``start`` was given (``collect`` publishes with it)
      run.log       the background process's output, secrets redacted
      metrics.json  the finished run's document (after publishing: the published one)
      lock          locked by the background process for as long as it lives

Every file is written whole (``write_atomic``) and through the run's ``Redactor``, so a reader
never sees half a state and no secret value reaches the folder. Whether the process lives is
asked of its lock, never of its pid (a pid can be reused; a lock dies with its holder).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError
from tta_ci.core.files import write_atomic
from tta_ci.core.report import TaskRecord
from tta_ci.core.types import LLMCall, PlanResult

__all__ = [
    "Finished",
    "Published",
    "RunFolder",
    "RunState",
    "Status",
    "find_run",
    "latest_active",
    "locked",
    "now_iso",
    "runs_root",
]

SCHEMA = 1
Status = Literal["starting", "running", "done", "failed"]
Redact = Callable[[str], str]
_T = TypeVar("_T")


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


class Finished(BaseModel):
    """One task the background process finished: its record and the model calls it made."""

    record: TaskRecord
    calls: list[LLMCall] = Field(default_factory=list)


class Published(BaseModel):
    """What ``collect`` did with the run (so that a second ``collect`` does it again exactly)."""

    at: str
    mode: str
    exit_code: int
    problem: str | None = None  # the error collect reported after publishing
    metrics: str = ""
    summary: str = ""


class RunState(BaseModel):
    schema_version: int = SCHEMA
    id: str
    pid: int | None = None
    started_at: str
    updated_at: str
    status: Status = "starting"
    repo: str
    output_dir: str
    base: str | None = None
    head: str | None = None
    shard: str | None = None
    concurrency: int = 1
    tasks: list[dict[str, Any]] = Field(default_factory=list)  # as ``tta-ci plan --json``
    skipped: list[dict[str, Any]] = Field(default_factory=list)
    finished: list[Finished] = Field(default_factory=list)
    backend: str = ""
    backend_reason: str = ""
    isolation: str = ""
    error: str | None = None
    published: Published | None = None

    @property
    def total(self) -> int:
        return len(self.tasks)

    @property
    def cost_usd(self) -> float:
        return round(sum(f.record.cost_usd for f in self.finished), 10)

    def count(self, status: str) -> int:
        return sum(f.record.status == status for f in self.finished)

    def phase(self, alive: bool) -> str:
        """``starting``, ``running``, ``done``, ``failed``, or ``died`` (the process is gone
        but never said it finished)."""
        if self.status in ("done", "failed") or alive:
            return self.status
        return "died"

    def progress(self, alive: bool) -> dict[str, int]:
        """Tasks done, running and queued. The engine starts up to ``concurrency`` tasks at
        once, so while the process lives that many of the unfinished ones are running."""
        done = len(self.finished)
        busy = alive and self.status == "running"
        running = min(self.concurrency, self.total - done) if busy else 0
        return {"total": self.total, "done": done, "running": running,
                "queued": self.total - done - running}


def runs_root(output_dir: Path) -> Path:
    return output_dir / "runs"


def _new_id() -> str:
    """A run id that sorts by start time (to the microsecond), then a random part."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%f")
    return f"{stamp}-{secrets.token_hex(3)}"


class RunFolder:
    """The folder of one background run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.id = path.name

    @classmethod
    def create(cls, output_dir: Path) -> RunFolder:
        root = runs_root(output_dir)
        while True:
            path = root / _new_id()
            try:
                root.mkdir(parents=True, exist_ok=True)
                path.mkdir()
                return cls(path)
            except FileExistsError:
                continue
            except OSError as exc:
                raise UsageError(f"{root}: cannot create the run's folder ({exc.strerror}); "
                                 "check --output-dir") from exc

    # -- files ----------------------------------------------------------------------------
    @property
    def log(self) -> Path:
        return self.path / "run.log"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.json"

    @property
    def lock_file(self) -> Path:
        return self.path / "lock"

    def write(self, name: str, text: str, redact: Redact) -> None:
        write_atomic(self.path / name, redact(text))

    def save(self, state: RunState, redact: Redact) -> None:
        state.updated_at = now_iso()
        self.write("state.json", state.model_dump_json(indent=1) + "\n", redact)

    def state(self) -> RunState:
        return self._load("state.json", RunState.model_validate)

    def plan(self) -> PlanResult:
        return self._load("plan.json", PlanResult.model_validate)

    def config(self) -> Config:
        return self._load("config.json", lambda data: Config.model_validate(
            {**data["values"], "sources": data["sources"]}))

    def save_inputs(self, plan: PlanResult, config: Config, redact: Redact) -> None:
        self.write("plan.json", plan.model_dump_json() + "\n", redact)
        values = {"values": config.model_dump(mode="json"), "sources": config.sources}
        self.write("config.json", json.dumps(values, indent=1) + "\n", redact)

    def _load(self, name: str, build: Callable[[Any], _T]) -> _T:
        path = self.path / name
        try:
            return build(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise UsageError(f"{path}: missing; run {self.id} was not started by this "
                             "version of tta-ci, or its folder was cleaned") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:  # ValidationError included
            raise UsageError(f"{path}: not a readable tta-ci run file ({type(exc).__name__}); "
                             "start the run again") from exc

    # -- liveness ---------------------------------------------------------------------------
    def hold(self) -> int:
        """Lock the run for a process about to start it; the open descriptor of the lock."""
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def alive(self) -> bool:
        """Whether the process that holds the run's lock still lives."""
        try:
            fd = os.open(self.lock_file, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created) for the block: one start, one publish at a time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise UsageError(f"{path}: cannot create it ({exc.strerror}); check --output-dir"
                         ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _folders(output_dir: Path) -> list[RunFolder]:
    root = runs_root(output_dir)
    if not root.is_dir():
        return []
    return [RunFolder(p) for p in sorted(root.iterdir()) if (p / "state.json").is_file()]


def find_run(output_dir: Path, run_id: str | None) -> RunFolder:
    """The run named ``run_id``, or the latest one."""
    folders = _folders(output_dir)
    if run_id is None:
        if not folders:
            raise UsageError(f"no run started under {runs_root(output_dir)}; run `tta-ci start` "
                             "first (with the same --output-dir)")
        return folders[-1]
    if "/" in run_id or run_id in ("", ".", ".."):
        raise UsageError(f"{run_id!r} is not a run id (see: tta-ci status)")
    found = [f for f in folders if f.id == run_id]
    if not found:
        known = ", ".join(f.id for f in folders[-5:]) or "none"
        raise UsageError(f"no run {run_id!r} under {runs_root(output_dir)}; latest: {known}")
    return found[0]


def latest_active(output_dir: Path) -> RunFolder | None:
    """The newest run whose background process still lives."""
    return next((f for f in reversed(_folders(output_dir)) if f.alive()), None)
