"""The example project of ``tta-ci demo``: a base tree and a change on top of it.

``files("base")`` is the whole first commit; ``files("change")`` the files the second commit
rewrites. Paths are POSIX and relative to the repository root.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal

__all__ = ["files"]

_SKIPPED = ("__pycache__", ".pyc")


def _walk(node: Traversable, prefix: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name.endswith(_SKIPPED):
            continue
        path = f"{prefix}{child.name}"
        if child.is_dir():
            found.update(_walk(child, f"{path}/"))
        else:
            found[path] = child.read_text(encoding="utf-8")
    return found


def files(kind: Literal["base", "change"]) -> dict[str, str]:
    """path → text of the ``base`` tree or of the files the ``change`` rewrites."""
    if kind not in ("base", "change"):
        raise ValueError(f"kind must be 'base' or 'change', not {kind!r}")
    return _walk(resources.files("tta_ci.demo_project") / kind, "")
