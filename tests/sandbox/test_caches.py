"""tta_ci.sandbox.caches: the machine's bytecode and Hypothesis caches, filled by the host once
and read-only in every bubblewrap sandbox."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

import pytest

from tta_ci.sandbox import caches
from tta_ci.sandbox.isolation import bwrap_works, run_sandboxed

pytestmark = pytest.mark.slow
needs_bwrap = pytest.mark.skipif(not bwrap_works(), reason="bubblewrap cannot run here")

PROBE = textwrap.dedent('''\
    import os, sys
    import pytest
    import mod
    print("prefix", sys.pycache_prefix)
    print("dont_write", sys.dont_write_bytecode)
    here = os.path.dirname(os.path.realpath(pytest.__file__))
    print("cached", os.path.isdir(sys.pycache_prefix + here))
    try:
        open(os.path.join(sys.pycache_prefix, "planted.pyc"), "w")
        print("writable yes")
    except OSError:
        print("writable no")
    print("tables", os.path.isdir(os.path.join(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"],
                                               "unicode_data")))
    ''')


def test_cache_root_follows_xdg_then_home() -> None:
    assert caches.cache_root({"XDG_CACHE_HOME": "/x"}) == Path("/x/tta-ci")
    assert caches.cache_root({"HOME": "/h"}) == Path("/h/.cache/tta-ci")


def test_the_fallback_gets_no_cache(tmp_path: Path) -> None:
    found = asyncio.run(caches.machine_caches({"XDG_CACHE_HOME": str(tmp_path)}, "fallback"))
    assert found is None and list(tmp_path.iterdir()) == []


@needs_bwrap
def test_a_sandbox_reads_the_hosts_bytecode_and_cannot_write_it(tmp_path: Path) -> None:
    environ = {"PATH": os.environ["PATH"], "XDG_CACHE_HOME": str(tmp_path / "cache")}
    shared = caches.shared_caches(environ)
    assert shared is not None and shared.root.parent == tmp_path / "cache" / "tta-ci"
    assert shared.unicode_data.is_dir()
    assert any(shared.pyc_prefix.rglob("*.pyc"))
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "mod.py").write_text("VALUE = 1\n")
    done = asyncio.run(run_sandboxed([sys.executable, "-c", PROBE], workdir=ws,
                                     environ={**environ, "PYTHONPATH": str(ws)},
                                     timeout_s=60, isolation="bwrap"))
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines == {"prefix": str(shared.pyc_prefix), "dont_write": "False",
                     "cached": "True", "writable": "no", "tables": "True"}
    assert not (ws / "__pycache__").exists()  # the workspace stays as it was
    assert not (shared.pyc_prefix / "planted.pyc").exists()
    again = caches.shared_caches(environ)
    assert again == shared  # filled once


def test_two_environments_of_one_interpreter_get_their_own_cache(tmp_path: Path) -> None:
    """A virtual environment's python is a link to the same interpreter: the key tells them
    apart by where they live (the bytecode prefix is per source path)."""
    other = tmp_path / "venv" / "bin" / "python"
    other.parent.mkdir(parents=True)
    other.symlink_to(os.path.realpath(sys.executable))
    assert os.path.realpath(other) == os.path.realpath(sys.executable)
    assert caches._key(str(other)) != caches._key(sys.executable)
