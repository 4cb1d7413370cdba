"""The scripted OpenHands agent: the local LLM server (``llm_server``) answers each chat request
with the next tool call of a script (create the test file with ``file_editor``, run pytest with
``terminal``, ``finish``); each conversation is told apart by the test file its prompt names."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.llm_server import Received, Reply, chat_body

KEY = "sk-or-v1-test-secret-0123456789"
TOKEN = "ghp_testtoken0123456789"
CALC = "def add(a, b):\n    if a < 0:\n        return -1\n    return a + b\n"
TEST_CODE = (
    "from calc import add\n\n\n"
    "def test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_negative():\n    assert add(-1, 3) == -1\n"
)
PYTEST = f"{sys.executable} -m pytest -q -p no:cacheprovider"


Step = Callable[[Path, Path], tuple[str, dict[str, Any]]]


def create(workdir: Path, test: Path) -> tuple[str, dict[str, Any]]:
    return "file_editor", {"command": "create", "path": str(test), "file_text": TEST_CODE}


def run_pytest(workdir: Path, test: Path) -> tuple[str, dict[str, Any]]:
    return "terminal", {"command": f"cd {workdir} && {PYTEST} {test.relative_to(workdir)}"}


def finish(workdir: Path, test: Path) -> tuple[str, dict[str, Any]]:
    return "finish", {"message": "The tests are written and pass."}


def shell(command: str) -> Step:
    return lambda workdir, test: ("terminal", {"command": f"cd {workdir} && {command}"})


@dataclass
class Agenda:
    """The script the server plays, and what it saw: per test file, request times."""

    steps: list[Step]
    delay_s: float = 0.0
    together: threading.Barrier | None = None  # first requests held until all have arrived
    seen: dict[str, list[float]] = field(default_factory=dict)
    tool_outputs: list[str] = field(default_factory=list)

    def __call__(self, received: Received) -> Reply:
        messages = received.json["messages"]
        prompt = next(message_text(m) for m in messages if m["role"] == "user")
        workdir = Path(re.search(r"checked out at (\S+)\.", prompt)[1])  # type: ignore[index]
        test = Path(re.search(r"Test file: (\S+)", prompt)[1])  # type: ignore[index]
        self.seen.setdefault(test.name, []).append(time.monotonic())
        self.tool_outputs.extend(message_text(m) for m in messages if m["role"] == "tool")
        step = sum(1 for m in messages if m["role"] == "assistant")
        if step == 0 and self.together is not None:
            self.together.wait(timeout=120)  # broken (a 500) when the other never comes
        name, args = self.steps[min(step, len(self.steps) - 1)](workdir, test)
        return Reply(body=tool_call(name, args), delay_s=self.delay_s if step == 0 else 0.0)


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content)
    return str(content or "")


def tool_call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    body = chat_body("", cost=0.001, prompt_tokens=100, completion_tokens=50)
    choice = body["choices"][0]
    choice["finish_reason"] = "tool_calls"
    choice["message"] = {"role": "assistant", "content": None, "tool_calls": [{
        "id": f"call_{time.time_ns()}", "type": "function",
        "function": {"name": name, "arguments": json.dumps(args)},
    }]}
    return body
