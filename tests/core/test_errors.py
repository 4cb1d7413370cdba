"""tta_ci.core.errors: exit codes, what is retried, and errors crossing a process by name."""

from __future__ import annotations

import pytest

from tta_ci.core import errors
from tta_ci.core.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    CreditsError,
    GitError,
    GitHubError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    SandboxError,
    SkipTask,
    TtaError,
    UsageError,
    provider_error,
)


@pytest.mark.parametrize(
    ("error", "exit_code"),
    [
        pytest.param(UsageError, 2, id="usage"),
        pytest.param(ConfigError, 2, id="config"),
        pytest.param(GitError, 2, id="git"),
        pytest.param(GitHubError, 2, id="github"),
        pytest.param(SandboxError, 3, id="sandbox"),
        pytest.param(SkipTask, 2, id="skip"),
        pytest.param(RateLimited, 2, id="provider"),
    ],
)
def test_exit_codes(error: type[TtaError], exit_code: int) -> None:
    assert issubclass(error, TtaError)
    assert error("x").exit_code == exit_code


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        pytest.param(ProviderError, False, id="provider"),
        pytest.param(AuthError, False, id="auth"),
        pytest.param(CreditsError, False, id="credits"),
        pytest.param(RateLimited, True, id="rate-limited"),
        pytest.param(ProviderTimeout, True, id="timeout"),
        pytest.param(ProviderUnavailable, True, id="unavailable"),
        pytest.param(BadResponse, True, id="bad-response"),
    ],
)
def test_which_provider_errors_are_retried(error: type[ProviderError], retryable: bool) -> None:
    assert issubclass(error, ProviderError)
    assert error("x").retryable is retryable


def test_provider_error_carries_its_details() -> None:
    error = RateLimited("429 from upstream", retry_after=2.5, status=429, model="a/b")
    assert (str(error), error.retry_after, error.status, error.model) == (
        "429 from upstream", 2.5, 429, "a/b")
    plain = ProviderError("boom")
    assert (plain.retry_after, plain.status, plain.model) == (None, None, None)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        pytest.param("AuthError", AuthError, id="auth"),
        pytest.param("CreditsError", CreditsError, id="credits"),
        pytest.param("RateLimited", RateLimited, id="rate-limited"),
        pytest.param("ProviderTimeout", ProviderTimeout, id="timeout"),
        pytest.param("ProviderUnavailable", ProviderUnavailable, id="unavailable"),
        pytest.param("BadResponse", BadResponse, id="bad-response"),
        pytest.param("ConfigError", ProviderError, id="not-a-provider-error"),
        pytest.param("Surprise", ProviderError, id="unknown"),
    ],
)
def test_provider_error_by_name(kind: str, expected: type[ProviderError]) -> None:
    assert provider_error(kind) is expected


def test_every_exported_name_exists() -> None:
    assert all(hasattr(errors, name) for name in errors.__all__)
