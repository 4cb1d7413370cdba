"""The sandbox side of the offline generator: ``python -m tta_ci.generators.offline.observe REQ``.

``REQ`` is a JSON file in the workspace: a ``Probe`` (the head: observe the calls, make more
from hints, boundaries and receivers, write each call's example test, find the mutants of the
changed lines each test kills) or a ``Replay`` (the base: run the head's tests as they are).
One JSON document (``ProbeAnswer`` / ``ReplayAnswer``) is printed as the last stdout line.
This module imports the code under test: it only ever runs inside the sandbox.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# imported here, not in main: a warm server that serves this module imports them once
from tta_ci.generators.offline.guard import install_audit
from tta_ci.generators.offline.model import Probe, Replay
from tta_ci.generators.offline.probe import probe
from tta_ci.generators.offline.replay import replay

__all__ = ["main"]


def _answer(document: Any) -> None:
    sys.__stdout__.write(document.model_dump_json() + "\n")  # type: ignore[union-attr]
    sys.__stdout__.flush()  # type: ignore[union-attr]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    storage = os.environ.get("TTA_SANDBOX_HYPOTHESIS_DIR")
    if storage:  # shared by the run's sandboxes: Hypothesis builds its caches once
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = storage
    sys.dont_write_bytecode = True
    data = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    deadline = time.monotonic() + float(data.get("budget_s", 60.0))
    install_audit()
    if "tests" in data:
        _answer(replay(Replay(**data), deadline))
    else:
        _answer(probe(Probe(**data), deadline))
    # the answer is the last line: no exit handler or thread of the code under test adds one
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
