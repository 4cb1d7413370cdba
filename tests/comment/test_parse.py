"""tta_ci.comment.parse: ``/tta`` commands in a comment body, and the refusals."""

from __future__ import annotations

import pytest

from tta_ci.comment.parse import Command, CommandError, parse_commands


def one(body: str) -> Command | CommandError:
    (found,) = parse_commands(body)
    return found


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("/tta test", Command(name="test"), id="whole-diff"),
        pytest.param("/TTA Test", Command(name="test"), id="case-insensitive"),
        pytest.param("/tta help", Command(name="help"), id="help"),
        pytest.param("/tta", Command(name="help"), id="bare-is-help"),
        pytest.param("/tta config", Command(name="config"), id="config"),
        pytest.param("/tta test calc.py pkg/mod.py::Class.method",
                     Command(name="test", targets=("calc.py", "pkg/mod.py::Class.method")),
                     id="targets"),
        pytest.param("/tta test --model openai/gpt-4.1-mini --max-tasks 3 --mode commit",
                     Command(name="test", model="openai/gpt-4.1-mini", max_tasks=3,
                             mode="commit"), id="options"),
        pytest.param("/tta test --mode=pr --max-tasks=2 a.py",
                     Command(name="test", targets=("a.py",), max_tasks=2, mode="pr"),
                     id="equals-form"),
        pytest.param("  /tta test 'my dir/a.py'", None, id="quoted-space-refused"),
    ],
)
def test_commands(body: str, expected: Command | None) -> None:
    found = one(body)
    if expected is None:
        assert isinstance(found, CommandError)
    else:
        assert isinstance(found, Command)
        assert found.model_copy(update={"line": ""}) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param("/tta test --api-base http://evil", "unknown option `--api-base`",
                     id="api-base"),
        pytest.param("/tta test --api-key=sk-or-v1-abcdef", "unknown option `--api-key`",
                     id="api-key-flag"),
        pytest.param("/tta test sk-or-v1-0123456789abcdef",
                     "refused an argument that looks like a secret (not repeated here)",
                     id="key-as-target"),
        pytest.param("/tta test --model ghp_0123456789abcdefghij0123456789abcd",
                     "invalid model an argument that looks like a secret", id="key-as-model"),
        pytest.param("/tta test ../etc/passwd", "invalid target `../etc/passwd`", id="dotdot"),
        pytest.param("/tta test /etc/passwd", "invalid target `/etc/passwd`", id="absolute"),
        pytest.param("/tta test a.py::1bad", "invalid target `a.py::1bad`", id="bad-symbol"),
        pytest.param("/tta test --max-tasks 0", "`--max-tasks` must be a number from 1",
                     id="max-tasks-zero"),
        pytest.param("/tta test --max-tasks lots", "`--max-tasks` must be a number",
                     id="max-tasks-word"),
        pytest.param("/tta test --mode files", "`--mode` must be one of: comment, commit, pr",
                     id="mode"),
        pytest.param("/tta test --mode", "`--mode` needs a value", id="missing-value"),
        pytest.param("/tta test --mode pr --mode commit", "`--mode` is given twice",
                     id="twice"),
        pytest.param("/tta deploy", "unknown command `deploy`; try `/tta help`", id="unknown"),
        pytest.param("/tta help me", "`/tta help` takes no arguments", id="help-args"),
        pytest.param("/tta test 'a.py", "malformed quoting: No closing quotation",
                     id="quoting"),
    ],
)
def test_refusals(body: str, message: str) -> None:
    found = one(body)
    assert isinstance(found, CommandError)
    assert message in found.message
    assert "0123456789abcdef" not in found.message


def test_several_commands_and_prose() -> None:
    body = "Thanks!\n/tta help\nsome text /tta test\n> /tta test quoted\n/tta test a.py\n/ttax"
    found = parse_commands(body)
    assert [c.name for c in found if isinstance(c, Command)] == ["help", "test"]
    assert found[1] == Command(name="test", targets=("a.py",), line="/tta test a.py")


def test_no_command() -> None:
    assert parse_commands("LGTM, /tta is neat") == []
    assert parse_commands("") == []
