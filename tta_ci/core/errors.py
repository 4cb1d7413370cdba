"""The exception tree of tta-ci.

    TtaError                      one line for the user; ``exit_code`` says how main() ends
    ├── UsageError                bad command line (exit 2)
    ├── ConfigError               bad configuration file, variable or flag (exit 2)
    ├── GitError                  a ref, repository or git operation failed (exit 2)
    ├── GitHubError               the GitHub API refused or failed (exit 2)
    ├── SandboxError              the sandbox could not be set up (exit 3)
    │   └── SandboxUnavailable    bubblewrap cannot run here and the weak fallback was not
    │                             named in the configuration (exit 2: the user installs or sets)
    ├── SkipTask                  a generator has nothing to offer for a task (task is skipped)
    └── ProviderError             a generator backend failed; ``retryable`` and ``retry_after``
        ├── AuthError             401/403: bad or missing key (not retryable)
        ├── CreditsError          402: no credits left (not retryable)
        ├── RateLimited           429 (retryable, honours Retry-After)
        ├── ProviderTimeout       408, read/connect timeouts (retryable)
        ├── ProviderUnavailable   5xx, connection errors (retryable)
        └── BadResponse           malformed JSON, empty content, truncated output, error in a 200
                                  (retryable: another request may do better)

Vendor errors (httpx, PyGithub, GitPython) are mapped to these at the seam with
``raise X(...) from exc``.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "BadResponse",
    "ConfigError",
    "CreditsError",
    "GitError",
    "GitHubError",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "SandboxError",
    "SandboxUnavailable",
    "SkipTask",
    "TtaError",
    "UsageError",
    "provider_error",
]


class TtaError(Exception):
    """An error the user can act on: printed as one line, no traceback."""

    exit_code = 2


class UsageError(TtaError):
    pass


class ConfigError(TtaError):
    pass


class GitError(TtaError):
    pass


class GitHubError(TtaError):
    pass


class SandboxError(TtaError):
    exit_code = 3


class SandboxUnavailable(SandboxError):
    """No sandbox that tta-ci will run untrusted code in: fixed by installing or configuring."""

    exit_code = 2


class SkipTask(TtaError):
    """Raised by a generator that has no way to produce a test for the task."""


class ProviderError(TtaError):
    """A generator backend failed.

    ``retryable`` errors are retried by the engine with backoff; ``retry_after`` (seconds),
    when the provider sent one, replaces the computed backoff delay.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status
        self.model = model


class AuthError(ProviderError):
    pass


class CreditsError(ProviderError):
    pass


class RateLimited(ProviderError):
    retryable = True


class ProviderTimeout(ProviderError):
    retryable = True


class ProviderUnavailable(ProviderError):
    retryable = True


class BadResponse(ProviderError):
    """The provider answered, but not with something usable; another request may do better."""

    retryable = True


def provider_error(kind: str) -> type[ProviderError]:
    """The ``ProviderError`` class named ``kind`` (``ProviderError`` itself for any other name):
    how an error crosses a process boundary by name."""
    found = {cls.__name__: cls for cls in (AuthError, CreditsError, RateLimited, ProviderTimeout,
                                           ProviderUnavailable, BadResponse)}
    return found.get(kind, ProviderError)
