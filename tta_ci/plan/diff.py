"""Unified diff text → one ``FileChange`` per file (pure; parsing by unidiff)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict
from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchedFile, PatchSet

from tta_ci.core.errors import GitError

__all__ = ["FileChange", "parse_diff"]

ChangeStatus = Literal["added", "deleted", "modified", "renamed"]


class FileChange(BaseModel):
    """What a diff says about one file. Line numbers are on the head side."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str  # head path (the old path for a deletion)
    old_path: str | None  # base path; None for an added file
    status: ChangeStatus
    binary: bool = False
    symlink: bool = False  # a symbolic link on the head side (git mode 120000)
    added: frozenset[int] = frozenset()
    removed: frozenset[int] = frozenset()  # base-side line numbers
    # Head lines next to a removal that added no line (the line before and after the gap).
    removal_anchors: frozenset[int] = frozenset()

    @property
    def has_content_change(self) -> bool:
        return bool(self.added or self.removed) or self.status in ("added", "deleted")


def _strip(name: str | None) -> str | None:
    if name is None or name == "/dev/null":
        return None
    return name[2:] if name.startswith(("a/", "b/")) else name


def _status(patched: PatchedFile) -> ChangeStatus:
    if patched.is_added_file:
        return "added"
    if patched.is_removed_file:
        return "deleted"
    if patched.is_rename:
        return "renamed"
    return "modified"


_Lines = tuple[frozenset[int], frozenset[int], frozenset[int]]


def _lines(patched: PatchedFile) -> _Lines:
    added: set[int] = set()
    removed: set[int] = set()
    anchors: set[int] = set()
    for hunk in patched:
        new = {ln.target_line_no for ln in hunk if ln.is_added and ln.target_line_no}
        added |= new
        removed |= {ln.source_line_no for ln in hunk if ln.is_removed and ln.source_line_no}
        if not new and any(ln.is_removed for ln in hunk):
            after = hunk.target_start + max(hunk.target_length, 0)
            anchors |= {n for n in (hunk.target_start, after + 1) if n > 0}
    return frozenset(added), frozenset(removed), frozenset(anchors)


_LINK_MODE = re.compile(r"^(?:new file mode|new mode) 120000$|^index \S+ 120000$")


def _is_symlink(patched: PatchedFile) -> bool:
    """Whether the head side is a symbolic link (the diff header names mode 120000)."""
    header = str(patched.patch_info or "")
    return any(_LINK_MODE.match(line.strip()) for line in header.splitlines())


def _file_change(patched: PatchedFile) -> FileChange:
    status = _status(patched)
    source = _strip(patched.source_file)
    target = _strip(patched.target_file)
    added, removed, anchors = _lines(patched)
    return FileChange(
        path=(source if status == "deleted" else target) or patched.path,
        old_path=None if status == "added" else (source or patched.path),
        status=status,
        binary=bool(patched.is_binary_file),
        symlink=status != "deleted" and _is_symlink(patched),
        added=added,
        removed=removed,
        removal_anchors=anchors,
    )


def parse_diff(text: str) -> list[FileChange]:
    """The files of a ``git diff`` (any context size), in diff order."""
    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        raise GitError(f"cannot parse the git diff: {exc}") from exc
    return [_file_change(p) for p in patch]
