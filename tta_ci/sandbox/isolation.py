"""Run untrusted code (generated tests, PR code) where nothing secret is reachable.

Two isolation levels, chosen by ``isolation_level(config)``:

* ``bwrap`` — bubblewrap with the view of ``view.py``: no network, its own PID namespace, no
  capability, and of the file system only the system and interpreter paths (read-only), the
  workspace, a private home and the folders the caller names.
* ``fallback`` — only when the configuration names it (``sandbox = "fallback"``); see
  ``fallback.py``. The summary, the PR comment and the console say so on every run.

It fails closed: otherwise bubblewrap must work here (as root, without a user namespace if
need be), or ``isolation_level`` stops the run with one line saying what to install or set
(``SandboxUnavailable``, exit 2: the machine's configuration, fixed by the user).

``sandbox_command`` builds the command line and environment of one sandboxed process;
``sandboxed_process`` starts one with pipes (for a long-lived process), and ``run_sandboxed``
runs one to the end under a wall-clock timeout with its output capped. All of them, at every
level, end by killing what the command left running. Under bubblewrap, the machine's shared
caches (``caches.py``: bytecode, Hypothesis's tables) are mounted read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tta_ci.core.config import Config
from tta_ci.core.errors import SandboxError, SandboxUnavailable
from tta_ci.core.scratch import scratch_dir
from tta_ci.core.secrets import scrubbed_env
from tta_ci.sandbox import fallback, view
from tta_ci.sandbox.caches import SharedCaches, machine_caches

__all__ = [
    "OUTPUT_CAP",
    "BwrapProbe",
    "SandboxCommand",
    "SandboxResult",
    "bwrap_works",
    "isolation_level",
    "probe_bwrap",
    "run_sandboxed",
    "sandbox_command",
    "sandbox_env",
    "sandboxed_process",
]

OUTPUT_CAP = 1024 * 1024  # bytes kept of stdout and of stderr
ALLOWED_ENV = frozenset(
    {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONHASHSEED", "PYTHONPATH",
     "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONIOENCODING", "TERM"}
)
ALLOWED_PREFIXES = ("TTA_SANDBOX_", "COVERAGE_", "HYPOTHESIS_")
NET_ENV = frozenset({"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy",
                     "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"})
_STREAM_LIMIT = 16 * 1024 * 1024  # longest line a long-lived process's pipe may hold
_READ_CHUNK = 65536
_DRAIN_GRACE_S = 2.0
_STOP_GRACE_S = 2.0
_KILLED_WAIT_S = 30.0  # a killed process that is still not reaped: never wait for ever
FIX_HINT = ("on Ubuntu 24.04 allow it with `sudo sysctl -w "
            "kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile that lets "
            "bwrap create user namespaces (the tta-ci Action does this itself)")
FALLBACK_HINT = 'or set sandbox = "fallback" in the configuration to accept the weak sandbox'


@dataclass(frozen=True)
class SandboxResult:
    """What a sandboxed process did. ``returncode`` is negative when a signal ended it."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float
    isolation: str
    truncated: bool = False


@dataclass(frozen=True)
class BwrapProbe:
    """Whether bubblewrap can build its sandbox here, in which form, and if not, why."""

    ok: bool
    form: str = "userns"
    detail: str = ""


def _try_bwrap(exe: str, form: str) -> str | None:
    """None when ``form`` works, else bwrap's first line of complaint."""
    with scratch_dir("probe-") as home:
        argv = view.bwrap_argv(["true"], bwrap=exe, workdir=home, home=home, form=form)
        try:
            done = subprocess.run(argv, capture_output=True, timeout=20, check=False,
                                  env={"PATH": os.defpath})
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
    if done.returncode == 0:
        return None
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    return lines[0] if lines else f"bwrap exited with status {done.returncode}"


@functools.cache
def probe_bwrap() -> BwrapProbe:
    """Check once whether ``bwrap`` builds the sandbox: with a user namespace, else (as root)
    without one."""
    exe = shutil.which("bwrap")
    if exe is None:
        return BwrapProbe(ok=False, detail="missing")
    detail = _try_bwrap(exe, "userns")
    if detail is None:
        return BwrapProbe(ok=True, form="userns")
    if os.geteuid() == 0 and _try_bwrap(exe, "root") is None:
        return BwrapProbe(ok=True, form="root")
    return BwrapProbe(ok=False, detail=detail)


def bwrap_works() -> bool:
    return probe_bwrap().ok


def unavailable_message(probe: BwrapProbe) -> str:
    if probe.detail == "missing":
        return ("bubblewrap (bwrap) is not installed, and tta-ci does not run untrusted code "
                "without it: install it (`sudo apt-get install -y bubblewrap`), "
                + FALLBACK_HINT)
    return (f"bubblewrap cannot build its sandbox ({probe.detail}), and tta-ci does not run "
            f"untrusted code without it: {FIX_HINT}; {FALLBACK_HINT}")


def isolation_level(config: Config) -> Literal["bwrap", "fallback"]:
    """``fallback`` when the configuration names it; otherwise bubblewrap, which must work."""
    if config.sandbox == "fallback":
        return "fallback"
    probe = probe_bwrap()
    if not probe.ok:
        raise SandboxUnavailable(unavailable_message(probe))
    return "bwrap"


# -- one sandboxed process ----------------------------------------------------------------


def sandbox_env(environ: Mapping[str, str], *, home: Path) -> dict[str, str]:
    """The environment a sandboxed process gets: no secret, only an allowlist."""
    clean = scrubbed_env(environ)
    env = {k: v for k, v in clean.items() if k in ALLOWED_ENV or k.startswith(ALLOWED_PREFIXES)}
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    env.setdefault("PYTHONHASHSEED", "0")
    env["HOME"] = env["TMPDIR"] = str(home)
    # Hypothesis keeps its example database and caches here, not in the workspace
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(home / ".hypothesis")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@dataclass(frozen=True)
class SandboxCommand:
    """How to start one sandboxed process: its command line, environment and rlimits."""

    argv: tuple[str, ...]
    env: dict[str, str]
    isolation: str
    preexec: Callable[[], None] | None = None


def sandbox_command(
    argv: Sequence[str],
    *,
    workdir: Path,
    home: Path,
    environ: Mapping[str, str],
    isolation: str,
    writable: Sequence[Path] = (),
    share_net: bool = False,
    extra_env: Mapping[str, str] | None = None,
    caches: SharedCaches | None = None,
    pass_fds: Sequence[int] = (),
    timeout_s: float = 600.0,
    memory_mb: int = 2048,
    sealed: bool = False,
) -> SandboxCommand:
    """The command that runs ``argv`` in ``workdir`` under ``isolation``, with ``home`` (an
    empty folder of the caller's) as its private home and temp folder. ``extra_env`` adds
    variables the caller knows to hold no secret; ``share_net`` keeps the network; the shared
    ``caches`` are mounted read-only (bubblewrap only); ``pass_fds`` are descriptors the
    command inherits besides 0/1/2 (the fallback's reaper passes them on);
    ``sealed``: nothing but ``home`` and ``writable`` can be written, ``workdir`` included
    (bubblewrap only)."""
    env = sandbox_env(environ, home=home)
    if share_net:
        env.update({k: v for k, v in scrubbed_env(environ).items() if k in NET_ENV})
    env.update(extra_env or {})
    if isolation == "bwrap":
        probe = probe_bwrap()
        if not probe.ok:
            raise SandboxUnavailable(unavailable_message(probe))
        readonly: tuple[Path, ...] = ()
        if caches is not None:
            caches.apply(env)
            readonly = caches.readonly()
        cmd = view.bwrap_argv(argv, bwrap=shutil.which("bwrap") or "bwrap", workdir=workdir,
                              home=home, writable=writable, readonly=readonly,
                              share_net=share_net, form=probe.form,
                              sealed=sealed)
        return SandboxCommand(tuple(cmd), env, isolation,
                              fallback.limits(timeout_s, memory_mb, nproc=False))
    if isolation != "fallback":
        raise SandboxError(f"unknown isolation {isolation!r}; use 'bwrap' or 'fallback'")
    if sealed:
        raise SandboxError("a sealed sandbox needs bubblewrap")
    if not share_net:
        site = home / ".tta-site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(fallback.SITECUSTOMIZE, encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    cmd = fallback.fallback_argv(argv, writable=[workdir, home, *writable], pass_fds=pass_fds)
    return SandboxCommand(tuple(cmd), env, isolation, fallback.limits(timeout_s, memory_mb))


async def _stop(proc: asyncio.subprocess.Process, isolation: str) -> None:
    """End the process and whatever it started: the reaper kills its tree on SIGTERM;
    bubblewrap's PID namespace dies with its first process."""
    if proc.returncode is None and isolation == "fallback":
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), timeout=_STOP_GRACE_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        proc.kill()  # itself too: should it lead no process group, the above missed it
    try:
        await asyncio.wait_for(proc.wait(), timeout=_KILLED_WAIT_S)
    except TimeoutError:
        raise SandboxError(f"process {proc.pid} ({proc.returncode}) did not end after "
                           f"SIGKILL within {_KILLED_WAIT_S:g}s") from None


@contextlib.asynccontextmanager
async def sandboxed_process(
    argv: Sequence[str], *, workdir: Path, environ: Mapping[str, str], isolation: str,
    stdin: int = subprocess.PIPE, pass_fds: Sequence[int] = (), **options: Any,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A sandboxed process with pipes (a long-lived one too: the warm interpreter, the
    OpenHands worker), stopped with all it started when the block ends. ``pass_fds``:
    descriptors it inherits besides 0/1/2. ``options``: ``writable``, ``share_net``,
    ``extra_env``, ``caches``, ``timeout_s`` and ``memory_mb``, as ``sandbox_command`` takes
    them; its home is made and removed here."""
    with scratch_dir("sbx-") as home:
        command = sandbox_command(argv, workdir=workdir, home=home, environ=environ,
                                  isolation=isolation, pass_fds=pass_fds, **options)
        starting = asyncio.ensure_future(asyncio.create_subprocess_exec(
            *command.argv, cwd=workdir, env=command.env, stdin=stdin,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=command.preexec, limit=_STREAM_LIMIT, pass_fds=tuple(pass_fds)))
        try:
            proc = await asyncio.shield(starting)
        except OSError as exc:
            raise SandboxError(f"cannot start {command.argv[0]}: {exc}") from exc
        except asyncio.CancelledError:
            # cancelled while the process starts: asyncio's own clean-up of a half-made
            # subprocess can wait for ever; let the start finish (milliseconds), then stop it
            with contextlib.suppress(Exception):
                await _stop(await starting, isolation)
            raise
        try:
            yield proc
        finally:
            await _stop(proc, isolation)


async def _read_capped(stream: asyncio.StreamReader | None, cap: int) -> tuple[bytes, bool]:
    if stream is None:
        return b"", False
    kept = bytearray()
    truncated = False
    while chunk := await stream.read(_READ_CHUNK):
        room = cap - len(kept)
        kept += chunk[:room]
        truncated = truncated or len(chunk) > room
    return bytes(kept), truncated


async def _finish_readers(readers: Sequence[asyncio.Task[tuple[bytes, bool]]]
                          ) -> list[tuple[bytes, bool]]:
    done, pending = await asyncio.wait(readers, timeout=_DRAIN_GRACE_S)
    for task in pending:
        task.cancel()
    return [t.result() if t in done else (b"", True) for t in readers]


async def run_sandboxed(
    argv: Sequence[str],
    *,
    workdir: Path,
    environ: Mapping[str, str],
    timeout_s: float,
    isolation: str,
    writable: Sequence[Path] = (),
    memory_mb: int = 2048,
) -> SandboxResult:
    """Run ``argv`` in ``workdir`` under ``isolation`` ("bwrap" or "fallback") to its end."""
    if isolation not in ("bwrap", "fallback"):
        raise SandboxError(f"unknown isolation {isolation!r}; use 'bwrap' or 'fallback'")
    caches = await machine_caches(environ, isolation)
    start = time.monotonic()
    timed_out = False
    async with sandboxed_process(argv, workdir=workdir, environ=environ, isolation=isolation,
                                 writable=writable, caches=caches, timeout_s=timeout_s,
                                 memory_mb=memory_mb, stdin=subprocess.DEVNULL) as proc:
        readers = [asyncio.ensure_future(_read_capped(s, OUTPUT_CAP))
                   for s in (proc.stdout, proc.stderr)]
        try:
            await asyncio.wait_for(proc.wait(), timeout=timeout_s)
        except TimeoutError:
            timed_out = True
        finally:
            await _stop(proc, isolation)
        (out, cut_out), (err, cut_err) = await _finish_readers(readers)
    return SandboxResult(
        returncode=proc.returncode if proc.returncode is not None else -9,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
        timed_out=timed_out,
        duration_s=time.monotonic() - start,
        isolation=isolation,
        truncated=cut_out or cut_err,
    )
