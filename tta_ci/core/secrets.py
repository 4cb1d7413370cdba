"""Which environment values are secret, and how to keep them out of text and subprocesses."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import quote, quote_plus

from tta_ci.core.errors import ConfigError

TYPE_CHECKING = False  # not typing's: logging set-up, before a command's first line, needs this
if TYPE_CHECKING:
    from tta_ci.core.config import Config

__all__ = ["Redactor", "api_key", "derived_forms", "scrubbed_env", "secret_names"]

ALWAYS_SECRET = ("OPENROUTER_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN")
SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD", "_KEY")
MIN_SECRET_LEN = 6  # shorter values would redact ordinary words
MIN_DERIVED_LEN = 8  # a derived form shorter than this is not looked for
# How a CI token travels: actions/checkout stores base64("x-access-token:<token>") in
# .git/config, and HTTP basic auth uses the same shape.
WRAPPERS = ("{}", "x-access-token:{}")


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


def _base64_cores(data: bytes) -> Iterator[str]:
    """The part of a base64 text that encodes ``data`` wherever it sits in a longer text:
    for each of the three byte alignments, the characters that depend on ``data`` alone
    (padding and the characters shared with unknown neighbours cut off); standard and
    URL-safe alphabets."""
    for offset in range(3):
        text = base64.b64encode(b"\0" * offset + data).decode().rstrip("=")
        start = (offset * 4 + 2) // 3  # characters touched by the leading filler bytes
        end = len(text) - (1 if (offset + len(data)) % 3 else 0)
        core = text[start:end]
        yield core
        yield core.replace("+", "-").replace("/", "_")


def derived_forms(value: str) -> set[str]:
    """``value`` and the encodings a test could smuggle it out in: base64 (of the value and
    of ``x-access-token:<value>``, any alignment, padded or not, both alphabets), URL
    encoding, hex."""
    forms = {value}
    for wrapper in WRAPPERS:
        data = wrapper.format(value).encode()
        forms.update(_base64_cores(data))
        forms.add(base64.b64encode(data).decode())
    raw = value.encode()
    forms.update({quote(value, safe=""), quote_plus(value), raw.hex(), raw.hex().upper()})
    return {f for f in forms if f == value or len(f) >= MIN_DERIVED_LEN}


class Redactor:
    """Replaces every secret value, and its derived forms, with ``***`` in a text."""

    def __init__(self, values: Iterable[str]) -> None:
        kept = {v for v in values if len(v) >= MIN_SECRET_LEN}
        forms = set().union(*(derived_forms(v) for v in kept)) if kept else set()
        self._values = sorted(forms, key=len, reverse=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], config: Config | None = None) -> Redactor:
        return cls(environ[n] for n in secret_names(environ, config))

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, "***")
        return text
