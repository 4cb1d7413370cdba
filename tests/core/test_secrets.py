"""tta_ci.core.secrets: which variables are secret, the API key, scrubbed environments, and the
redactor that keeps their values out of any text."""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Callable

import pytest

from tta_ci.core.config import Config
from tta_ci.core.errors import ConfigError
from tta_ci.core.secrets import Redactor, api_key, derived_forms, scrubbed_env, secret_names

ENVIRON = {
    "OPENROUTER_API_KEY": "sk-or-v1-abcdef",
    "GITHUB_TOKEN": "ghp_0123456789",
    "AWS_SECRET": "aws-secret-value",
    "db_password": "hunter2hunter2",
    "SIGNING_KEY": "signing-key-value",
    "CUSTOM": "custom-value",
    "PATH": "/usr/bin:/bin",
    "HOME": "/home/me",
}


def test_secret_names_by_name_and_suffix() -> None:
    assert secret_names(ENVIRON) == {"OPENROUTER_API_KEY", "GITHUB_TOKEN", "AWS_SECRET",
                                     "db_password", "SIGNING_KEY"}


def test_secret_names_add_the_configured_ones_that_are_set() -> None:
    config = Config(api_key_env="LLM_ACCESS", secret_env=("CUSTOM", "NOT_SET"))
    names = secret_names({**ENVIRON, "LLM_ACCESS": "llm-access-value"}, config)
    assert {"LLM_ACCESS", "CUSTOM"} <= names
    assert "NOT_SET" not in names and "PATH" not in names


def test_scrubbed_env_keeps_only_the_harmless_variables() -> None:
    config = Config(secret_env=("CUSTOM",))
    assert scrubbed_env(ENVIRON, config) == {"PATH": "/usr/bin:/bin", "HOME": "/home/me"}
    assert "CUSTOM" in scrubbed_env(ENVIRON)  # without the config it is not known secret


def test_api_key_is_read_and_stripped() -> None:
    assert api_key(Config(), {"OPENROUTER_API_KEY": "  sk-or-v1-key \n"}) == "sk-or-v1-key"
    assert api_key(Config(api_key_env="MY_KEY"), {"MY_KEY": "k-123456"}) == "k-123456"


@pytest.mark.parametrize("environ", [{}, {"OPENROUTER_API_KEY": "   "}], ids=["unset", "blank"])
def test_missing_api_key_names_the_variable_and_the_way_out(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as info:
        api_key(Config(), environ)
    message = str(info.value)
    assert message.startswith("the API key variable OPENROUTER_API_KEY is not set")
    assert "${{ secrets.OPENROUTER_API_KEY }}" in message and "--backend offline" in message


@pytest.mark.parametrize(
    ("values", "text", "expected"),
    [
        pytest.param(["sk-secret-1"], "key=sk-secret-1; again sk-secret-1", "key=***; again ***",
                     id="every-occurrence"),
        pytest.param(["abc"], "abc is too short to be a secret", "abc is too short to be a secret",
                     id="short-values-kept"),
        pytest.param(["secret-value", "secret-value-long"], "x secret-value-long y",
                     "x *** y", id="longest-first"),
        pytest.param([], "nothing to hide", "nothing to hide", id="no-values"),
    ],
)
def test_redactor(values: list[str], text: str, expected: str) -> None:
    assert Redactor(values)(text) == expected


def test_redactor_from_env_hides_every_secret_value() -> None:
    redact = Redactor.from_env(ENVIRON, Config(secret_env=("CUSTOM",)))
    text = " ".join(ENVIRON.values())
    assert redact(text) == "*** *** *** *** *** *** /usr/bin:/bin /home/me"


TOKEN = "ghs_derivedFormsToken0123456789"


@pytest.mark.parametrize("smuggled", [
    pytest.param(lambda t: t, id="plain"),
    pytest.param(lambda t: base64.b64encode(t.encode()).decode(), id="base64"),
    pytest.param(lambda t: base64.b64encode(t.encode()).decode().rstrip("="), id="unpadded"),
    pytest.param(lambda t: "AUTHORIZATION: basic " + base64.b64encode(
        f"x-access-token:{t}".encode()).decode(), id="checkout-extraheader"),
    pytest.param(lambda t: base64.b64encode(b"k=" + t.encode() + b";").decode(), id="offset-2"),
    pytest.param(lambda t: base64.b64encode(b"x" + t.encode()).decode(), id="offset-1"),
    pytest.param(lambda t: base64.urlsafe_b64encode(b"~" + t.encode() + b"??").decode(),
                 id="url-safe"),
    pytest.param(lambda t: urllib.parse.quote(f"token={t}&x=1", safe=""), id="url-encoded"),
    pytest.param(lambda t: t.encode().hex(), id="hex"),
    pytest.param(lambda t: ("0x" + t.encode().hex()).upper(), id="HEX"),
])
def test_the_redactor_catches_derived_forms(smuggled: Callable[[str], str]) -> None:
    text = f"AssertionError: {smuggled(TOKEN)} (the end)"
    out = Redactor([TOKEN])(text)
    assert "***" in out and out.endswith("(the end)")
    for form in derived_forms(TOKEN):
        assert form not in out


def test_derived_forms_are_long_enough_not_to_eat_ordinary_text() -> None:
    forms = derived_forms(TOKEN)
    assert all(len(f) >= 8 for f in forms) and TOKEN in forms
    assert Redactor([TOKEN])("the cat sat on the mat, 12345678") == (
        "the cat sat on the mat, 12345678")
    assert Redactor(["short"])("short") == "short"  # under MIN_SECRET_LEN: not a secret
