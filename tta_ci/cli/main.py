"""Command line: argparse, dispatch, and the one error handler.

Kept light on purpose: nothing heavy is imported until a command runs, so that the
pre-commit hook's no-op path stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from tta_ci._version import __version__
from tta_ci.cli.parser import Parser, add_commands
from tta_ci.core import aio
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
MODES = ("none", "files", "commit", "comment", "pr", "summary")
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143, as a shell reports a process SIGTERM ended


def _add_repo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", default=".", metavar="DIR", help="the git checkout")
    p.add_argument("--config", metavar="FILE", help="the configuration file (default: "
                   ".tta-ci.toml, else [tool.tta-ci] in pyproject.toml, in the checkout)")


def _add_refs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base", metavar="REF", help="base of the change, compared from its "
                   "merge-base with HEAD (default: the pull request's base in "
                   "$GITHUB_EVENT_PATH, else the upstream of HEAD, else HEAD~1)")
    p.add_argument("--head", metavar="REF", help="head of the change (default: the "
                   "event's head, else HEAD)")
    p.add_argument("--shard", metavar="I/N",
                   help="take the I-th of N disjoint, balanced shares of the tasks (default: "
                        "all of them)")


def _add_run_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=("auto", "openrouter", "openhands", "offline"),
                   help="the test generator; auto is openrouter when the API key is set, "
                        "offline otherwise")
    p.add_argument("--model", metavar="MODEL", help="model id, e.g. openai/gpt-4.1-mini "
                   "(default: the configuration key `model`, else the model selector's "
                   "choice)")
    p.add_argument("--max-tasks", type=int, metavar="N",
                   help="at most N tasks; the rest are listed as skipped")
    p.add_argument("--concurrency", type=int, metavar="N", help="tasks run at the same time")
    p.add_argument("--budget-usd", type=float, metavar="X",
                   help="start no task once X US dollars were spent")


def _add_json(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--json", action="store_true", help=f"print {what} as JSON on stdout")


def _add_run_options(p: argparse.ArgumentParser, *, refs: bool = True) -> None:
    """The options of ``run``, shared by ``start`` and ``sweep``."""
    _add_repo(p)
    if refs:
        _add_refs(p)
    _add_run_flags(p)
    p.add_argument("--mode", choices=MODES, help="where accepted tests go")
    p.add_argument("--output-dir", metavar="DIR", help="where metrics.json and summary.md "
                   "are written (a path given here is relative to the current directory)")
    p.add_argument("--fail-on-rejected", action="store_true", default=None,
                   help="exit 1 when a task ends rejected or as a possible bug")
    _add_json(p, "the metrics document")


def _add_run_lookup(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", metavar="ID", help="the run (default: the latest)")
    _add_repo(p)
    p.add_argument("--output-dir", metavar="DIR", help="where start wrote the run (default: "
                   "the configuration key `output_dir`)")
    _add_json(p, "the run's state")


def _add_run(sub: argparse._SubParsersAction[Parser]) -> None:
    run = sub.add_parser("run", help="plan, generate, validate and publish tests for a change")
    _add_run_options(run)


def _add_background(sub: argparse._SubParsersAction[Parser]) -> None:
    start = sub.add_parser("start", help="plan, then run in the background; prints a run id")
    _add_run_options(start)
    status = sub.add_parser("status", help="how far a started run is (never waits)")
    _add_run_lookup(status)
    collect = sub.add_parser("collect", help="wait for a started run, then publish it as run does")
    _add_run_lookup(collect)
    collect.add_argument("--timeout", type=float, metavar="S",
                         help="give up after S seconds (default: wait as long as it runs)")
    collect.add_argument("--fail-on-rejected", action="store_true", default=None,
                         help="exit 1 when a task ends rejected or as a possible bug")
    sweep = sub.add_parser("sweep", help="tests for the repository's untested public functions, "
                           "as one pull request")
    _add_run_options(sweep, refs=False)


def _add_plan(sub: argparse._SubParsersAction[Parser]) -> None:
    plan = sub.add_parser("plan", help="show the tasks that run would do, and what it skips")
    _add_repo(plan)
    _add_refs(plan)
    plan.add_argument("--staged", action="store_true",
                      help="plan the staged changes (the index against HEAD)")
    plan.add_argument("--backend", choices=("auto", "openrouter", "openhands", "offline"),
                      help="the backend whose skips to list, as run would choose it")
    plan.add_argument("--max-tasks", type=int, metavar="N",
                      help="at most N tasks; the rest are listed as skipped")
    _add_json(plan, '{"tasks": [...], "skipped": [...]}')
    plan.add_argument("--matrix", type=int, metavar="N",
                      help="print a GitHub Actions job matrix of at most N shards")


def _add_validate(sub: argparse._SubParsersAction[Parser]) -> None:
    validate = sub.add_parser("validate", help="validate one candidate test file")
    validate.add_argument("candidate", metavar="CANDIDATE.py", help="the test file to judge")
    validate.add_argument("--target", required=True, metavar="PATH[:START-END]",
                          help="the code under test and the changed lines the test must "
                               "cover (required; without a range: the lines changed against "
                               "HEAD, else the whole file)")
    _add_repo(validate)
    _add_json(validate, "the verdict")


def _add_generate(sub: argparse._SubParsersAction[Parser]) -> None:
    for name in ("generate", "submit-task"):
        gen = sub.add_parser(name, help="generate tests for one file or symbol"
                             + (" (alias of generate)" if name != "generate" else ""))
        gen.add_argument("--target-file", required=True, metavar="PATH",
                         help="the file to test (required)")
        gen.add_argument("--symbol", metavar="NAME", help="one function, Class.method or "
                         "class of the file (default: each function and method)")
        gen.add_argument("--task-type", default="unit_test", choices=("unit_test",),
                         help="the kind of test")
        gen.add_argument("--priority", default="normal", choices=("high", "normal", "low"),
                         help="queue priority of the tasks")
        gen.add_argument("--description", default="", metavar="TEXT",
                         help="extra instructions for the generator (default: none)")
        _add_repo(gen)
        _add_run_flags(gen)
        gen.add_argument("--mode", choices=("none", "files"), help="where accepted tests go")
        gen.add_argument("--output-dir", metavar="DIR", help="where metrics.json and "
                         "summary.md are written (a path given here is relative to the "
                         "current directory)")
        _add_json(gen, "the metrics document")


def _add_others(sub: argparse._SubParsersAction[Parser]) -> None:
    hook = sub.add_parser("hook", help="the pre-commit entry point")
    hook.add_argument("files", nargs="*", metavar="FILE",
                      help="the staged files to consider (default: every staged file)")
    hook.add_argument("--check", action="store_true",
                      help="generate nothing; fail on changed public functions no test covers")
    _add_repo(hook)

    comment = sub.add_parser("comment", help="handle an issue_comment event (/tta commands)")
    comment.add_argument("--event", metavar="PATH", help="the event file (default: "
                         "$GITHUB_EVENT_PATH)")
    _add_repo(comment)
    comment.add_argument("--output-dir", metavar="DIR", help="where metrics.json and "
                         "summary.md are written (default: the configuration key "
                         "`output_dir`, else .tta-ci/out)")

    merge = sub.add_parser("merge", help="merge the outputs of sharded runs")
    merge.add_argument("dirs", nargs="+", metavar="DIR",
                       help="the output folders of the shards")
    merge.add_argument("--output-dir", metavar="OUT", default=None,
                       help="where the merged files go (default: merged)")
    merge.add_argument("--mode", choices=("none", "comment", "summary"),
                       help="how the merged result is published (default: the configuration "
                            "key `mode` when it is none, summary or comment, else summary)")
    _add_repo(merge)

    demo = sub.add_parser("demo", help="the whole pipeline on a scratch repository, offline")
    demo.add_argument("--dir", metavar="DIR",
                      help="where to build it, a new or empty folder (default: a temp dir)")

    config = sub.add_parser("config", help="show the effective configuration, secrets "
                            "redacted")
    _add_repo(config)
    _add_json(config, "the configuration")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="tta-ci", description="Turn code changes into validated unit tests.")
    parser.add_argument("--version", action="version", version=f"tta-ci {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = add_commands(parser)
    for add in (_add_run, _add_plan, _add_validate, _add_generate, _add_others, _add_background):
        add(sub)
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
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, aio.on_sigterm) if in_main_thread else None
    aio.reset()
    try:
        return _main(argv, environ)
    finally:
        if in_main_thread:  # the temporary folders go at exit (tta_ci.core.scratch)
            signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)


def _main(argv: Sequence[str] | None, environ: Mapping[str, str]) -> int:
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
        if aio.terminated():
            print("tta-ci: terminated by SIGTERM; workspaces removed", file=sys.stderr)
            return EXIT_TERMINATED
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
