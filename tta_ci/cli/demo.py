"""``tta-ci demo``: the whole pipeline, offline, on a scratch repository built from an example.

It commits the example's base, then a change on top, and runs ``tta-ci run`` on that change
with the offline generator in files mode. Outputs land in ``DIR/.tta-ci/out``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

from tta_ci.core import aio
from tta_ci.core.errors import UsageError
from tta_ci.core.progress import announce

__all__ = ["build_demo_repo", "demo", "demo_files"]

DEMO_CONFIG = """\
# tta-ci configuration of the demo repository
backend = "offline"
mode = "files"
max_tasks = 10
concurrency = 4
"""
AUTHOR = ("tta-ci demo", "demo@tta-ci.invalid")


_DATA = ".txt"  # stored as text, so that the example is never taken for tta-ci's own code


def _walk(node: Traversable, prefix: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        path = f"{prefix}{child.name.removesuffix(_DATA)}"
        if child.is_dir():
            found.update(_walk(child, f"{path}/"))
        elif child.name.endswith(_DATA):
            found[path] = child.read_text(encoding="utf-8")
    return found


def demo_files(kind: Literal["base", "change"]) -> dict[str, str]:
    """path → text of the ``base`` tree or of the files the ``change`` rewrites."""
    if kind not in ("base", "change"):
        raise ValueError(f"kind must be 'base' or 'change', not {kind!r}")
    return _walk(resources.files("tta_ci") / "demo_project" / kind, "")


def _write(root: Path, files: Mapping[str, str]) -> list[str]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def build_demo_repo(root: Path) -> tuple[str, str]:
    """A git repository at ``root``: the example's base, then its change. Returns both SHAs."""
    from tta_ci.git import cli as gitcli

    gitcli.run(root, "init", "--quiet", "--initial-branch=main")
    for key, value in (("user.name", AUTHOR[0]), ("user.email", AUTHOR[1]),
                       ("commit.gpgsign", "false")):
        gitcli.run(root, "config", key, value)
    shas = []
    base = {**demo_files("base"), ".tta-ci.toml": DEMO_CONFIG, ".gitignore": ".tta-ci/\n"}
    change = demo_files("change")
    for layer, message in ((base, "Example project"), (change, "Change pricing rules")):
        gitcli.run(root, "add", "--", *_write(root, layer))
        gitcli.run(root, "commit", "--quiet", "--no-verify", "-m", message)
        shas.append(gitcli.run(root, "rev-parse", "HEAD"))
    return shas[0], shas[1]


def _target(args: argparse.Namespace) -> Path:
    if args.dir is None:
        return Path(tempfile.mkdtemp(prefix="tta-ci-demo-"))
    root = Path(args.dir)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise UsageError(f"{root}: not an empty directory; give --dir a new or empty one")
    root.mkdir(parents=True, exist_ok=True)
    return root


def demo(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    started = time.monotonic()
    root = _target(args)
    announce(f"demo: building an example repository in {root}")
    from tta_ci.core.config import load_config
    from tta_ci.publish.base import PublishContext
    from tta_ci.publish.console import Progress, output_dir, print_table
    from tta_ci.publish.modes import publish
    from tta_ci.publish.outputs import write_documents
    from tta_ci.run.pipeline import run_pipeline

    base, head = build_demo_repo(root)
    offline_env = {k: v for k, v in environ.items() if not k.startswith(("TTA_", "GITHUB_"))}
    config = load_config(root, offline_env)
    console = Progress()
    with console.live():
        outcome = aio.run(
            run_pipeline(root, config, offline_env, base=base, head=head, on_progress=console)
        )
    out = output_dir(config, root)
    metrics_path, summary_path = write_documents(outcome.document, out)
    published = publish(
        outcome.document,
        PublishContext(repo=root, config=config, environ=offline_env, event=None, output_dir=out),
    )
    print_table(outcome.document, sys.stdout)
    for name in published.files:
        print(f"accepted tests written to {root / name}")
    print(f"summary: {summary_path}\nmetrics: {metrics_path}")
    print(f"try them: cd {root} && {sys.executable} -m pytest -q   "
          f"({time.monotonic() - started:.1f}s)")
    return 0 if outcome.document.totals.accepted else 1
