"""Import a module written into ``tmp_path`` (the offline generator's sandbox-side tests)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType


@contextmanager
def imported(root: Path, files: dict[str, str], name: str) -> Iterator[ModuleType]:
    """``files`` written under ``root``, ``name`` imported from there, and forgotten after."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(root))
    top = name.split(".")[0]
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(root))
        for key in [k for k in sys.modules if k == top or k.startswith(top + ".")]:
            del sys.modules[key]
