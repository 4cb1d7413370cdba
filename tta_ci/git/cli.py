"""The git command line, for what GitPython's reads do not cover: worktrees, snapshots,
commits, pushes, and the few facts the pre-commit hook needs on its cheap path.

Every command goes through ``run``; a failure becomes a one-line ``GitError`` naming the
command and git's last line of complaint. Nothing here imports GitPython, so the hook can
ask for its staged file names without paying for it.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import subprocess
import tarfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from tta_ci.core.errors import GitError
from tta_ci.core.scratch import scratch

__all__ = [
    "IDENTITY",
    "REMOTE",
    "archive_into",
    "changed_paths",
    "commits_between",
    "ensure_commit",
    "has_commit",
    "ignored_paths",
    "index_snapshot",
    "is_shallow",
    "is_toplevel",
    "listed_files",
    "ls_remote",
    "protected_paths",
    "prune_worktrees",
    "remote_env",
    "repo_root",
    "run",
    "show",
    "staged_names",
    "worktree",
]

REMOTE = "origin"
# Who tta-ci's own commits are by, when the checkout names nobody (a CI runner).
IDENTITY = {
    "GIT_AUTHOR_NAME": "github-actions[bot]",
    "GIT_AUTHOR_EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
    "GIT_COMMITTER_NAME": "github-actions[bot]",
    "GIT_COMMITTER_EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
}
_WORKTREE_LOCK = threading.Lock()  # worktrees of one repository are added one at a time


def run_bytes(repo: Path, *args: str, env: Mapping[str, str] | None = None,
              stdin: bytes | None = None) -> bytes:
    """``git ARGS`` in ``repo``; its stdout. A failure is a one-line ``GitError``."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=repo, input=stdin, capture_output=True, check=True,
            env=None if env is None else dict(env),
        )
    except subprocess.CalledProcessError as exc:
        detail = _complaint(exc.stderr.decode(errors="replace"), exc.returncode)
        raise GitError(f"git {args[0]} failed in {repo}: {detail}") from exc
    except OSError as exc:
        raise GitError(f"cannot run git in {repo}: {exc}") from exc
    return done.stdout


def _complaint(stderr: str, returncode: int) -> str:
    """git's first ``fatal:``/``error:`` line (its later lines are advice), else its last."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else f"exit status {returncode}"


def run(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """``run_bytes`` decoded (undecodable bytes kept as surrogates), surrounding space cut."""
    return run_bytes(repo, *args, env=env).decode("utf-8", errors="surrogateescape").strip()


def _names(output: bytes) -> list[str]:
    return [name for name in output.decode("utf-8", "surrogateescape").split("\0") if name]


def repo_root(repo: Path) -> Path:
    """The top of the working tree that contains ``repo``."""
    return Path(run(repo, "rev-parse", "--show-toplevel"))


def is_toplevel(path: Path) -> bool:
    """Whether ``path`` is the top of a git working tree."""
    try:
        return repo_root(path).resolve() == path.resolve()
    except GitError:
        return False


def has_commit(repo: Path, sha: str) -> bool:
    try:
        run(repo, "cat-file", "-e", f"{sha}^{{commit}}")
    except GitError:
        return False
    return True


def remote_env(repo: Path, environ: Mapping[str, str] | None,
               remote: str = REMOTE) -> dict[str, str] | None:
    """The environment for a git command that talks to ``remote`` on GitHub with the job's
    ``GITHUB_TOKEN`` (None: git's own configuration is enough).

    A checkout with ``persist-credentials: false`` keeps no token, so the token goes to git as
    an ``Authorization`` header scoped to the GitHub server, through git's ``GIT_CONFIG_*``
    variables: never on a command line, never in ``.git/config``. A remote elsewhere, or a
    checkout that kept its own header, gets nothing.
    """
    token = (environ or {}).get("GITHUB_TOKEN", "")
    if not token or environ is None:
        return None
    server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    key = f"http.{server}/.extraheader"
    try:
        url = run(repo, "remote", "get-url", remote)
    except GitError:
        return None
    if not url.startswith(f"{server}/") or _configured(repo, key):
        return None
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    count = int(environ.get("GIT_CONFIG_COUNT") or 0)
    return {**environ, "GIT_CONFIG_COUNT": str(count + 1), f"GIT_CONFIG_KEY_{count}": key,
            f"GIT_CONFIG_VALUE_{count}": f"AUTHORIZATION: basic {basic}"}


def _configured(repo: Path, key: str) -> bool:
    try:
        return bool(run(repo, "config", "--get-all", key))
    except GitError:  # git exits 1 for a key it does not have
        return False


def ensure_commit(repo: Path, sha: str, ref: str | None = None,
                  environ: Mapping[str, str] | None = None) -> None:
    """Fetch ``ref`` (default: ``sha``) from ``origin`` unless ``sha`` is already here."""
    if not has_commit(repo, sha):
        run(repo, "fetch", "--quiet", "--no-tags", REMOTE, ref or sha,
            env=remote_env(repo, environ))


def show(repo: Path, sha: str, path: str) -> str | None:
    """The text of ``path`` at ``sha``, or None when it is not there."""
    try:
        return run_bytes(repo, "show", f"{sha}:{path}").decode("utf-8", errors="replace")
    except GitError:
        return None


def staged_names(repo: Path) -> list[str]:
    """Files added, copied, modified or renamed in the index (repository-relative)."""
    return _names(run_bytes(repo, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR",
                            "--no-renames"))


def listed_files(repo: Path) -> list[str]:
    """Tracked files and untracked files that are not ignored, as in the working tree."""
    return _names(run_bytes(repo, "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"))


def ignored_paths(repo: Path) -> list[str]:
    """What git ignores in the working tree: files, and folders as one entry ending in ``/``
    (their contents are not listed)."""
    return _names(run_bytes(repo, "ls-files", "-z", "--others", "--ignored",
                            "--exclude-standard", "--directory"))


def is_shallow(repo: Path) -> bool:
    """Whether ``repo`` is a shallow clone (history cut short, as actions/checkout leaves it)."""
    try:
        return run(repo, "rev-parse", "--is-shallow-repository") == "true"
    except GitError:
        return False


def _safe_member(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's ``data`` filter, but a member it refuses (a link out of the tree) is left out
    instead of ending the extraction."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def archive_into(repo: Path, sha: str, dest: Path) -> None:
    """The tree of ``sha`` written into ``dest`` (``git archive``): files only, no ``.git``."""
    try:
        proc = subprocess.Popen(["git", "archive", "--format=tar", sha], cwd=repo,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise GitError(f"cannot run git in {repo}: {exc}") from exc
    assert proc.stdout is not None and proc.stderr is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            tar.extractall(dest, filter=_safe_member)
    except tarfile.ReadError:
        pass  # git failed before writing an archive: reported below
    finally:
        # the tar reader stops at the end-of-archive blocks; git may still be writing the
        # record's padding, and a pipe closed under it ends git with SIGPIPE
        while proc.stdout.read(65536):
            pass
        proc.stdout.close()
        stderr = proc.stderr.read().decode(errors="replace")
        proc.wait()
    if proc.returncode != 0:
        raise GitError(f"git archive failed in {repo}: {_complaint(stderr, proc.returncode)}")


def prune_worktrees(repo: Path) -> None:
    """Forget worktrees whose folders are gone (left by a run that was killed)."""
    with contextlib.suppress(GitError):
        run(repo, "worktree", "prune")


def protected_paths(repo: Path) -> set[str]:
    """Files holding user work that git has not committed: staged, edited, or untracked.

    The hook never writes into one of these (it uses a sibling file instead).
    """
    staged = _names(run_bytes(repo, "diff", "--cached", "--name-only", "-z", "--no-renames"))
    edited = _names(run_bytes(repo, "diff", "--name-only", "-z", "--no-renames"))
    untracked = _names(run_bytes(repo, "ls-files", "-z", "--others", "--exclude-standard"))
    return {*staged, *edited, *untracked}


def changed_paths(workdir: Path) -> list[str]:
    """Paths of ``workdir`` that differ from its commit (added, changed, deleted), sorted."""
    try:
        out = run_bytes(workdir, "status", "--porcelain=v1", "-z", "--untracked-files=all",
                        "--no-renames")
    except GitError:
        return []
    return sorted({entry[3:] for entry in _names(out) if len(entry) > 3})


def index_snapshot(repo: Path, environ: Mapping[str, str]) -> str:
    """A commit (on no branch) of the staged content; its SHA.

    Writes only git objects; refs, the index and the working tree are left as they were.
    """
    tree = run(repo, "write-tree")
    args = ["commit-tree", tree, "-m", "tta-ci: staged snapshot"]
    with contextlib.suppress(GitError):  # no commit yet: a snapshot without a parent
        args += ["-p", run(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")]
    return run(repo, *args, env={**environ, **IDENTITY})


def ls_remote(repo: Path, branch: str, remote: str = REMOTE,
              environ: Mapping[str, str] | None = None) -> str | None:
    """The SHA the remote branch points at now, or None when it does not exist."""
    out = run(repo, "ls-remote", "--heads", remote, f"refs/heads/{branch}",
              env=remote_env(repo, environ, remote))
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return None


def commits_between(repo: Path, tip: str, base: str) -> list[tuple[str, str]]:
    """(SHA, message) of the commits reachable from ``tip`` and not from ``base``, newest first."""
    out = run(repo, "log", "--format=%H%x1f%B%x1e", tip, "--not", base, "--")
    found = []
    for entry in out.split("\x1e"):
        sha, _, message = entry.strip().partition("\x1f")
        if sha:
            found.append((sha, message.strip()))
    return found


def identity_args(repo: Path) -> list[str]:
    """``-c user.name=… -c user.email=…`` when ``repo`` names no committer, else nothing."""
    try:
        run(repo, "config", "user.email")
    except GitError:
        return ["-c", f"user.name={IDENTITY['GIT_AUTHOR_NAME']}",
                "-c", f"user.email={IDENTITY['GIT_AUTHOR_EMAIL']}"]
    return []


@contextlib.contextmanager
def worktree(repo: Path, sha: str, *, prefix: str = "tta-ci-wt-", fetch: bool = False,
             environ: Mapping[str, str] | None = None) -> Iterator[Path]:
    """A detached worktree of ``repo`` at ``sha`` (with ``fetch``: fetched from ``origin`` when
    missing, with ``environ``'s token), removed afterwards. For the commit publisher only:
    untrusted code never runs in it."""
    parent = scratch(prefix)
    # a unique name: git keeps each worktree's admin files under .git/worktrees/<name>
    path = parent / f"{repo.resolve().name}-{parent.name.rsplit('-', 1)[-1]}"
    try:
        if fetch:
            ensure_commit(repo, sha, environ=environ)
        with _WORKTREE_LOCK:
            run(repo, "worktree", "add", "--detach", "--quiet", str(path), sha)
        yield path
    finally:
        if path.exists():
            with _WORKTREE_LOCK, contextlib.suppress(GitError):
                run(repo, "worktree", "remove", "--force", str(path))
        shutil.rmtree(parent, ignore_errors=True)
