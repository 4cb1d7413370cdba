"""What a fresh interpreter has imported after some statements: for the tests that keep a
command's first line (and the hook's no-op path) ahead of the heavy imports."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable

HEAVY = ("pydantic", "git", "tta_ci.engine", "tta_ci.core.config")


def loaded_after(statements: str, watched: Iterable[str] = HEAVY) -> set[str]:
    """Which of ``watched`` (module names, or their packages) are in ``sys.modules`` once a
    new interpreter has run ``statements``."""
    names = sorted(watched)
    code = (f"import sys\n{statements}\n"
            f"print(' '.join(m for m in {names!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())
