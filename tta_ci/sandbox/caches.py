"""Caches shared by the sandboxes of one machine, filled by the trusted host, read-only inside.

Two costs of every fresh sandboxed Python that nothing of the project's code changes:

* **bytecode** — with no writable ``__pycache__`` (a read-only root) and
  ``PYTHONDONTWRITEBYTECODE``, every process compiles the standard library, pytest, coverage,
  Hypothesis (assertion-rewritten by pytest, as the modules of every entry-point plugin are) and
  tta-ci's plugin again: 2–3 s of CPU per process. Instead, a ``PYTHONPYCACHEPREFIX`` folder is
  filled once by this (trusted) process, outside any sandbox and with no project code, and
  mounted read-only into each sandbox. With a prefix, Python reads and writes bytecode only
  there, so the workspace stays free of ``__pycache__``, and a stale file is detected by
  Python (source size and time) and compiled in memory, never written.
* **Hypothesis's Unicode tables** — ``charmap()`` costs about 5 s of CPU the first time in a
  fresh Hypothesis home. The tables (``unicode_data/``) are computed once into the cache and
  linked, read-only, into each sandbox's own Hypothesis home; the example database stays per
  run, as before.

Both live in one folder per interpreter and package versions:
``$XDG_CACHE_HOME/tta-ci/sandbox-<key>/`` (default ``~/.cache/tta-ci``), made under a lock and
renamed into place when complete. Only bubblewrap can mount them read-only, so only that level
uses them; a process that could write them could plant code for later runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SharedCaches", "cache_root", "fill", "machine_caches", "shared_caches"]

_PACKAGES = ("pytest", "coverage", "hypothesis", "tta-ci")
_FILL_TIMEOUT_S = 300.0
# What a sandboxed run imports: pytest with its plugins, under coverage, with tta-ci's plugin,
# collecting and running a test that uses the usual helpers and Hypothesis strategies (no
# text: the tables are the other process's, which runs meanwhile).
_SAMPLE_TEST = textwrap.dedent('''\
    import unittest.mock

    import pytest
    from hypothesis import given, settings, strategies as st


    @settings(max_examples=5, database=None)
    @given(st.binary(), st.integers(), st.floats(), st.lists(st.booleans()))
    def test_sample(text, number, real, flags):
        with pytest.raises(ZeroDivisionError):
            1 / 0
        assert unittest.mock.Mock()(number) is not None
        assert 0.1 + 0.2 == pytest.approx(0.3)
    ''')
_TABLES = textwrap.dedent('''\
    from hypothesis.internal import charmap
    charmap.charmap()
    charmap.intervals_from_codec("utf-8")
    charmap.query(categories=charmap.categories())
    import tta_ci.sandbox.server  # the warm server's own modules
    ''')


@dataclass(frozen=True)
class SharedCaches:
    """A filled cache folder: ``pyc`` (the bytecode prefix) and ``hypothesis/unicode_data``."""

    root: Path

    @property
    def pyc_prefix(self) -> Path:
        return self.root / "pyc"

    @property
    def unicode_data(self) -> Path:
        return self.root / "hypothesis" / "unicode_data"

    def readonly(self) -> tuple[Path, ...]:
        """The folders a sandbox must see, read-only."""
        return (self.root,)

    def apply(self, env: dict[str, str]) -> None:
        """Point a sandbox's environment at the caches: bytecode from the prefix (instead of
        none at all), and Hypothesis's tables linked into its own Hypothesis home."""
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(self.pyc_prefix)
        storage = env.get("HYPOTHESIS_STORAGE_DIRECTORY")
        if storage:
            self.link_unicode_data(Path(storage))

    def link_unicode_data(self, storage: Path) -> None:
        """``storage/unicode_data`` → the cached tables (the rest of ``storage`` stays the
        sandbox's own)."""
        storage.mkdir(parents=True, exist_ok=True)
        link = storage / "unicode_data"
        if not link.is_symlink() and not link.exists():
            link.symlink_to(self.unicode_data, target_is_directory=True)


def cache_root(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/tta-ci``, else ``~/.cache/tta-ci`` (``HOME`` from ``environ``)."""
    base = environ.get("XDG_CACHE_HOME") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base) / "tta-ci"


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _location(name: str) -> str:
    """Where the installed package's files are (two virtual environments of one interpreter
    share its real path, not their site-packages: the prefix holds bytecode per source path)."""
    try:
        files = importlib.metadata.distribution(name).locate_file("")
    except importlib.metadata.PackageNotFoundError:
        return "-"
    return os.path.realpath(str(files))


def _key(python: str) -> str:
    """Changes with the interpreter, its environment and the packages whose bytecode is cached
    (a file edited since, in an editable install, is only compiled in memory: Python checks
    each one)."""
    stamp = [os.path.realpath(python), os.path.dirname(os.path.abspath(python)), sys.version,
             *map(_version, _PACKAGES), *map(_location, _PACKAGES)]
    return hashlib.sha256("\n".join(stamp).encode()).hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fill(target: Path, python: str = sys.executable) -> None:
    """Fill ``target`` (a new folder) by running, outside any sandbox, only installed code:
    a sample pytest session under coverage with tta-ci's plugin, and Hypothesis's tables."""
    with tempfile.TemporaryDirectory(prefix="tta-ci-fill-") as name:
        scratch = Path(name)
        (scratch / "test_sample.py").write_text(_SAMPLE_TEST, encoding="utf-8")
        env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(scratch),
               "LANG": "C.UTF-8", "PYTHONPYCACHEPREFIX": str(target / "pyc"),
               "HYPOTHESIS_STORAGE_DIRECTORY": str(target / "hypothesis")}
        session = [python, "-m", "coverage", "run", f"--data-file={scratch / '.coverage'}",
                   "-m", "pytest", "-p", "tta_ci.validate.plugin", "-p", "no:cacheprovider",
                   "-o", "addopts=", "-q", "--rootdir", str(scratch), "test_sample.py"]
        # side by side: the bytecode and the tables are independent (on two cores, the fill
        # takes the longer of the two instead of their sum)
        running = [subprocess.Popen(argv, cwd=scratch, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
                   for argv in (session, [python, "-c", _TABLES])]
        try:
            for proc in running:
                proc.wait(timeout=_FILL_TIMEOUT_S)
        finally:
            for proc in running:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    if not (target / "hypothesis" / "unicode_data").is_dir():
        raise OSError(f"filling {target} made no Hypothesis tables")


@functools.cache
def _prepared(python: str, root: Path) -> SharedCaches | None:
    final = root / f"sandbox-{_key(python)}"
    if final.is_dir():
        return SharedCaches(final)
    try:
        with _locked(root / ".lock"):
            if not final.is_dir():
                partial = Path(tempfile.mkdtemp(prefix=".filling-", dir=root))
                try:
                    fill(partial, python)
                    partial.rename(final)
                finally:
                    shutil.rmtree(partial, ignore_errors=True)
    except (OSError, subprocess.SubprocessError):
        return None  # no cache: sandboxes run as before, only slower
    return SharedCaches(final)


def shared_caches(environ: Mapping[str, str], python: str = sys.executable
                  ) -> SharedCaches | None:
    """The caches for ``python``, filled on first use (blocking: seconds, once per machine and
    version; call it from a worker thread); None where they cannot be made."""
    return _prepared(python, cache_root(environ))


async def machine_caches(environ: Mapping[str, str], isolation: str) -> SharedCaches | None:
    """The caches a sandbox at ``isolation`` may use (filled on first use, in a worker thread);
    None for the fallback, which cannot keep them read-only."""
    if isolation != "bwrap":
        return None
    return await asyncio.to_thread(shared_caches, environ)
