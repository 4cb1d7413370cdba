"""Publishing a run: one ``Publisher`` per output mode (``tta_ci.publish.modes``), the
GitHub Actions outputs (``actions``), the run's files (``outputs``) and the terminal
(``console``).

The names below are imported on first use (PEP 562): the publishers pull in libcst and
PyGithub, and ``from tta_ci.publish.console import ...`` (on the path of every command's
first lines) must not pay for them.
"""

from __future__ import annotations

import importlib

__all__ = [
    "PUBLISHERS",
    "PublishContext",
    "PublishResult",
    "Publisher",
    "PullTarget",
    "get_publisher",
    "preflight",
    "publish",
    "run_url",
    "write_documents",
]

_LAZY = {
    "PUBLISHERS": "tta_ci.publish.modes",
    "get_publisher": "tta_ci.publish.modes",
    "preflight": "tta_ci.publish.modes",
    "publish": "tta_ci.publish.modes",
    "PublishContext": "tta_ci.publish.base",
    "PublishResult": "tta_ci.publish.base",
    "Publisher": "tta_ci.publish.base",
    "write_documents": "tta_ci.publish.outputs",
    "PullTarget": "tta_ci.github.event",
    "run_url": "tta_ci.github.event",
}

TYPE_CHECKING = False  # not typing's: this package is on the path of a command's first line
if TYPE_CHECKING:
    from typing import Any

    from tta_ci.github.event import PullTarget, run_url
    from tta_ci.publish.base import PublishContext, Publisher, PublishResult
    from tta_ci.publish.modes import PUBLISHERS, get_publisher, preflight, publish
    from tta_ci.publish.outputs import write_documents


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tta_ci.publish' has no attribute {name!r}")
