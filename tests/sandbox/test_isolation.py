"""tta_ci.sandbox.isolation: what a sandboxed process can see, reach and write, under each
isolation level."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tta_ci.core.config import Config
from tta_ci.core.errors import SandboxError, SandboxUnavailable
from tta_ci.sandbox import isolation as sandbox
from tta_ci.sandbox.isolation import OUTPUT_CAP, isolation_level, run_sandboxed

SECRET = "sk-or-v1-very-secret-value-123456"
LEVELS = ["fallback"] + (["bwrap"] if sandbox.bwrap_works() else [])
needs_bwrap = pytest.mark.skipif(not sandbox.bwrap_works(), reason="bubblewrap cannot run here")


def run_py(code: str, workdir: Path, isolation: str, **kwargs: object) -> sandbox.SandboxResult:
    environ = {"PATH": "/usr/bin:/bin", "OPENROUTER_API_KEY": SECRET, "GITHUB_TOKEN": SECRET}
    options: dict[str, object] = {"timeout_s": 20.0, **kwargs}
    return asyncio.run(run_sandboxed([sys.executable, "-c", textwrap.dedent(code)],
                                     workdir=workdir, environ=environ, isolation=isolation,
                                     **options))  # type: ignore[arg-type]


@needs_bwrap
def test_isolation_level_follows_config() -> None:
    assert isolation_level(Config(sandbox="fallback")) == "fallback"
    assert isolation_level(Config(sandbox="auto")) == "bwrap"
    assert isolation_level(Config(sandbox="bwrap")) == "bwrap"


@pytest.fixture
def no_bwrap_probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The probe forgotten before and after: each test sees the PATH it sets up."""
    sandbox.probe_bwrap.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    sandbox.probe_bwrap.cache_clear()


@pytest.mark.parametrize("level", ["auto", "bwrap"])
def test_without_bwrap_it_fails_closed_with_one_line(
    no_bwrap_probe: pytest.MonkeyPatch, tmp_path: Path, level: str
) -> None:
    no_bwrap_probe.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxUnavailable, match="bubblewrap \\(bwrap\\) is not installed") as info:
        isolation_level(Config(sandbox=level))  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and "apt-get install -y bubblewrap" in message
    assert 'sandbox = "fallback"' in message and info.value.exit_code == 2
    assert isolation_level(Config(sandbox="fallback")) == "fallback"


def test_a_bwrap_that_cannot_make_namespaces_stops_the_run(
    no_bwrap_probe: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What GitHub's ubuntu-24.04 runners do while AppArmor restricts user namespaces."""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\n"
                    "exit 1\n")
    fake.chmod(0o755)
    no_bwrap_probe.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    probe = sandbox.probe_bwrap()
    assert not probe.ok and probe.detail == "bwrap: setting up uid map: Permission denied"
    with pytest.raises(SandboxUnavailable) as info:
        isolation_level(Config())
    message = str(info.value)
    assert message.startswith("bubblewrap cannot build its sandbox (bwrap: setting up uid map: "
                              "Permission denied)")
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in message and "\n" not in message


@pytest.mark.slow
@pytest.mark.parametrize("isolation", LEVELS)
def test_secrets_do_not_reach_the_environment(tmp_path: Path, isolation: str) -> None:
    result = run_py("import os; print(sorted(os.environ)); print(os.environ.get('HOME'))",
                    tmp_path, isolation)
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout
    assert "OPENROUTER_API_KEY" not in result.stdout and "GITHUB_TOKEN" not in result.stdout
    assert result.isolation == isolation
    assert str(Path.home()) not in result.stdout.splitlines()[-1]


@pytest.mark.slow
@needs_bwrap
def test_bwrap_hides_the_parents_environ_in_proc(tmp_path: Path) -> None:
    """A sandboxed process cannot read /proc/<ppid>/environ of the tta-ci process."""
    probe = textwrap.dedent("""
        import os, pathlib
        found = []
        for pid in [os.getppid()] + [p.name for p in pathlib.Path('/proc').iterdir()]:
            try:
                found.append(pathlib.Path(f'/proc/{pid}/environ').read_bytes())
            except OSError:
                pass
        print(len(found), b'very-secret' in b''.join(found))
    """)
    driver = textwrap.dedent(f"""
        import asyncio, pathlib, sys
        from tta_ci.sandbox.isolation import run_sandboxed
        r = asyncio.run(run_sandboxed([sys.executable, '-c', {probe!r}],
            workdir=pathlib.Path({str(tmp_path)!r}), environ=dict(__import__('os').environ),
            timeout_s=20, isolation='bwrap'))
        print(r.stdout, r.stderr)
    """)
    env = {"PATH": "/usr/bin:/bin", "OPENROUTER_API_KEY": SECRET}
    done = subprocess.run([sys.executable, "-c", driver], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    count, leaked = done.stdout.split()[:2]
    assert int(count) >= 1  # the probe could read its own namespace's environ files
    assert leaked == "False"


@pytest.mark.slow
@pytest.mark.parametrize("isolation", LEVELS)
def test_no_connection_to_a_local_listener(tmp_path: Path, isolation: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = run_py(f"""
            import socket
            try:
                socket.create_connection(('127.0.0.1', {port}), timeout=3)
                print('connected')
            except OSError as exc:
                print('blocked', type(exc).__name__)
        """, tmp_path, isolation)
    assert result.stdout.startswith("blocked"), result.stdout + result.stderr


@pytest.mark.slow
@needs_bwrap
def test_bwrap_only_workdir_and_temp_are_writable(tmp_path: Path) -> None:
    work, other = tmp_path / "work", tmp_path / "other"
    work.mkdir()
    other.mkdir()
    result = run_py(f"""
        import os, pathlib, tempfile
        pathlib.Path('inside.txt').write_text('ok')
        pathlib.Path(tempfile.gettempdir(), 't.txt').write_text('ok')
        try:
            pathlib.Path({str(other)!r}, 'x.txt').write_text('no')
            print('wrote outside')
        except OSError:
            print('read-only outside')
    """, work, "bwrap")
    assert result.stdout.strip() == "read-only outside", result.stderr
    assert (work / "inside.txt").read_text() == "ok"
    assert list(other.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("isolation", LEVELS)
def test_timeout_kills_the_whole_process_group(tmp_path: Path, isolation: str) -> None:
    marker = tmp_path / "alive"
    start = time.monotonic()
    result = run_py(f"""
        import subprocess, time
        subprocess.Popen(['sh', '-c', 'sleep 2; touch {marker}'])
        time.sleep(60)
    """, tmp_path, isolation, timeout_s=1.0)
    assert result.timed_out
    assert time.monotonic() - start < 10
    time.sleep(2.5)
    assert not marker.exists()


@pytest.mark.slow
@pytest.mark.parametrize("isolation", LEVELS)
def test_output_is_capped(tmp_path: Path, isolation: str) -> None:
    result = run_py("import sys; sys.stdout.write('x' * 3_000_000); print('end')",
                    tmp_path, isolation)
    assert result.returncode == 0
    assert len(result.stdout) == OUTPUT_CAP
    assert result.truncated


@pytest.mark.slow
def test_fallback_memory_limit(tmp_path: Path) -> None:
    result = run_py("b = bytearray(1024 * 1024 * 1024)\nprint('allocated')", tmp_path,
                    "fallback", memory_mb=256)
    assert result.returncode != 0
    assert "MemoryError" in result.stderr


def test_unknown_isolation_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="unknown isolation"):
        run_py("pass", tmp_path, "docker")
