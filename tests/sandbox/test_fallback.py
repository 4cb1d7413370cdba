"""tta_ci.sandbox.fallback and its reaper: what the weak sandbox still holds when the
configuration names it: no stray process survives, no capability, no parent's environment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tta_ci.sandbox import fallback
from tta_ci.sandbox.isolation import run_sandboxed

pytestmark = pytest.mark.slow
SECRET = "sk-or-v1-fallback-secret-0123456"


def run_py(code: str, workdir: Path, **kwargs: object) -> object:
    return asyncio.run(run_sandboxed([sys.executable, "-c", textwrap.dedent(code)],
                                     workdir=workdir, environ={"PATH": os.defpath},
                                     isolation="fallback", **{"timeout_s": 20.0, **kwargs}))


@pytest.mark.parametrize(("after", "timeout_s"), [
    pytest.param("print('parent done')", 20.0, id="the-command-ends"),
    pytest.param("time.sleep(60)", 1.0, id="the-command-times-out"),
])
def test_a_double_forked_setsid_daemon_dies_with_the_run(tmp_path: Path, after: str,
                                                         timeout_s: float) -> None:
    marker = tmp_path / "daemon-alive"
    result = run_py(f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(2)
                open({str(marker)!r}, 'w').write('still here')
            os._exit(0)
        {after}
    """, tmp_path, timeout_s=timeout_s)
    assert result.timed_out == (timeout_s < 2)  # type: ignore[attr-defined]
    time.sleep(3)
    assert not marker.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root has capabilities to drop")
def test_as_root_the_command_has_no_capability_or_runs_as_nobody(tmp_path: Path) -> None:
    result = run_py("""
        import os
        caps = [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')]
        print(os.getuid(), caps[0])
    """, tmp_path)
    uid, caps = result.stdout.split()  # type: ignore[attr-defined]
    assert uid == str(fallback.NOBODY) or int(caps, 16) == 0


def test_the_parent_environment_is_out_of_reach(tmp_path: Path) -> None:
    """tta-ci started with the secret in its environment: no /proc/*/environ shows it."""
    probe = textwrap.dedent("""
        import os
        found = []
        for pid in os.listdir('/proc'):
            try:
                if b'fallback-secret' in open(f'/proc/{pid}/environ', 'rb').read():
                    found.append(pid)
            except OSError:
                pass
        print(found)
    """)
    driver = textwrap.dedent(f"""
        import asyncio, os, pathlib, sys
        from tta_ci.sandbox.isolation import run_sandboxed
        r = asyncio.run(run_sandboxed([sys.executable, '-c', {probe!r}],
            workdir=pathlib.Path({str(tmp_path)!r}), environ=dict(os.environ), timeout_s=20,
            isolation='fallback'))
        print(r.stdout.strip(), r.stderr)
    """)
    done = subprocess.run([sys.executable, "-c", driver], env={"PATH": os.defpath,
                          "OPENROUTER_API_KEY": SECRET}, capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split()[0] == "[]", done.stdout
