"""``/tta`` commands in a pull-request comment, parsed by one pure function.

    /tta test [PATH | PATH::SYMBOL ...] [--model M] [--max-tasks N] [--mode comment|commit|pr]
    /tta help
    /tta config

Each line that starts with ``/tta`` (any case) is one command. Arguments are an allowlist:
anything else is a ``CommandError`` whose message names the argument (a value that looks like a
secret is refused without being repeated).
"""

from __future__ import annotations

import re
import shlex
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tta_ci.publish.markdown import code

__all__ = ["HELP", "MAX_COMMANDS", "MAX_TARGETS", "Command", "CommandError", "parse_commands"]

MAX_COMMANDS = 5  # commands run per comment; the rest get one reply naming the cap
MAX_TARGETS = 50
MAX_LINE = 1000
MAX_TASKS = 1000
PREFIX = re.compile(r"^\s*/tta(?:\s+|$)", re.IGNORECASE)
PATH = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9_.][A-Za-z0-9_./-]*$")
SYMBOL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
SECRET = re.compile(r"(^(sk-|ghp_|gho_|ghs_|ghu_|github_pat_|xox[bp]-))|^[A-Za-z0-9_\-]{32,}$")
MODES = ("comment", "commit", "pr")
HELP = """\
`/tta test [PATH | PATH::SYMBOL ...] [--model M] [--max-tasks N] [--mode comment|commit|pr]`: \
generate and validate tests for the whole diff of this pull request, or only for the files \
and symbols named
`/tta help`: this list
`/tta config`: the effective configuration, read from the base branch (secrets redacted)"""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Command(_Frozen):
    name: Literal["test", "help", "config"]
    targets: tuple[str, ...] = ()
    model: str | None = None
    max_tasks: int | None = None
    mode: Literal["comment", "commit", "pr"] | None = None
    line: str = ""


class CommandError(_Frozen):
    line: str
    message: str


def parse_commands(body: str) -> list[Command | CommandError]:
    """Every ``/tta`` line of a comment, in order (pure)."""
    found: list[Command | CommandError] = []
    for raw in body.splitlines():
        if PREFIX.match(raw):
            found.append(_parse_line(raw.strip()))
    return found


def _parse_line(line: str) -> Command | CommandError:
    if len(line) > MAX_LINE:
        return CommandError(line=line[:80], message=f"the command is over {MAX_LINE} characters")
    try:
        words = shlex.split(line)
    except ValueError as exc:
        return CommandError(line=line, message=f"malformed quoting: {exc}")
    args = words[1:]
    if not args:
        return Command(name="help", line=line)
    name, rest = args[0].lower(), args[1:]
    if name in ("help", "config"):
        if rest:
            return CommandError(line=line, message=f"`/tta {name}` takes no arguments")
        return Command(name=name, line=line)  # type: ignore[arg-type]
    if name != "test":
        message = f"unknown command {_shown(args[0])}; try `/tta help`"
        return CommandError(line=line, message=message)
    return _parse_test(line, rest)


def _shown(word: str) -> str:
    """How an argument is named in a reply: never a secret, never long."""
    if SECRET.search(word.split("=", 1)[-1]):
        return "an argument that looks like a secret (not repeated here)"
    return code(word[:60])


def _parse_test(line: str, words: list[str]) -> Command | CommandError:
    options: dict[str, str] = {}
    targets: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("-"):
            flag, eq, value = word.partition("=")
            if flag not in ("--model", "--max-tasks", "--mode"):
                return CommandError(line=line, message=f"unknown option {_shown(flag)}")
            if not eq:
                index += 1
                if index >= len(words):
                    return CommandError(line=line, message=f"`{flag}` needs a value")
                value = words[index]
            if flag in options:
                return CommandError(line=line, message=f"`{flag}` is given twice")
            options[flag] = value
        else:
            problem = _target_problem(word)
            if problem:
                return CommandError(line=line, message=problem)
            targets.append(word)
        index += 1
    if len(targets) > MAX_TARGETS:
        return CommandError(line=line, message=f"at most {MAX_TARGETS} targets per command")
    return _test_command(line, tuple(targets), options)


def _target_problem(word: str) -> str | None:
    if SECRET.search(word):
        return f"refused {_shown(word)}"
    path, sep, symbol = word.partition("::")
    if not PATH.match(path) or (sep and not SYMBOL.match(symbol)):
        return (
            f"invalid target {_shown(word)}: use a relative PATH or PATH::SYMBOL "
            "inside the repository"
        )
    return None


def _test_command(
    line: str, targets: tuple[str, ...], options: dict[str, str]
) -> Command | CommandError:
    model = options.get("--model")
    if model is not None and (SECRET.search(model) or not MODEL.match(model)):
        return CommandError(line=line, message=f"invalid model {_shown(model)}")
    max_tasks = None
    if "--max-tasks" in options:
        raw = options["--max-tasks"]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_TASKS:
            return CommandError(
                line=line, message=f"`--max-tasks` must be a number from 1 to {MAX_TASKS}"
            )
        max_tasks = int(raw)
    mode = options.get("--mode")
    if mode is not None and mode not in MODES:
        return CommandError(
            line=line, message=f"`--mode` must be one of: {', '.join(MODES)} (got {_shown(mode)})"
        )
    return Command(name="test", targets=targets, model=model, max_tasks=max_tasks,
                   mode=mode, line=line)  # type: ignore[arg-type]
