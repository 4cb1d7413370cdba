# expect: failed
# The names are built at run time, so only the sandbox stands between the test and the secrets.
import os

from pkg.calc import clamp


def test_secrets_are_readable():
    assert clamp(-1, 0, 1) == 0
    key = os.environ.get("OPENROUTER_API" + "_KEY", "")
    token = os.environ.get("GITHUB_TOK" + "EN", "")
    assert key.startswith("sk-") or token.startswith("gh")
