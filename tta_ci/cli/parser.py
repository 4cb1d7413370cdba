"""The argument parser every command shares: help that shows each default, no abbreviations,
and one-line usage errors that suggest what was meant.

``Parser`` is the parser class of the top level and of every subcommand (``add_commands``
hands it to ``add_subparsers``), so a command added with ``commands.add_parser(...)`` gets
all of this without code of its own:

* ``allow_abbrev=False``: ``--max-task`` is an error, never taken for ``--max-tasks``;
* an unknown option or command (or a bad choice) is one line with "did you mean …"
  (``difflib``), raised as ``UsageError`` (exit 2);
* ``--help`` shows the default of every option: its own, or, for an option that sets a
  configuration key, the key's name and built-in default (looked up only when help is shown,
  so that parsing imports nothing heavy).
"""

from __future__ import annotations

import argparse

from tta_ci.core.errors import UsageError

TYPE_CHECKING = False  # not typing's: this module is on the hook's no-op path
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any, NoReturn

__all__ = ["CONFIG_FLAGS", "HelpFormatter", "Parser", "add_commands", "did_you_mean"]

# options that set the configuration key of the same name (dest → key)
CONFIG_FLAGS = (
    "backend",
    "mode",
    "output_dir",
    "max_tasks",
    "concurrency",
    "budget_usd",
    "model",
    "fail_on_rejected",
)


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known``, or ``""``."""
    import difflib  # only on an error: the hook's no-op path does not need it

    close = difflib.get_close_matches(word, [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _config_default(key: str) -> str:
    from tta_ci.core.config import Config  # only when help is shown: pydantic is heavy

    value = Config.model_fields[key].default
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


class HelpFormatter(argparse.HelpFormatter):
    """Adds ``(default: …)`` to every option whose help does not already say it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default is argparse.SUPPRESS or action.required:
            return text
        if not action.option_strings and action.nargs not in ("?", "*"):
            return text  # a required positional has no default
        if action.dest in CONFIG_FLAGS and action.default is None:
            key = action.dest
            shown = f"the configuration key `{key}`, else {_config_default(key)}"
        elif isinstance(action, argparse._StoreTrueAction) or action.default is False:
            shown = "off"
        elif action.default is None or action.default == []:
            shown = "none"
        else:
            shown = "%(default)s"
        return f"{text} (default: {shown})".strip()


class Parser(argparse.ArgumentParser):
    """An ArgumentParser with the behaviour described in the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is not None and value not in choices:
            listed = ", ".join(map(str, choices))
            hint = did_you_mean(str(value), choices)
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r}{hint}; choose from {listed}")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """As argparse's, but an unknown option is an error here, where the options of this
        (sub)command are known, so that the error can suggest one of them."""
        parsed, extras = super().parse_known_args(args, namespace)
        for word in extras:
            if word.startswith("-") and word != "-":
                name = word.partition("=")[0]
                hint = did_you_mean(name, self._option_string_actions)
                self.error(f"unknown option {name}{hint}")
        if extras:
            self.error(f"unexpected argument(s): {' '.join(extras)}")
        return parsed, extras


def add_commands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[Parser]:
    """The subcommands of ``parser``, each a ``Parser`` (``args.command`` names the one
    given)."""
    return parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
