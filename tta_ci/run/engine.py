"""``ExecutionEngine``: the engine of the public API, wired from the configuration.

    engine = ExecutionEngine(config, max_concurrent_tasks=5)         # backends from config
    await engine.start()
    task_id = await engine.submit_task(QueuedTask(target_file="pkg/mod.py", symbol="f"))

A generator or validator that is not given is built on start (and closed on stop) from the
configuration, for the repository at ``repo``; a ``QueuedTask`` that names only a file (and
symbol) is planned there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tta_ci.core.config import Config
from tta_ci.core.errors import UsageError
from tta_ci.core.types import Task
from tta_ci.engine import Engine, QueuedTask
from tta_ci.generators import choose_backend, make_generator

__all__ = ["ExecutionEngine", "plan_queued"]


def plan_queued(repo: Path, config: Config, item: QueuedTask) -> Task:
    """The one task a QueuedTask names by file and symbol; a UsageError when it names more."""
    from tta_ci.plan import plan_file

    plan = plan_file(repo, config, item.target_file, symbol=item.symbol,
                     description=item.description)
    if len(plan.tasks) != 1:
        names = ", ".join(t.symbol for t in plan.tasks) or "none"
        raise UsageError(f"{item.target_file} has {len(plan.tasks)} testable symbols ({names}); "
                         "give one symbol per task")
    return plan.tasks[0]


class ExecutionEngine(Engine):
    def __init__(self, config: Config, max_concurrent_tasks: int | None = None, *,
                 repo: Path | str = ".", environ: Mapping[str, str] | None = None,
                 **options: Any) -> None:
        """``options`` are the engine's (``generator``, ``validator``, ``metrics``, ...)."""
        self.repo = Path(repo)
        self.environ: Mapping[str, str] = environ if environ is not None else {}
        self._owned: list[object] = []
        options.setdefault("resolve", lambda item: plan_queued(self.repo, config, item))
        super().__init__(config, max_concurrent_tasks, **options)

    async def _backends(self) -> None:
        if self.generator is None:
            name, _ = choose_backend(self.config, self.environ)
            self.generator = make_generator(name, self.config, self.environ, repo=self.repo)
            self._owned.append(self.generator)
        if self.validator is None:
            from tta_ci.validate.validator import ResultValidator

            self.validator = ResultValidator(self.config, self.repo, environ=self.environ)
            self._owned.append(self.validator)

    async def _close_backends(self) -> None:
        owned, self._owned = self._owned, []
        for resource in owned:
            closer = getattr(resource, "aclose", None)
            if closer is not None:
                await closer()
