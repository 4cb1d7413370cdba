"""Config: one frozen value, loaded once from file → ``TTA_*`` environment → flags.

The configuration file is ``.tta-ci.toml`` (top-level keys) or the ``[tool.tta-ci]`` table of
``pyproject.toml``. Keys may be written with ``-`` or ``_``. Each key's source is kept in
``Config.sources`` so that ``tta-ci config`` can say where a value came from.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tta_ci.core.errors import ConfigError

__all__ = ["DEFAULT_API_BASE", "Config", "load_config", "read_config_file"]

DEFAULT_API_BASE = "https://openrouter.ai/api/v1"
MAX_CONFIG_BYTES = 1024 * 1024  # a configuration file larger than this is refused
MAX_LIST = 1000  # entries of a list-valued key
PERMISSIONS = ("read", "triage", "write", "maintain", "admin")
# Environment variables that name a key under another name than TTA_<KEY>.
ENV_ALIASES = {"TTA_LLM_BASE_URL": "api_base"}


class Config(BaseModel):
    """The effective configuration. Built by ``load_config``; never mutated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # what runs
    backend: Literal["auto", "openrouter", "openhands", "offline"] = "auto"
    mode: Literal["none", "files", "commit", "comment", "pr", "summary"] = "files"
    output_dir: str = ".tta-ci/out"
    fail_on_rejected: bool = False
    # planning
    include: tuple[str, ...] = Field(("**/*.py",), max_length=MAX_LIST)
    exclude: tuple[str, ...] = Field((), max_length=MAX_LIST)
    test_dirs: tuple[str, ...] = Field(("tests", "test"), max_length=MAX_LIST)
    max_tasks: int = Field(20, ge=1, le=10_000)
    # engine
    concurrency: int = Field(4, ge=1, le=256)
    task_timeout_s: float = Field(600.0, gt=0)
    max_attempts: int = Field(3, ge=1, le=10)
    max_retries: int = Field(4, ge=0, le=20)
    requests_per_minute: int | None = Field(None, ge=1)
    budget_usd: float | None = Field(None, ge=0)
    max_wall_s: float | None = Field(None, gt=0)
    cache: bool = True
    cache_dir: str = ".tta-ci/cache"
    # LLM
    api_base: str = DEFAULT_API_BASE
    api_key_env: str = "OPENROUTER_API_KEY"
    model: str | None = None
    fallback_models: tuple[str, ...] = Field((), max_length=MAX_LIST)
    free_only: bool = False
    max_price_per_mtok: float | None = Field(None, ge=0)
    provider: dict[str, Any] | None = None
    catalog_ttl_h: float = Field(24.0, ge=0)
    request_timeout_s: float = Field(120.0, gt=0)
    openhands_max_iterations: int = Field(30, ge=1, le=500)
    # validation
    runs: int = Field(3, ge=1, le=20)
    validation_timeout_s: float = Field(120.0, gt=0)
    sandbox: Literal["auto", "bwrap", "fallback"] = "auto"
    mutation: bool = True
    mutation_max_mutants: int = Field(8, ge=1, le=50)
    test_clock: Literal["cpu", "wall"] = "cpu"
    warm: bool = True
    # GitHub
    comment_permissions: tuple[str, ...] = Field(("write", "admin"), max_length=MAX_LIST)
    secret_env: tuple[str, ...] = Field((), max_length=MAX_LIST)

    # where each key came from: "default", a file name, "env TTA_X" or "flag --x"
    sources: dict[str, str] = Field(default_factory=dict, exclude=True, repr=False)

    @field_validator("comment_permissions")
    @classmethod
    def _known_permissions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [p for p in value if p not in PERMISSIONS]
        if unknown:
            allowed = ", ".join(PERMISSIONS)
            raise ValueError(f"unknown permission {unknown[0]!r} (allowed: {allowed})")
        return value

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    def source(self, key: str) -> str:
        return self.sources.get(key, "default")

    def public_items(self) -> list[tuple[str, Any, str]]:
        """(key, value, source) for every key, in declaration order."""
        data = self.model_dump(mode="json")
        return [(k, data[k], self.source(k)) for k in data]


KEYS = tuple(k for k in Config.model_fields if k != "sources")


def _normalise_key(key: str) -> str:
    return key.replace("-", "_")


def read_config_file(path: Path) -> dict[str, Any]:
    """The raw table of a configuration file (``pyproject.toml`` → its ``[tool.tta-ci]``)."""
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path.name}: the file is {size} bytes, over the "
                              f"{MAX_CONFIG_BYTES} bytes a configuration file may have; "
                              "shorten it")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: invalid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path.name}: its tables or arrays are nested too deeply to read; "
                          "flatten them") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc}") from exc
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("tta-ci", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path.name}: [tool.tta-ci] must be a table")
        return table
    return data


def find_config_file(repo: Path) -> Path | None:
    for name in (".tta-ci.toml", "pyproject.toml"):
        path = repo / name
        if path.is_file() and (name != "pyproject.toml" or read_config_file(path)):
            return path
    return None


def _file_layer(path: Path) -> dict[str, tuple[Any, str]]:
    label = "pyproject.toml [tool.tta-ci]" if path.name == "pyproject.toml" else path.name
    return {_normalise_key(k): (v, label) for k, v in read_config_file(path).items()}


def _env_value(key: str, raw: str) -> Any:
    annotation = str(Config.model_fields[key].annotation)
    if "tuple" in annotation:
        raw = raw.strip()
        if raw.startswith("["):
            return _json_or_raw(raw)
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if "dict" in annotation:
        return _json_or_raw(raw)
    if raw == "" and "None" in annotation:
        return None
    return raw


def _json_or_raw(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _env_layer(environ: Mapping[str, str]) -> dict[str, tuple[Any, str]]:
    layer: dict[str, tuple[Any, str]] = {}
    for name, raw in environ.items():
        if not name.startswith("TTA_"):
            continue
        key = ENV_ALIASES.get(name, name[4:].lower())
        if key in KEYS:
            layer[key] = (_env_value(key, raw), f"env {name}")
    return layer


def load_config(
    repo: Path,
    environ: Mapping[str, str],
    flags: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
) -> Config:
    """File, then environment, then flags (later wins). Raises ConfigError with one line."""
    path = config_file if config_file is not None else find_config_file(repo)
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"{config_file}: configuration file not found; check --config")
    layers = [_file_layer(path) if path else {}, _env_layer(environ)]
    layers.append({k: (v, f"flag --{k.replace('_', '-')}") for k, v in (flags or {}).items()})
    merged: dict[str, tuple[Any, str]] = {}
    for layer in layers:
        merged.update(layer)
    for key, (_, source) in merged.items():
        if key not in KEYS:
            raise ConfigError(
                f"{source}: unknown key {key!r}; known keys: {', '.join(sorted(KEYS))}"
            )
    values = {k: v for k, (v, _) in merged.items()}
    try:
        return Config(**values, sources={k: s for k, (_, s) in merged.items()})
    except pydantic.ValidationError as exc:
        raise ConfigError(_one_line(exc, merged)) from exc
    except RecursionError as exc:
        raise ConfigError("the configuration nests its values too deeply; flatten them") from exc


def _one_line(exc: pydantic.ValidationError, merged: Mapping[str, tuple[Any, str]]) -> str:
    error = exc.errors()[0]
    key = str(error["loc"][0]) if error["loc"] else "?"
    source = merged.get(key, (None, "configuration"))[1]
    message = str(error["msg"]).removeprefix("Value error, ")
    got = repr(error.get("input"))
    got = got if len(got) <= 120 else got[:117] + "..."
    return f"{source}: key {key!r}: {message} (got {got})"
