"""tta_ci.cli.parser: every option explains itself and shows its default; no abbreviations;
an unknown option, command or choice is one line that suggests what was meant."""

from __future__ import annotations

import argparse

import pytest
from support.imports import loaded_after

from tta_ci.cli.main import build_parser, main
from tta_ci.cli.parser import HelpFormatter, Parser, add_commands
from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = {"tta-ci": parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


COMMANDS = _commands(build_parser())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_has_help_that_shows_its_default(name: str) -> None:
    parser = COMMANDS[name]
    formatter = HelpFormatter(parser.prog)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._VersionAction |
                      argparse._SubParsersAction):
            continue
        assert action.help and action.help is not argparse.SUPPRESS, (name, action.dest)
        shown = formatter._get_help_string(action) % {**vars(action), "prog": parser.prog}
        if action.required or (not action.option_strings and action.nargs not in ("?", "*")):
            continue
        assert "default" in shown, (name, action.option_strings, shown)
    assert parser.format_help()  # every help string formats
    assert not parser.allow_abbrev


@pytest.mark.parametrize("flag", ["--max-tasks", "--concurrency", "--mode", "--backend"])
def test_a_default_from_the_configuration_names_its_key(flag: str) -> None:
    text = " ".join(COMMANDS["run"].format_help().split())
    key = flag.removeprefix("--").replace("-", "_")
    assert f"(default: the configuration key `{key}`, else {Config.model_fields[key].default})" \
        in text


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["run", "--max-task", "3"],
                     "unknown option --max-task (did you mean '--max-tasks'?)", id="abbreviation"),
        pytest.param(["plan", "--stage"], "unknown option --stage (did you mean '--staged'?)",
                     id="abbreviation-of-a-flag"),
        pytest.param(["run", "--concurency=2"],
                     "unknown option --concurency (did you mean '--concurrency'?)",
                     id="typo-with-equals"),
        pytest.param(["rn"], "invalid choice: 'rn' (did you mean 'run'?)", id="command"),
        pytest.param(["run", "--backend", "ofline"], "invalid choice: 'ofline' (did you mean "
                     "'offline'?)", id="choice"),
        pytest.param(["frobnicate"], "invalid choice: 'frobnicate'; choose from run, plan",
                     id="nothing-close"),
        pytest.param(["run", "--xyzzy"], "unknown option --xyzzy (see: tta-ci run --help)",
                     id="no-suggestion"),
        pytest.param(["plan", "extra"], "unexpected argument(s): extra", id="positional"),
    ],
)
def test_usage_errors_are_one_line_with_a_suggestion(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv, {}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tta-ci: error: ")
    assert expected in err


def test_a_command_added_later_behaves_the_same() -> None:
    parser = Parser(prog="tta-ci")
    start = add_commands(parser).add_parser("start", help="start a run")
    start.add_argument("--max-tasks", type=int, help="at most N tasks")
    start.add_argument("--wait", type=float, default=2.5, help="seconds to wait")
    with pytest.raises(UsageError, match=r"did you mean '--max-tasks'\?"):
        parser.parse_args(["start", "--max-task", "1"])
    text = " ".join(start.format_help().split())
    assert "(default: the configuration key `max_tasks`, else 20)" in text
    assert "seconds to wait (default: 2.5)" in text
    assert parser.parse_args(["start", "--max-tasks", "1"]).max_tasks == 1


def test_parsing_imports_nothing_heavy() -> None:
    assert loaded_after("from tta_ci.cli.main import build_parser\n"
                        "build_parser().parse_args(['run', '--max-tasks', '3'])") == set()
