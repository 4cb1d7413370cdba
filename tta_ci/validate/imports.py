"""Which modules a generated test file may import: ``ImportPolicy``.

Allowed: the project's own modules (what its import roots hold), its declared dependencies
(``pyproject.toml``, ``setup.cfg``, ``requirements*.txt``, mapped to import names through the
installed distributions), whatever the target module itself imports, ``pytest``,
``hypothesis``, ``unittest`` (with ``unittest.mock``) and a named list of side-effect-free
standard modules. Never, whoever declares them: the modules in ``DANGEROUS`` (processes,
sockets, signals, dynamic code and introspection of the test runner, tta-ci's own sandbox).
"""

from __future__ import annotations

import configparser
import contextlib
import functools
import importlib.metadata
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tta_ci.core.paths import imported_modules

__all__ = [
    "DANGEROUS",
    "SAFE_STDLIB",
    "TEST_MODULES",
    "ImportPolicy",
    "danger",
    "import_policy",
    "refusal",
]

TEST_MODULES = frozenset({"pytest", "hypothesis", "unittest", "__future__"})
SAFE_STDLIB = frozenset({
    "abc", "array", "ast", "base64", "binascii", "bisect", "bz2", "calendar", "cmath",
    "collections", "colorsys", "contextlib", "copy", "csv", "dataclasses", "datetime",
    "decimal", "difflib", "enum", "fnmatch", "fractions", "functools", "glob", "graphlib",
    "gzip", "hashlib", "heapq", "hmac", "html", "io", "ipaddress", "itertools", "json",
    "keyword", "logging", "lzma", "math", "numbers", "operator", "os", "pathlib", "pprint",
    "random", "re", "reprlib", "secrets", "shutil", "statistics", "string", "struct", "sys",
    "tempfile", "textwrap", "time", "tomllib", "types", "typing", "typing_extensions",
    "unicodedata", "uuid", "warnings", "zipfile", "zlib", "zoneinfo", "urllib.parse",
    "asyncio", "configparser", "tarfile", "codecs", "email", "mimetypes",
})
# module → how it is refused: "call" (``forbidden call: <module>``, a capability), "network"
# (``forbidden call: network``) or "dynamic" (``forbidden: `<module>```, dynamic code or
# introspection of the test runner)
DANGEROUS: Mapping[str, str] = {
    **dict.fromkeys(("subprocess", "pty", "asyncio.subprocess", "pexpect", "sh", "plumbum",
                     "socket", "ssl", "select", "selectors", "ctypes", "signal",
                     "multiprocessing", "_posixsubprocess", "_socket", "_ctypes"), "call"),
    **dict.fromkeys(("urllib.request", "http.client", "http.server", "httpx", "requests",
                     "aiohttp", "urllib3", "ftplib", "smtplib", "telnetlib", "imaplib",
                     "poplib", "xmlrpc", "socketserver", "webbrowser"), "network"),
    **dict.fromkeys(("importlib", "inspect", "gc", "atexit", "builtins", "code", "codeop",
                     "runpy", "pkgutil", "imp", "zipimport", "site", "sysconfig", "marshal",
                     "pickle", "dill", "cloudpickle", "shelve", "doctest", "pdb", "bdb",
                     "trace", "tracemalloc", "faulthandler", "threading", "_thread",
                     "concurrent", "weakref", "resource", "mmap", "fcntl", "termios", "posix",
                     "_pytest", "pluggy", "py", "coverage", "pytest_cov", "tta_ci.validate",
                     "tta_ci.sandbox"), "dynamic"),
}
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def danger(module: str) -> tuple[str, str] | None:
    """(the dangerous module, its kind) when ``module`` is one or lies in one, else None."""
    for name, kind in DANGEROUS.items():
        if module == name or module.startswith(name + "."):
            return name, kind
    return None


def refusal(module: str) -> str | None:
    """How an import of a dangerous ``module`` is refused (without the line), else None."""
    found = danger(module)
    if found is None:
        return None
    name, kind = found
    if kind == "network":
        return "forbidden call: network"
    return f"forbidden call: {name}" if kind == "call" else f"forbidden: `{name}`"


@dataclass(frozen=True)
class ImportPolicy:
    """Top-level names (and for the standard library, dotted names) a test may import."""

    project: frozenset[str] = frozenset()
    dependencies: frozenset[str] = field(default_factory=frozenset)

    def allows(self, module: str) -> bool:
        if danger(module) is not None:
            return False
        top = module.split(".")[0]
        if top in self.project or top in self.dependencies or top in TEST_MODULES:
            return True
        return any(module == m or module.startswith(m + ".") for m in SAFE_STDLIB)


def _module_names(root: Path) -> set[str]:
    """Top-level modules and packages under one import root."""
    names: set[str] = set()
    try:
        entries = list(root.iterdir())
    except OSError:
        return names
    for entry in entries:
        stem = entry.name.split(".")[0]
        if entry.name.startswith(".") or not stem.isidentifier():
            continue
        package = entry.is_dir() and entry.name == stem and any(entry.glob("*.py"))
        if package or (entry.is_file() and entry.suffix in (".py", ".pyi", ".so", ".pyd")):
            names.add(stem)
    return names


def _requirement_names(lines: Iterable[str]) -> set[str]:
    found = set()
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-") and (match := _REQUIREMENT.match(line)):
            found.add(_normalise(match.group(1)))
    return found


def _pyproject_names(data: Mapping[str, Any]) -> set[str]:
    project = data.get("project", {})
    lines = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        lines += list(group)
    for group in data.get("dependency-groups", {}).values():
        lines += [g for g in group if isinstance(g, str)]
    poetry = data.get("tool", {}).get("poetry", {})
    names = {_normalise(n) for n in poetry.get("dependencies", {})}
    for group in poetry.get("group", {}).values():
        names |= {_normalise(n) for n in group.get("dependencies", {})}
    return names | _requirement_names(str(x) for x in lines)


def declared_dependencies(ws: Path) -> set[str]:
    """Normalised distribution names the project declares."""
    names: set[str] = set()
    with contextlib.suppress(OSError, ValueError, AttributeError, TypeError):
        names |= _pyproject_names(tomllib.loads((ws / "pyproject.toml").read_text("utf-8")))
    parser = configparser.ConfigParser()
    try:
        parser.read(ws / "setup.cfg", encoding="utf-8")
        for key in ("install_requires", "tests_require"):
            names |= _requirement_names(parser.get("options", key, fallback="").splitlines())
        if parser.has_section("options.extras_require"):
            for _, value in parser.items("options.extras_require"):
                names |= _requirement_names(value.splitlines())
    except (configparser.Error, UnicodeDecodeError):
        pass
    for path in [*ws.glob("requirements*.txt"), *ws.glob("requirements/*.txt")]:
        try:
            names |= _requirement_names(path.read_text("utf-8").splitlines())
        except (OSError, UnicodeDecodeError):
            continue
    return names


@functools.cache
def _provided(distribution: str) -> frozenset[str]:
    """The top-level import names the installed ``distribution`` provides (its
    ``top_level.txt``, else the top of each file its ``RECORD`` lists), none when it is not
    installed: one lookup per declared name, not a parse of every installed distribution's
    metadata (a quarter of a second in a large environment)."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return frozenset()
    declared = (dist.read_text("top_level.txt") or "").split()
    if declared:
        return frozenset(declared)
    names = set()
    for file in dist.files or ():
        top = file.parts[0] if len(file.parts) > 1 else file.name.split(".")[0]
        if top.isidentifier() and top != "__pycache__":
            names.add(top)
    return frozenset(names)


def _import_names(distributions: set[str]) -> set[str]:
    """Import names of the installed ``distributions`` (and each name as an import name)."""
    names = {d.replace("-", "_") for d in distributions}
    for distribution in distributions:
        names |= _provided(distribution)
    return names


def import_policy(ws: Path, *, roots: Iterable[str] = (".",), target: str | None = None
                  ) -> ImportPolicy:
    """The policy for tests of the project in workspace ``ws`` (import roots relative to it),
    written for the module at ``target``."""
    project: set[str] = set()
    for root in {".", "src", *roots}:
        project |= _module_names(ws / root)
    dependencies = _import_names(declared_dependencies(ws))
    if target:
        try:
            text = (ws / target).read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        dependencies |= {m.split(".")[0] for m in imported_modules(text)}
    return ImportPolicy(project=frozenset(project), dependencies=frozenset(dependencies))
