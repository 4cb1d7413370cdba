"""The hook's cheap first look: which of the files it was given could need a test.

Standard library only, on purpose: ``tta-ci hook`` decides its no-op path here, before
pydantic, GitPython or the planner are imported. The path rules are the planner's
(``tta_ci.core.paths``): ``.py`` files that are not test files and that the configuration's
``include``/``exclude`` globs keep. The configuration is read raw, with
``tomllib``, only when some file survives the name checks; anything odd in it (invalid TOML,
a value of the wrong type) makes this module answer "maybe", so that the full loader runs and
reports the problem in one line.
"""

from __future__ import annotations

import os

from tta_ci.core.paths import (
    DEFAULT_INCLUDE,
    DEFAULT_TEST_DIRS,
    PytestRules,
    glob_match,
    is_test_path,
    python_candidates,
    read_pytest_rules,
)

TYPE_CHECKING = False  # not typing's: this module is on the hook's fast path
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

# Imported on use (``json``, ``tomllib``): the no-op path needs none of them.

__all__ = [
    "CHECK_HOOK_ID",
    "HOOK_ID",
    "FileRules",
    "maybe_planned",
    "read_file_rules",
    "repo_relative",
    "skipped_by_env",
]

HOOK_ID = "tta-ci"
CHECK_HOOK_ID = "tta-ci-check"
_RULE_KEYS = ("include", "exclude", "test_dirs")


class FileRules:
    """The three configuration keys that decide whether a path is planned at all, and the
    project's pytest settings (a file pytest would collect is a test)."""

    __slots__ = ("exclude", "include", "pytest", "test_dirs")

    def __init__(
        self,
        include: tuple[str, ...] = DEFAULT_INCLUDE,
        exclude: tuple[str, ...] = (),
        test_dirs: tuple[str, ...] = DEFAULT_TEST_DIRS,
        pytest: PytestRules | None = None,
    ) -> None:
        self.include = include
        self.exclude = exclude
        self.test_dirs = test_dirs
        self.pytest = pytest or PytestRules()

    def __repr__(self) -> str:
        return (f"FileRules(include={self.include!r}, exclude={self.exclude!r}, "
                f"test_dirs={self.test_dirs!r}, pytest={self.pytest!r})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileRules) and repr(self) == repr(other)

    __hash__ = None  # type: ignore[assignment]


def skipped_by_env(environ: Mapping[str, str], hook_id: str) -> bool:
    """Whether ``SKIP`` (pre-commit's comma-separated hook ids) names ``hook_id``."""
    return hook_id in {part.strip() for part in environ.get("SKIP", "").split(",")}


def maybe_planned(files: Iterable[str], rules: FileRules) -> list[str]:
    """The repository-relative files the planner would not skip by their path alone."""
    kept = []
    for path in python_candidates(files):
        if is_test_path(path, rules.test_dirs, rules.pytest):
            continue
        if not any(glob_match(path, p) for p in rules.include):
            continue
        if any(glob_match(path, p) for p in rules.exclude):
            continue
        kept.append(path)
    return kept


def repo_relative(files: Sequence[str], root: str, cwd: str) -> list[str]:
    """FILES as POSIX paths relative to ``root`` (relative ones are taken from ``cwd``).

    A file outside the repository is kept as given, so that the planner reports it.
    """
    base = os.path.realpath(root)
    out = []
    for name in files:
        full = os.path.realpath(os.path.join(cwd, name))
        rel = os.path.relpath(full, base)
        out.append(name if rel.startswith("..") else rel.replace(os.sep, "/"))
    return out


# -- the configuration, read raw ------------------------------------------------------------


def _table(path: str) -> dict[str, Any] | None:
    """The raw tta-ci table of a configuration file; None when it cannot be read."""
    import tomllib

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if os.path.basename(path) == "pyproject.toml":
        table = data.get("tool", {}).get("tta-ci", {})
        return table if isinstance(table, dict) else None
    return data


def _config_table(root: str, config_file: str | None) -> dict[str, Any] | None:
    if config_file is not None:
        return _table(config_file) if os.path.isfile(config_file) else None
    for name in (".tta-ci.toml", "pyproject.toml"):
        path = os.path.join(root, name)
        if os.path.isfile(path):
            table = _table(path)
            if table is None or name != "pyproject.toml" or table:
                return table
    return {}


def _env_list(raw: str) -> Any:
    import json

    raw = raw.strip()
    if raw.startswith("["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return None
    return [part.strip() for part in raw.split(",") if part.strip()]


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def read_file_rules(
    root: str, environ: Mapping[str, str], config_file: str | None = None
) -> FileRules | None:
    """``include``/``exclude``/``test_dirs`` from the file, then ``TTA_*`` (as ``load_config``).

    None when something looks wrong: the caller then takes the full path.
    """
    table = _config_table(root, config_file)
    if table is None:
        return None
    values: dict[str, Any] = {k.replace("-", "_"): v for k, v in table.items()}
    for key in _RULE_KEYS:
        raw = environ.get(f"TTA_{key.upper()}")
        if raw is not None:
            values[key] = _env_list(raw)
    rules: dict[str, tuple[str, ...]] = {}
    for key in _RULE_KEYS:
        if key in values:
            parsed = _strings(values[key])
            if parsed is None:
                return None
            rules[key] = parsed
    return FileRules(**rules, pytest=read_pytest_rules(root))
