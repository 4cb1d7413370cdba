"""One run in a child forked from the warm pytest server (``server.py``).

Before ``pytest.main(args)``, the child sets up what a fresh ``python -m pytest ARGS`` started
with the run's environment would have had: its environment, working folder, ``sys.path``
(``[cwd, *PYTHONPATH, *site]``), ``sys.argv``, the bytecode settings, a fresh temp folder,
``random`` reseeded, Hypothesis's home, signals as at start-up, stdin from ``/dev/null`` and
stdout/stderr to files of the run's control folder, and the run's rlimits (CPU time: SIGXCPU
at the soft limit, SIGKILL a second later; memory; file size; processes). The plugins
(``--plugin``) make their state again from the new environment (``configure(environ)``); the
mutant, if any, is switched in before anything is collected. What the child cannot reset:
``PYTHONHASHSEED`` (the server's) and the modules the server imported (not re-executed, and
not assertion-rewritten; pytest's warning about that is silenced for them alone).

The run ends as a fresh process would: the phase times and the mutant switch are written to
``CTRL/warm.json`` when pytest unconfigures, before any plugin's own ``pytest_unconfigure``
(tta-ci's plugin guards everything after it); then the ``atexit`` handlers registered during
the run (the server's are dropped at the fork) run, under that guard.
"""

from __future__ import annotations

import atexit
import fcntl
import importlib
import json
import math
import os
import random
import resource
import signal
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from tta_ci.sandbox.swap import MutantSet

__all__ = ["TIMING_FILE", "Phases", "ServerState", "configure_plugins", "cpu_limit", "interpreter",
           "limits", "main", "plain", "quiet_rewrite_warning", "run", "standard_streams"]

TIMING_FILE = "warm.json"  # in the run's control folder: phase times and the mutant switch
_DEFAULT_SIGNALS = (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP, signal.SIGALRM,
                    signal.SIGPROF, signal.SIGUSR1, signal.SIGUSR2, signal.SIGXCPU)


@dataclass
class ServerState:
    """What the server knows once warm, shared (copy-on-write) by every child."""

    base_path: list[str]
    plugins: tuple[str, ...]
    mains: frozenset[str]
    pytest_main: str
    warm_modules: frozenset[str]
    warnings_filters: list[Any]
    cover: str | None = None
    import_coverage: dict[str, list[Any]] = field(default_factory=dict)
    mutants: dict[str, MutantSet] = field(default_factory=dict)

    @classmethod
    def make(cls, path: Sequence[str], plugins: Sequence[str], cover: str | None,
             import_coverage: dict[str, list[Any]], mains: Sequence[str] = ()) -> ServerState:
        own = set(filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)))
        return cls(base_path=[p for p in path if p not in own], plugins=tuple(plugins),
                   mains=frozenset(mains),
                   pytest_main=os.path.join(os.path.dirname(pytest.__file__), "__main__.py"),
                   warm_modules=frozenset(sys.modules), warnings_filters=list(warnings.filters),
                   cover=cover, import_coverage=import_coverage)


def cpu_limit(cpu_s: float) -> int:
    """RLIMIT_CPU counts whole seconds: the soft limit for a budget of ``cpu_s``."""
    return max(1, math.ceil(float(cpu_s)))


def limits(values: Mapping[str, Any]) -> None:
    if values.get("cpu_s"):
        soft = cpu_limit(values["cpu_s"])
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    for key, which in (("memory_mb", resource.RLIMIT_AS), ("fsize_mb", resource.RLIMIT_FSIZE)):
        if values.get(key):
            size = int(values[key]) * 1024 * 1024
            resource.setrlimit(which, (size, size))
    if values.get("nproc"):
        resource.setrlimit(resource.RLIMIT_NPROC, (int(values["nproc"]),) * 2)


def standard_streams(ctrl: str) -> None:
    for sig in _DEFAULT_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as Python sets it at start-up
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    opened = [os.open(os.devnull, os.O_RDONLY), os.open(os.path.join(ctrl, "stdout"), flags, 0o600),
              os.open(os.path.join(ctrl, "stderr"), flags, 0o600)]
    for target, fd in enumerate(map(_above_streams, opened)):
        os.dup2(fd, target)
        os.close(fd)


def _above_streams(fd: int) -> int:
    """``fd`` moved above 2 (the server's stdin is closed: a file opened now may get 0)."""
    if fd > 2:
        return fd
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 3)
    os.close(fd)
    return moved


def interpreter(request: Mapping[str, Any], state: ServerState, program: str) -> None:
    """The process-wide settings a fresh interpreter would take from the environment."""
    env = request.get("env") or {}
    os.environ.clear()
    os.environ.update(env)
    os.chdir(request["cwd"])
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [os.getcwd(), *extra, *state.base_path]
    sys.argv = [program, *request["args"]]
    sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
    sys.pycache_prefix = env.get("PYTHONPYCACHEPREFIX") or None
    warnings.filters[:] = state.warnings_filters  # type: ignore[index]
    tempfile.tempdir = None
    random.seed()  # otherwise every child would draw the server's numbers
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:
        return
    set_hypothesis_home_dir(env.get("HYPOTHESIS_STORAGE_DIRECTORY"))


def configure_plugins(state: ServerState) -> None:
    environ = dict(os.environ)
    cover = environ.get("TTA_SANDBOX_COVER")
    if state.import_coverage and cover and state.cover and (
            os.path.realpath(cover) == os.path.realpath(state.cover)):
        environ["TTA_SANDBOX_COVER_BASE"] = json.dumps(state.import_coverage)
    for name in state.plugins:
        configure = getattr(importlib.import_module(name), "configure", None)
        if callable(configure):
            configure(environ)


def quiet_rewrite_warning(warm: frozenset[str]) -> None:
    """pytest warns that a plugin module imported before it cannot be rewritten; for the
    modules the server imported that is by design (a filterwarnings=error would fail runs)."""
    try:
        from _pytest.assertion.rewrite import AssertionRewritingHook
    except ImportError:
        return
    warn = AssertionRewritingHook._warn_already_imported

    def unless_warm(hook: AssertionRewritingHook, name: str) -> None:
        if name not in warm:
            warn(hook, name)

    AssertionRewritingHook._warn_already_imported = unless_warm  # type: ignore[method-assign,assignment]


class Phases:
    """A pytest plugin object: when the run's phases happened; at unconfigure, before any
    other plugin's, it writes them (with the mutant switch) to the control folder."""

    def __init__(self, forked: float, ctrl: str) -> None:
        self.times = {"fork": forked}
        self.ctrl = ctrl
        self.activation: dict[str, Any] | None = None
        self.aliases: Callable[[], list[str]] = list

    def restart(self, ctrl: str, activation: dict[str, Any] | None,
                aliases: Callable[[], list[str]]) -> None:
        """From now on, the times and the switch of another run (a job forked after the
        collection, ``batch.py``), written to its own control folder."""
        self.times = {"fork": time.monotonic()}
        self.ctrl = ctrl
        self.activation = activation
        self.aliases = aliases

    def pytest_sessionstart(self) -> None:
        self.times["session"] = time.monotonic()

    def pytest_collection_finish(self) -> None:
        self.times["collected"] = time.monotonic()

    def pytest_sessionfinish(self) -> None:
        self.times["finished"] = time.monotonic()

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self) -> None:
        if self.activation is not None:
            self.activation["aliases"] = self.aliases()
        self.times["end"] = time.monotonic()
        timing = {k: round(v - self.times["fork"], 4) for k, v in self.times.items()}
        with open(os.path.join(self.ctrl, TIMING_FILE), "w", encoding="utf-8") as handle:
            json.dump({"timing": timing, "activation": self.activation}, handle)


def run(request: Mapping[str, Any], state: ServerState) -> int:
    """Set up the run, switch the mutant in, run pytest; its exit status."""
    phases = Phases(time.monotonic(), request["ctrl"])
    atexit._clear()  # the server's handlers: a fresh process would not have them
    standard_streams(phases.ctrl)
    limits(request.get("limits") or {})
    interpreter(request, state, state.pytest_main)
    configure_plugins(state)
    mutant = request.get("mutant")
    switched = state.mutants[mutant["set"]] if mutant is not None else None
    if switched is not None and mutant is not None:
        phases.activation = switched.activate(int(mutant["index"]))
        active = sys.modules.get(switched.module)
        again = switched.watch()
        phases.aliases = lambda: [*switched.aliases(active), *again]
    quiet_rewrite_warning(state.warm_modules)
    phases.times["ready"] = time.monotonic()
    code = int(pytest.main(list(request["args"]), plugins=[phases]))
    atexit._run_exitfuncs()  # the run's own handlers, as at a fresh process's exit
    return code


def plain(request: Mapping[str, Any], state: ServerState) -> int:
    """``python -m coverage ARGS`` (gate 8's plain re-check, ``validate/confirm.py``), in a
    server that loaded no tta-ci plugin: the same set-up as a run, then coverage's own
    command line; its exit status."""
    if state.plugins:
        raise ValueError("a plain run needs a server without tta-ci's plugin")
    atexit._clear()
    standard_streams(request["ctrl"])
    limits(request.get("limits") or {})
    interpreter(request, state, "coverage")
    import coverage.cmdline

    code = coverage.cmdline.main(list(request["args"]))
    atexit._run_exitfuncs()
    return int(code or 0)


def main(request: Mapping[str, Any], state: ServerState) -> int:
    """``python -m MODULE ARGS`` for a module the server was started to serve (``--main``):
    the same set-up as a run, then ``MODULE.main(args)``; its exit status."""
    atexit._clear()
    standard_streams(request["ctrl"])
    module = str(request.get("module"))
    if module not in state.mains:
        raise ValueError(f"{module} is not a module this server runs")
    limits(request.get("limits") or {})
    interpreter(request, state, module)
    code = importlib.import_module(module).main(list(request["args"]))
    atexit._run_exitfuncs()
    return int(code or 0)
