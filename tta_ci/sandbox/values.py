"""The values of a warm run (``tta_ci.sandbox.warm``): its server's ``WarmSpec``, a run's
``Budget``, a ``MutantRef`` to switch in, a ``BatchJob`` and the ``WarmResult``."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tta_ci.sandbox.commands import PLUGIN
from tta_ci.sandbox.isolation import SandboxResult

__all__ = ["BatchJob", "Budget", "MutantRef", "WarmResult", "WarmSpec"]


@dataclass(frozen=True)
class Budget:
    """The limits of one run. ``cpu_s`` (user + system time of the run's process, and of the
    processes it waited for) is what a verdict may rest on: a busy machine does not use it up.
    ``wall_s`` is only a generous backstop for a run blocked in a sleep or on I/O. Per test:
    ``test_cpu_s`` (the plugin's CPU timer) with ``test_wall_s`` as its backstop."""

    cpu_s: float = 60.0
    wall_s: float = 600.0
    test_cpu_s: float | None = None
    test_wall_s: float | None = None
    memory_mb: int = 2048
    fsize_mb: int = 512
    nproc: int | None = None

    def limits(self) -> dict[str, Any]:
        return {"cpu_s": self.cpu_s, "wall_s": self.wall_s, "memory_mb": self.memory_mb,
                "fsize_mb": self.fsize_mb, "nproc": self.nproc}

    def plugin_env(self) -> dict[str, str]:
        """The plugin's per-test budget (nothing when the run has none)."""
        if not self.test_cpu_s:
            return {}
        env = {"TTA_SANDBOX_TEST_TIMEOUT": f"{self.test_cpu_s:g}", "TTA_SANDBOX_TEST_CLOCK": "cpu"}
        if self.test_wall_s:
            env["TTA_SANDBOX_TEST_WALL"] = f"{self.test_wall_s:g}"
        return env


@dataclass(frozen=True)
class BatchJob:
    """One mutant run of a batch (``WarmSandbox.run_batch``): its control folder (from
    ``new_ctrl``), environment, limits and mutant."""

    ctrl: Path
    env: Mapping[str, str]
    budget: Budget
    mutant: MutantRef


@dataclass(frozen=True)
class WarmSpec:
    """One warm interpreter: a workspace, its import roots (workspace-relative), the project
    modules to import once (they must start no thread), the file whose import-time lines
    count as coverage, and the hash seed of all its runs."""

    workspace: Path
    isolation: str
    python_path: tuple[str, ...] = (".",)
    preload: tuple[str, ...] = ()
    cover: str | None = None
    hash_seed: int = 1
    plugins: tuple[str, ...] = (PLUGIN,)
    mains: tuple[str, ...] = ()  # modules of tta-ci whose main(args) a child may run
    python: str = sys.executable
    memory_mb: int = 4096
    start_timeout_s: float = 120.0
    sealed: bool = False  # nothing but its control folders writable (bubblewrap only)


@dataclass(frozen=True)
class MutantRef:
    """Mutant ``index`` of the set loaded as ``set_id`` (``WarmSandbox.load_mutants``)."""

    set_id: str
    index: int


@dataclass(frozen=True)
class WarmResult:
    """What one warm run did. ``cpu_s``: the run's own CPU time, from its resource usage."""

    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    timed_out: bool
    cpu_exceeded: bool
    ctrl: Path
    isolation: str
    orphans_killed: int = 0
    maxrss_kb: int = 0
    timing: dict[str, float] = field(default_factory=dict)
    activation: dict[str, Any] | None = None

    def sandbox_result(self) -> SandboxResult:
        """As a cold run's result; a CPU budget used up counts as a timeout."""
        return SandboxResult(returncode=self.returncode, stdout=self.stdout, stderr=self.stderr,
                             timed_out=self.timed_out or self.cpu_exceeded,
                             duration_s=self.wall_s, isolation=self.isolation)
