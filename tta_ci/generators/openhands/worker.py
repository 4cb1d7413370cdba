"""One OpenHands conversation in its own process: ``python -m tta_ci.generators.openhands.worker``.

The parent (``openhands_run``) starts this process with an environment that holds no secret and
writes one JSON request on its stdin::

    {"settings": {"model", "base_url", "api_key", "max_iterations", "budget_usd", "timeout_s",
                  "retries", "extra_body"},
     "workdir": "/tmp/.../repo-x", "prompt": "...", "log_dir": "/tmp/.../logs"}

The API key travels only there (never in argv, never in an environment variable); the LLM object
holds it as a ``SecretStr``. The agent's terminal is a descendant of this process and inherits
its clean environment. The answer is one JSON document on the stdout this process started with
(the SDK's own prints go to stderr)::

    {"status": "finished", "calls": [LLMCall, ...], "errors": ["..."]}
    {"error": {"kind": "AuthError", "message": "...", "retry_after": null, "status": null}}
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, Any

from tta_ci.sandbox.fallback import make_non_dumpable

__all__ = ["ERROR_KINDS", "SDK_ENV", "main", "make_non_dumpable", "run_request"]

# Set before the SDK is imported: litellm must not fetch its price list from the internet.
SDK_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1"}
ERROR_KINDS = ("AuthError", "CreditsError", "RateLimited", "ProviderTimeout",
               "ProviderUnavailable", "BadResponse", "ProviderError", "ConfigError")
def _error(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"kind": kind, "message": message, **extra}}


def run_request(request: dict[str, Any]) -> dict[str, Any]:
    """Run the conversation a request describes; the answer document (never raises a TtaError)."""
    for name, value in SDK_ENV.items():
        os.environ.setdefault(name, value)
    try:
        from tta_ci.generators.openhands import agent
    except ImportError as exc:
        return _error("ConfigError", f"importing the OpenHands SDK failed: {exc}")
    from tta_ci.core.errors import ProviderError

    settings = agent.AgentSettings(**request["settings"])
    try:
        run = agent.run_agent(settings, Path(request["workdir"]), str(request["prompt"]),
                              Path(request["log_dir"]))
    except ProviderError as exc:
        return _error(type(exc).__name__, str(exc), retry_after=exc.retry_after,
                      status=exc.status)
    return run.model_dump(mode="json")


def _private_stdout() -> IO[str]:
    """The stdout this process started with, for the answer alone; fd 1 now goes to stderr."""
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    return answer


def main() -> int:
    make_non_dumpable()
    answer = _private_stdout()
    try:
        request = json.loads(sys.stdin.read())
    except ValueError as exc:
        print(f"tta-ci openhands worker: the request on stdin is not JSON: {exc}", file=sys.stderr)
        return 2
    document = run_request(request)
    answer.write(json.dumps(document))
    answer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
