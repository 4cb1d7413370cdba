"""Command line: argparse, dispatch, and the one error handler.

Kept light on purpose: nothing heavy is imported until a command runs, so that the
pre-commit hook's no-op path stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from tta_ci._version import __version__
from tta_ci.core.errors import TtaError, UsageError

TYPE_CHECKING = False  # not typing's: importing typing would slow the hook's no-op path
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["COMMANDS", "entry", "main"]

# command → "module:function"; function(args, environ) -> exit code
COMMANDS: dict[str, str] = {
    "run": "tta_ci.cli.run:run",
    "plan": "tta_ci.cli.plan:plan",
    "validate": "tta_ci.cli.validate:validate",
    "generate": "tta_ci.cli.generate:generate",
    "hook": "tta_ci.cli.hook:hook",
    "comment": "tta_ci.cli.comment:comment",
    "merge": "tta_ci.cli.merge:merge",
    "demo": "tta_ci.cli.demo:demo",
    "config": "tta_ci.cli.config:config",
    "start": "tta_ci.cli.start:start",
    "status": "tta_ci.cli.status:status",
    "collect": "tta_ci.cli.collect:collect",
    "sweep": "tta_ci.cli.sweep:sweep",
}
ALIASES = {"submit-task": "generate"}

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_CRASH, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    """Usage errors become ``UsageError`` so that the one handler prints them."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _add_repo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", default=".", metavar="DIR", help="the git checkout (default: .)")
    p.add_argument("--config", metavar="FILE", help="configuration file (default: .tta-ci.toml "
                   "or [tool.tta-ci] in pyproject.toml)")


def _add_refs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base", metavar="REF", help="base of the change (default: from the event, "
                   "or the upstream of HEAD)")
    p.add_argument("--head", metavar="REF", help="head of the change (default: HEAD)")
    p.add_argument("--shard", metavar="I/N", help="take the I-th of N disjoint shares of the tasks")


def _add_run_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=("auto", "openrouter", "openhands", "offline"))
    p.add_argument("--model", metavar="MODEL", help="model id, e.g. openai/gpt-4.1-mini")
    p.add_argument("--max-tasks", type=int, metavar="N")
    p.add_argument("--concurrency", type=int, metavar="N")
    p.add_argument("--budget-usd", type=float, metavar="X")


def _add_run_options(p: argparse.ArgumentParser, *, refs: bool = True) -> None:
    _add_repo(p)
    if refs:
        _add_refs(p)
    _add_run_flags(p)
    p.add_argument("--mode", choices=("none", "files", "commit", "comment", "pr", "summary"))
    p.add_argument("--output-dir", metavar="DIR")
    p.add_argument("--fail-on-rejected", action="store_true", default=None,
                   help="exit 1 when a task ends rejected or as a possible bug")
    p.add_argument("--json", action="store_true", help="print metrics.json on stdout")


def _add_run_lookup(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", metavar="ID", help="the run (default: the latest)")
    _add_repo(p)
    p.add_argument("--output-dir", metavar="DIR", help="where start wrote the run")
    p.add_argument("--json", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tta-ci", description="Turn code changes into validated unit tests.")
    parser.add_argument("--version", action="version", version=f"tta-ci {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="plan, generate, validate and publish tests for a change")
    _add_run_options(run)
    start = sub.add_parser("start", help="plan, then run in the background; prints a run id")
    _add_run_options(start)
    status = sub.add_parser("status", help="how far a started run is (never waits)")
    _add_run_lookup(status)
    collect = sub.add_parser("collect", help="wait for a started run, then publish it as run does")
    _add_run_lookup(collect)
    collect.add_argument("--timeout", type=float, metavar="S", help="give up after S seconds")
    collect.add_argument("--fail-on-rejected", action="store_true", default=None,
                         help="exit 1 when a task ends rejected or as a possible bug")
    sweep = sub.add_parser("sweep", help="tests for the repository's untested public functions, "
                           "as one pull request")
    _add_run_options(sweep, refs=False)

    plan = sub.add_parser("plan", help="show the tasks that run would do")
    _add_repo(plan)
    _add_refs(plan)
    plan.add_argument("--staged", action="store_true", help="plan the staged changes")
    plan.add_argument("--max-tasks", type=int, metavar="N")
    plan.add_argument("--json", action="store_true")
    plan.add_argument("--matrix", type=int, metavar="N", help="print a GitHub Actions job matrix")

    validate = sub.add_parser("validate", help="validate one candidate test file")
    validate.add_argument("candidate", metavar="CANDIDATE.py")
    validate.add_argument("--target", required=True, metavar="PATH[:START-END]")
    _add_repo(validate)
    validate.add_argument("--json", action="store_true")

    for name in ("generate", "submit-task"):
        gen = sub.add_parser(name, help="generate tests for one file or symbol"
                             + (" (alias of generate)" if name != "generate" else ""))
        gen.add_argument("--target-file", required=True, metavar="PATH")
        gen.add_argument("--symbol", metavar="NAME")
        gen.add_argument("--task-type", default="unit_test", choices=("unit_test",))
        gen.add_argument("--priority", default="normal", choices=("high", "normal", "low"))
        gen.add_argument("--description", default="", metavar="TEXT")
        _add_repo(gen)
        _add_run_flags(gen)
        gen.add_argument("--mode", choices=("none", "files"))
        gen.add_argument("--output-dir", metavar="DIR")
        gen.add_argument("--json", action="store_true")

    hook = sub.add_parser("hook", help="pre-commit entry point")
    hook.add_argument("files", nargs="*", metavar="FILE")
    hook.add_argument("--check", action="store_true",
                      help="generate nothing; fail on changed public functions no test covers")
    _add_repo(hook)

    comment = sub.add_parser("comment", help="handle an issue_comment event")
    comment.add_argument("--event", metavar="PATH", help="event file (default: $GITHUB_EVENT_PATH)")
    _add_repo(comment)
    comment.add_argument("--output-dir", metavar="DIR")

    merge = sub.add_parser("merge", help="merge the outputs of sharded runs")
    merge.add_argument("dirs", nargs="+", metavar="DIR")
    merge.add_argument("--output-dir", metavar="OUT", default=None)
    merge.add_argument("--mode", choices=("none", "comment", "summary"))
    _add_repo(merge)

    demo = sub.add_parser("demo", help="the whole pipeline on a scratch repository, offline")
    demo.add_argument("--dir", metavar="DIR", help="where to build it (default: a temp dir)")

    config = sub.add_parser("config", help="show the effective configuration")
    _add_repo(config)
    config.add_argument("--json", action="store_true")
    return parser


def _dispatch(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    command = ALIASES.get(args.command, args.command)
    module_name, _, func_name = COMMANDS[command].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise UsageError(f"'{command}' is not available in tta-ci {__version__} yet") from None
    code: int = getattr(module, func_name)(args, environ)
    return code


def _setup_logging(verbose: bool, environ: Mapping[str, str]) -> None:
    from tta_ci.core.logs import setup_logging

    setup_logging(verbose=verbose, environ=environ)


def _crash_report(exc: BaseException, environ: Mapping[str, str]) -> str:
    import logging  # here, not at the top: the hook's no-op path imports only what it needs
    import tempfile
    import traceback

    from tta_ci.core.secrets import Redactor

    text = Redactor.from_env(environ)("".join(traceback.format_exception(exc)))
    fd, path = tempfile.mkstemp(prefix="tta-ci-crash-", suffix=".log")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    logging.getLogger("tta_ci").debug("%s", text)
    return path


def _redact(text: str, environ: Mapping[str, str]) -> str:
    from tta_ci.core.secrets import Redactor

    return Redactor.from_env(environ)(text)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("a command is required (see: tta-ci --help)")
        if args.command != "hook":  # the hook sets logging up past its cheap no-op path
            _setup_logging(args.verbose, environ)
        return _dispatch(args, environ)
    except TtaError as exc:
        print(f"tta-ci: error: {_redact(str(exc), environ)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tta-ci: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        path = _crash_report(exc, environ)
        message = _redact(f"{type(exc).__name__}: {exc}", environ)
        print(f"tta-ci: unexpected error: {message} (traceback: {path})", file=sys.stderr)
        return EXIT_CRASH


def entry() -> None:
    raise SystemExit(main())


if __name__ == "__main__":
    entry()
