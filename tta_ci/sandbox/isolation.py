"""Run untrusted code (generated tests, PR code) away from the user's checkout and secrets.

Two isolation levels:

* ``bwrap`` — bubblewrap: read-only root, no network, own PID namespace, cleared environment,
  only the workspace, a private temp dir and the ``writable`` paths are writable.
* ``fallback`` — where bubblewrap is missing: a scrubbed environment, rlimits (CPU, memory,
  processes, file size), its own process group, and a ``sitecustomize`` that refuses
  internet sockets.

Both: a wall-clock timeout, the whole process group killed at the end, output capped.

``sandbox_command`` builds the command line and environment of one sandboxed process;
``sandboxed_process`` starts one with pipes (a long-lived one too: the warm interpreter, the
OpenHands worker); ``run_sandboxed`` runs one to its end. Under bubblewrap, the machine's
shared caches (``caches.py``: bytecode, Hypothesis's tables) are mounted read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tta_ci.core.config import Config
from tta_ci.core.errors import SandboxError
from tta_ci.core.secrets import scrubbed_env
from tta_ci.sandbox.caches import SharedCaches, machine_caches

__all__ = [
    "OUTPUT_CAP",
    "SandboxCommand",
    "SandboxResult",
    "bwrap_works",
    "isolation_level",
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

_SITECUSTOMIZE = '''\
"""Installed by tta-ci's fallback sandbox: no internet sockets."""
import socket as _socket

_REAL = _socket.socket
_BLOCKED = {_socket.AF_INET, _socket.AF_INET6}


class _GuardedSocket(_REAL):
    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is None and (family == -1 or family in _BLOCKED):
            raise PermissionError("network access is disabled in the tta-ci sandbox")
        super().__init__(family, type, proto, fileno)


_socket.socket = _GuardedSocket
'''


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


@functools.cache
def bwrap_works() -> bool:
    """Whether ``bwrap`` is on PATH and can build a sandbox here (checked once)."""
    exe = shutil.which("bwrap")
    if exe is None:
        return False
    argv = [exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all",
            "--die-with-parent", "--clearenv", "true"]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def isolation_level(config: Config) -> Literal["bwrap", "fallback"]:
    """The isolation that ``config.sandbox`` asks for and this machine can give."""
    if config.sandbox == "fallback":
        return "fallback"
    if bwrap_works():
        return "bwrap"
    if config.sandbox == "bwrap":
        raise SandboxError(
            "sandbox = 'bwrap' but bubblewrap is missing or cannot run here; "
            "install bubblewrap or set sandbox = 'auto'"
        )
    return "fallback"


# -- running ------------------------------------------------------------------------------


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


def _interpreter_prefixes() -> list[str]:
    """Where the running Python and its packages live, when the private ``/tmp`` would hide it.

    An interpreter or a checkout under ``/tmp`` (a ``pre-commit try-repo`` environment, a CI
    clone with an editable install) must stay readable inside the sandbox.
    """
    package_root = str(Path(__file__).resolve().parents[2])  # the folder holding tta_ci/
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, package_root, *sys.path}
    under_tmp = sorted(
        str(Path(p).resolve())
        for p in candidates
        if p and Path(p).is_absolute() and Path(p).resolve().is_relative_to("/tmp")
        and Path(p).resolve() != Path("/tmp") and Path(p).exists()
    )
    kept: list[str] = []
    for path in under_tmp:  # sorted: a parent comes before its children
        if not any(Path(path).is_relative_to(parent) for parent in kept):
            kept.append(path)
    return kept


def _bwrap_argv(argv: Sequence[str], workdir: Path, tmp: Path, env: Mapping[str, str],
                writable: Sequence[Path], readonly: Sequence[Path] = (),
                share_net: bool = False) -> list[str]:
    exe = shutil.which("bwrap") or "bwrap"
    cmd = [exe, "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--dev", "/dev", "--proc", "/proc"]
    for prefix in _interpreter_prefixes():  # an interpreter under /tmp (pre-commit try-repo)
        cmd += ["--ro-bind", prefix, prefix]
    for seen in readonly:  # after the private /tmp, which would hide one under it
        cmd += ["--ro-bind", str(seen), str(seen)]
    for path in dict.fromkeys(str(p) for p in (workdir, tmp, *writable)):
        cmd += ["--bind", path, path]
    cmd += ["--unshare-all", *(["--share-net"] if share_net else []), "--die-with-parent",
            "--new-session", "--clearenv"]
    for key, value in sorted(env.items()):
        cmd += ["--setenv", key, value]
    return [*cmd, "--chdir", str(workdir), "--", *argv]


def _limits(timeout_s: float, memory_mb: int, nproc: bool) -> Callable[[], None]:
    def apply() -> None:
        cpu = int(timeout_s) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        mem = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        size = 512 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        if nproc:
            resource.setrlimit(resource.RLIMIT_NPROC, (1024, 1024))

    return apply


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
    readonly: Sequence[Path] = (),
    share_net: bool = False,
    extra_env: Mapping[str, str] | None = None,
    caches: SharedCaches | None = None,
    timeout_s: float = 600.0,
    memory_mb: int = 2048,
) -> SandboxCommand:
    """The command that runs ``argv`` in ``workdir`` under ``isolation``, with ``home`` (an
    empty folder of the caller's) as its private home and temp folder. ``extra_env`` adds
    variables the caller knows to hold no secret; ``share_net`` keeps the network;
    ``readonly`` paths and the shared ``caches`` are mounted read-only (bubblewrap only)."""
    env = sandbox_env(environ, home=home)
    if share_net:
        env.update({k: v for k, v in scrubbed_env(environ).items() if k in NET_ENV})
    env.update(extra_env or {})
    if isolation == "bwrap":
        if caches is not None:
            caches.apply(env)
            readonly = [*readonly, *caches.readonly()]
        cmd = _bwrap_argv(argv, workdir, home, env, writable, readonly, share_net)
        return SandboxCommand(tuple(cmd), {"PATH": env["PATH"]}, isolation,
                              _limits(timeout_s, memory_mb, nproc=False))
    if isolation != "fallback":
        raise SandboxError(f"unknown isolation {isolation!r}; use 'bwrap' or 'fallback'")
    if not share_net:
        site = home / ".tta-site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return SandboxCommand(tuple(argv), env, isolation, _limits(timeout_s, memory_mb, nproc=True))


@contextlib.asynccontextmanager
async def sandboxed_process(
    argv: Sequence[str], *, workdir: Path, environ: Mapping[str, str], isolation: str,
    stdin: int = subprocess.PIPE, pass_fds: Sequence[int] = (), **options: Any,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A sandboxed process with pipes (a long-lived one too), its whole process group killed
    when the block ends. ``pass_fds``: descriptors it inherits besides 0/1/2. ``options``:
    ``writable``, ``readonly``, ``share_net``, ``extra_env``, ``caches``, ``timeout_s`` and
    ``memory_mb``, as ``sandbox_command`` takes them; its home is made and removed here."""
    with tempfile.TemporaryDirectory(prefix="tta-ci-sbx-") as home_name:
        command = sandbox_command(argv, workdir=workdir, home=Path(home_name), environ=environ,
                                  isolation=isolation, **options)
        try:
            proc = await asyncio.create_subprocess_exec(
                *command.argv, cwd=workdir, env=command.env, stdin=stdin,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                preexec_fn=command.preexec, limit=_STREAM_LIMIT, pass_fds=tuple(pass_fds))
        except OSError as exc:
            raise SandboxError(f"cannot start {command.argv[0]}: {exc}") from exc
        try:
            yield proc
        finally:
            _kill_group(proc.pid)
            await proc.wait()


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


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


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
    """Run ``argv`` in ``workdir`` under ``isolation`` ("bwrap" or "fallback")."""
    if isolation not in ("bwrap", "fallback"):
        raise SandboxError(f"unknown isolation {isolation!r}; use 'bwrap' or 'fallback'")
    caches = await machine_caches(environ, isolation)
    with tempfile.TemporaryDirectory(prefix="tta-ci-sbx-") as tmp_name:
        command = sandbox_command(argv, workdir=workdir, home=Path(tmp_name), environ=environ,
                                  isolation=isolation, writable=writable, caches=caches,
                                  timeout_s=timeout_s, memory_mb=memory_mb)
        return await _run(command.argv, workdir, command.env, timeout_s, isolation,
                          command.preexec)


async def _run(cmd: Sequence[str], workdir: Path, env: Mapping[str, str], timeout_s: float,
               isolation: str, preexec: Callable[[], None] | None) -> SandboxResult:
    start = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd, cwd=workdir, env=dict(env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=preexec,
        )
    except OSError as exc:
        raise SandboxError(f"cannot start {cmd[0]}: {exc}") from exc
    readers = [asyncio.ensure_future(_read_capped(s, OUTPUT_CAP))
               for s in (proc.stdout, proc.stderr)]
    timed_out = False
    try:
        await asyncio.wait_for(proc.wait(), timeout=timeout_s)
    except TimeoutError:
        timed_out = True
    finally:
        _kill_group(proc.pid)
        await proc.wait()
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
