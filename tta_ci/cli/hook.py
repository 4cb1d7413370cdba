"""``tta-ci hook [FILES…] [--check]``: the pre-commit entry point.

``tta-ci hook`` (hook id ``tta-ci``) plans the staged change limited to FILES (pre-commit
passes the staged file names; without FILES, every staged file), generates tests (offline
unless the configured API key is set), validates them against a snapshot of the staged
content, and writes the accepted ones next to the existing tests. Exit 1 when it wrote a file
(the user reviews it and ``git add``-s it), 0 when nothing needed doing.

``tta-ci hook --check`` (hook id ``tta-ci-check``) generates nothing: it exits 1 listing the
changed public functions that no existing test runs, or when coverage cannot be measured.

The no-op path (``SKIP`` names the hook, no Python file, only test files, only excluded
files) uses ``tta_ci.hook.files`` alone and returns before anything heavy is imported;
the real work is in ``tta_ci.hook.run``.
"""

from __future__ import annotations

import argparse
import os

from tta_ci.core.paths import python_candidates
from tta_ci.hook.files import (
    CHECK_HOOK_ID,
    HOOK_ID,
    maybe_planned,
    read_file_rules,
    repo_relative,
    skipped_by_env,
)

TYPE_CHECKING = False  # not typing's: this module is on the hook's fast path
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["hook", "hook_files"]

NOTHING = "nothing to do: no staged Python change outside tests and excluded files"


def _say(line: str) -> None:
    print(f"tta-ci: {line}", flush=True)


def hook_files(args: argparse.Namespace, environ: Mapping[str, str]) -> list[str]:
    """The repository-relative files worth planning; [] when the hook has nothing to do.

    Cheap: file names first, the raw configuration only when some file survives them.
    """
    repo: str = args.repo
    files: Sequence[str] = args.files
    if files:  # named on the command line: relative to the current directory
        if not python_candidates(files):
            return []
        files = repo_relative(python_candidates(files), repo, os.getcwd())
    else:  # git's staged names are relative to the top of the repository already
        from pathlib import Path

        from tta_ci.git.cli import staged_names

        files = python_candidates(staged_names(Path(repo)))
        if not files:
            return []
    rules = read_file_rules(repo, environ, getattr(args, "config", None))
    return files if rules is None else maybe_planned(files, rules)


def hook(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    hook_id = CHECK_HOOK_ID if args.check else HOOK_ID
    if skipped_by_env(environ, hook_id):
        _say(f"skipped: SKIP names {hook_id}")
        return 0
    files = hook_files(args, environ)
    if not files:
        _say(NOTHING)
        return 0
    from pathlib import Path

    from tta_ci.cli._common import config_from_args
    from tta_ci.core.logs import setup_logging
    from tta_ci.hook.run import check, generate

    setup_logging(verbose=bool(getattr(args, "verbose", False)), environ=environ)
    config = config_from_args(args, environ, keys=())
    run = check if args.check else generate
    return run(Path(args.repo), config, files, environ)
