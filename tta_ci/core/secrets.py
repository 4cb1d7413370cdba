"""Which environment values are secret, and how to keep them out of text and subprocesses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tta_ci.core.errors import ConfigError

TYPE_CHECKING = False  # not typing's: logging set-up, before a command's first line, needs this
if TYPE_CHECKING:
    from tta_ci.core.config import Config

__all__ = ["Redactor", "api_key", "scrubbed_env", "secret_names"]

ALWAYS_SECRET = ("OPENROUTER_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN")
SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD", "_KEY")
MIN_SECRET_LEN = 6  # shorter values would redact ordinary words


def secret_names(environ: Mapping[str, str], config: Config | None = None) -> set[str]:
    """Names of the variables in ``environ`` whose values must never leak."""
    names = {n for n in environ if n in ALWAYS_SECRET or n.upper().endswith(SECRET_SUFFIXES)}
    if config is not None:
        names.add(config.api_key_env)
        names.update(config.secret_env)
    return names & set(environ)


def api_key(config: Config, environ: Mapping[str, str]) -> str:
    """The LLM API key from ``environ[config.api_key_env]``; a ConfigError when it is unset."""
    key = environ.get(config.api_key_env, "").strip()
    if not key:
        raise ConfigError(
            f"the API key variable {config.api_key_env} is not set; export it (in GitHub "
            f"Actions: `env: {config.api_key_env}: ${{{{ secrets.{config.api_key_env} }}}}`) "
            "or choose --backend offline"
        )
    return key


def scrubbed_env(environ: Mapping[str, str], config: Config | None = None) -> dict[str, str]:
    """``environ`` without any secret: for subprocesses that run generated or PR code."""
    drop = secret_names(environ, config)
    return {k: v for k, v in environ.items() if k not in drop}


class Redactor:
    """Replaces every secret value with ``***`` in a text."""

    def __init__(self, values: Iterable[str]) -> None:
        kept = {v for v in values if len(v) >= MIN_SECRET_LEN}
        self._values = sorted(kept, key=len, reverse=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], config: Config | None = None) -> Redactor:
        return cls(environ[n] for n in secret_names(environ, config))

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, "***")
        return text
