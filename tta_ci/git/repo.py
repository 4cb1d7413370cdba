"""Thin functions over GitPython: open, resolve refs, merge-base, diffs, file contents.

Every git failure becomes a ``GitError`` with one line naming the ref or path. Diffs are
produced with fixed options (``a/``/``b/`` prefixes, rename detection, no colour, no external
diff or textconv) so that user configuration cannot change their shape.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import git
from git import Repo

from tta_ci.core.errors import GitError

__all__ = [
    "EMPTY_TREE",
    "INDEX",
    "WORKTREE",
    "Repo",
    "default_base",
    "diff_text",
    "has_commit",
    "head_sha",
    "list_files",
    "merge_base",
    "open_repo",
    "resolve",
    "root",
    "show",
    "show_bytes",
    "show_many",
    "untracked_files",
    "upstream",
]

# The SHA of the empty tree: the base of a repository's first commit.
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
INDEX = ":"  # ``show``/``list_files``/``diff_text`` ref meaning the staged content
WORKTREE = ""  # ``diff_text`` head meaning the working tree

_DIFF_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--find-renames",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--no-relative",
)


def _run(repo: git.Repo, *args: str) -> bytes:
    try:
        out: bytes = repo.git.execute(
            ["git", "-c", "core.quotePath=false", *args], stdout_as_string=False
        )
    except git.GitCommandError as exc:
        detail = _first_line(exc.stderr) or f"exit {exc.status}"
        raise GitError(f"git {args[0]} failed: {detail}") from exc
    return out


def _first_line(text: object) -> str:
    lines = [ln.strip() for ln in str(text or "").splitlines() if ln.strip()]
    lines = [ln.removeprefix("stderr: ").strip("'").strip() for ln in lines]
    return next((ln for ln in lines if ln), "")


def open_repo(path: Path | str) -> git.Repo:
    """The repository whose work tree contains ``path``."""
    try:
        return git.Repo(path, search_parent_directories=True)
    except git.NoSuchPathError as exc:
        raise GitError(f"{path}: no such directory; check --repo") from exc
    except git.InvalidGitRepositoryError as exc:
        raise GitError(f"{path}: not a git repository; check --repo") from exc


def resolve(repo: git.Repo, ref: str) -> str:
    """The commit SHA ``ref`` names."""
    try:
        sha = repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
        return str(sha)
    except git.GitCommandError as exc:
        raise GitError(f"{ref!r}: unknown revision; fetch it or check the ref name") from exc


def has_commit(repo: git.Repo, sha: str) -> bool:
    try:
        repo.git.cat_file("-e", f"{sha}^{{commit}}")
    except git.GitCommandError:
        return False
    return True


def head_sha(repo: git.Repo) -> str:
    return resolve(repo, "HEAD")


def root(repo: git.Repo) -> Path:
    """The top of the working tree."""
    return Path(str(repo.working_tree_dir))


def merge_base(repo: git.Repo, a: str, b: str) -> str:
    """The best common ancestor of two refs (what a pull request diffs against)."""
    try:
        return str(repo.git.merge_base(a, b))
    except git.GitCommandError as exc:
        raise GitError(
            f"no merge-base between {a!r} and {b!r}; fetch more history (fetch-depth: 0)"
        ) from exc


def upstream(repo: git.Repo) -> str | None:
    """The upstream of the current branch, or ``origin/HEAD``, or ``main``/``master``."""
    try:
        return str(repo.git.rev_parse("--abbrev-ref", "--symbolic-full-name", "@{upstream}"))
    except git.GitCommandError:
        pass
    for ref in ("origin/HEAD", "origin/main", "origin/master", "main", "master"):
        try:
            repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
        except git.GitCommandError:
            continue
        return ref
    return None


def default_base(repo: git.Repo, head: str = "HEAD") -> str:
    """Where a change of ``head`` starts: the merge-base with the upstream, else ``head~1``.

    When the upstream's merge-base is ``head`` itself (the branch is the upstream), the
    last commit is the change. A root commit diffs against the empty tree.
    """
    head_commit = resolve(repo, head)
    ref = upstream(repo)
    if ref is not None:
        try:
            base = str(repo.git.merge_base(ref, head_commit))
        except git.GitCommandError:
            base = ""
        if base and base != head_commit:
            return base
    try:
        return resolve(repo, f"{head_commit}~1")
    except GitError:
        if _is_shallow(repo):  # the parent is cut off, not missing: never diff the whole tree
            raise GitError(
                "this clone is shallow and holds no base for the change: check out with "
                "fetch-depth: 0 (actions/checkout), or pass --base REF") from None
        return EMPTY_TREE


def _is_shallow(repo: git.Repo) -> bool:
    try:
        return str(repo.git.rev_parse("--is-shallow-repository")) == "true"
    except git.GitCommandError:
        return False


def diff_text(
    repo: git.Repo,
    base: str,
    head: str | None = None,
    *,
    paths: Sequence[str] | None = None,
    context: int = 0,
) -> str:
    """The unified diff from ``base`` to ``head``.

    ``head`` is a commit, ``INDEX`` (the staged content) or ``WORKTREE``/``None`` (the
    working tree). Non-UTF-8 bytes survive as surrogate escapes.
    """
    args = ["diff", *_DIFF_OPTIONS, f"--unified={context}"]
    if head == INDEX:
        args += ["--cached", base]
    elif head in (WORKTREE, None):
        args += [base]
    else:
        args += [base, head]
    args += ["--", *(paths or ())]
    try:
        return _run(repo, *args).decode("utf-8", "surrogateescape")
    except GitError as exc:
        raise GitError(f"cannot diff {base!r}..{head or 'working tree'!r}: {exc}") from exc


def show_bytes(repo: git.Repo, ref: str, path: str) -> bytes | None:
    """The content of ``path`` at ``ref`` (``INDEX`` = staged), or None when it is absent."""
    spec = _spec(ref, path)
    if "\n" in spec:  # the persistent ``cat-file --batch`` reads one name a line
        return _show_once(repo, spec)
    try:
        _, kind, _, data = repo.git.get_object_data(spec)
    except ValueError:
        return None
    kind_name: object = kind  # typed ``str`` by GitPython, ``bytes`` at run time
    return bytes(data) if kind_name in (b"blob", "blob") else None


def _show_once(repo: git.Repo, spec: str) -> bytes | None:
    try:
        data: bytes = repo.git.execute(
            ["git", "cat-file", "blob", spec], stdout_as_string=False, strip_newline_in_stdout=False
        )
    except git.GitCommandError:
        return None
    return data


def _spec(ref: str, path: str) -> str:
    return f":{path}" if ref == INDEX else f"{ref}:{path}"


def _parse_batch(out: bytes, specs: Sequence[str]) -> list[bytes | None]:
    """The blobs of ``git cat-file --batch`` output, one per spec (None: missing/not a blob)."""
    blobs: list[bytes | None] = []
    pos = 0
    for _ in specs:
        end = out.index(b"\n", pos)
        header = out[pos:end].split(b" ")
        pos = end + 1
        if len(header) != 3 or not header[2].isdigit():
            blobs.append(None)  # "<spec> missing" / "ambiguous"
            continue
        size = int(header[2])
        blobs.append(out[pos : pos + size] if header[1] == b"blob" else None)
        pos += size + 1
    return blobs


def show_many(repo: git.Repo, ref: str, paths: Sequence[str]) -> dict[str, bytes | None]:
    """``show_bytes`` of many paths with one ``git cat-file --batch`` process."""
    batch = [p for p in dict.fromkeys(paths) if "\n" not in p]
    found: dict[str, bytes | None] = {p: show_bytes(repo, ref, p) for p in paths if "\n" in p}
    if not batch:
        return found
    specs = [_spec(ref, p) for p in batch]
    stdin = "".join(f"{s}\n" for s in specs).encode("utf-8", "surrogateescape")
    try:
        done = subprocess.run(["git", "cat-file", "--batch"], input=stdin, capture_output=True,
                              cwd=repo.working_dir, check=True)
        blobs = _parse_batch(done.stdout, specs)
    except (OSError, subprocess.CalledProcessError, ValueError) as exc:
        where = "index" if ref == INDEX else ref
        raise GitError(f"cannot read files at {where}: git cat-file failed") from exc
    found.update(zip(batch, blobs, strict=True))
    return found


def show(repo: git.Repo, ref: str, path: str) -> str | None:
    """``show_bytes`` decoded as UTF-8; a file that is not UTF-8 is a ``GitError``."""
    data = show_bytes(repo, ref, path)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = "index" if ref == INDEX else ref
        raise GitError(f"{path} at {where}: not UTF-8 text") from exc


def list_files(repo: git.Repo, ref: str = INDEX) -> list[str]:
    """The paths of the files at ``ref`` (``INDEX``: the tracked files)."""
    if ref == INDEX:
        out = _run(repo, "ls-files", "-z")
    else:
        out = _run(repo, "ls-tree", "-r", "-z", "--name-only", "--full-tree", ref)
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def untracked_files(repo: git.Repo, paths: Sequence[str] | None = None) -> list[str]:
    """Untracked, not ignored paths of the working tree."""
    out = _run(repo, "ls-files", "-z", "--others", "--exclude-standard", "--", *(paths or ()))
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]
