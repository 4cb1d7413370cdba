"""The pipeline: plan → engine (generator → validator → repair) → metrics document.

``run_pipeline`` is what ``tta-ci run``, ``generate``, ``demo``, ``hook`` and ``comment`` share;
publishing is left to the caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tta_ci.core import progress
from tta_ci.core.config import Config
from tta_ci.core.report import MetricsDocument
from tta_ci.core.types import PlanResult, Precheck, Skip, Task
from tta_ci.engine import Engine, MetricsCollector, TaskResult, Validator
from tta_ci.engine.cache import ResultCache, cache_key
from tta_ci.engine.records import skipped_record
from tta_ci.generators import Generator, choose_backend, make_generator, precheck_for

__all__ = [
    "RunOutcome",
    "filter_targets",
    "narrow",
    "plan_run",
    "report_plan",
    "run_pipeline",
    "run_tasks",
]

ProgressFn = Callable[[TaskResult, int, int], None]  # result, finished so far, total
SHOWN_SKIPS = 20  # skips named on the terminal; summary.md lists them all


@dataclass(frozen=True)
class RunOutcome:
    document: MetricsDocument
    plan: PlanResult
    results: tuple[TaskResult, ...]


def _matches(task: Task, target: str) -> bool:
    path, _, symbol = target.partition("::")
    if task.file != path.removeprefix("./"):
        return False
    return not symbol or task.symbol == symbol or task.symbol.startswith(f"{symbol}.")


def filter_targets(
    plan: PlanResult, targets: Sequence[str], plan_target: Callable[[str, str | None], PlanResult]
) -> PlanResult:
    """Only the tasks named by ``targets`` (``PATH`` or ``PATH::SYMBOL``).

    A target outside the change is planned on its own (all its lines count as changed).
    """
    tasks: dict[str, Task] = {}
    skipped = list(plan.skipped)
    for target in targets:
        found = [t for t in plan.tasks if _matches(t, target)]
        if not found:
            path, _, symbol = target.partition("::")
            extra = plan_target(path, symbol or None)
            found, skipped = list(extra.tasks), skipped + list(extra.skipped)
        tasks.update((t.id, t) for t in found)
    return plan.model_copy(update={"tasks": tuple(tasks.values()), "skipped": tuple(skipped)})


async def run_tasks(
    tasks: Sequence[Task],
    config: Config,
    *,
    generator: Generator,
    validator: Validator,
    metrics: MetricsCollector | None = None,
    on_progress: ProgressFn | None = None,
    cache: ResultCache | None = None,
    recheck: Callable[[Task, str], Awaitable[bool]] | None = None,
) -> tuple[list[TaskResult], MetricsCollector]:
    """Run planned tasks through one engine; every task ends with a result."""
    finished: list[TaskResult] = []

    def done(result: TaskResult) -> None:
        finished.append(result)
        if on_progress is not None:
            on_progress(result, len(finished), len(tasks))

    if tasks:
        at_once = min(config.concurrency, len(tasks))
        progress.note(f"running {len(tasks)} task(s) with the {generator.name} backend, "
                      f"{at_once} at a time")
    progress.expect(len(tasks))
    engine = Engine(
        config,
        generator=generator,
        validator=validator,
        metrics=metrics,
        on_task_done=done,
        cache=cache,
        recheck=recheck,
    )
    async with engine:
        for task in tasks:
            await engine.submit_task(task)
        results = await engine.wait_all()
    return results, engine.metrics


def _validator_for(
    config: Config, repo: Path, environ: Mapping[str, str], ref: str | None
) -> Validator:
    from tta_ci.validate import ResultValidator

    validator: Validator = ResultValidator(config, repo, environ=environ, ref=ref, shared=True)
    return validator


def _cache(repo: Path, config: Config) -> ResultCache | None:
    if not config.cache:
        return None
    root = Path(config.cache_dir)
    return ResultCache(root if root.is_absolute() else repo / root)


def _uncached(tasks: Sequence[Task], cache: ResultCache | None, generator: str,
              model: str | None) -> list[Task]:
    """The tasks the cache holds no result for: the ones whose interpreters to start early
    (a cached one needs at most a re-run of its test, which starts its own)."""
    if cache is None:
        return list(tasks)
    return [t for t in tasks if cache.get(cache_key(t, generator, model, cache.version)) is None]


def _isolation(config: Config) -> str:
    from tta_ci.sandbox.isolation import isolation_level

    return isolation_level(config)


def _clean_up_after_killed_runs(repo: Path) -> None:
    """What a run that was killed left: its temporary folders, then the worktrees git still
    lists for them."""
    from tta_ci.core.scratch import sweep_stale
    from tta_ci.git.cli import prune_worktrees

    if sweep_stale():
        prune_worktrees(repo)


def narrow(plan: PlanResult, repo: Path, config: Config, *, targets: Sequence[str] | None = None,
           shard: str | None = None, precheck: Precheck | None = None) -> PlanResult:
    """Only the tasks named by ``targets``; those ``precheck`` (the backend's plan-time check)
    skips moved to ``prechecked``; then the ``shard`` (``I/N``) of both (each prechecked task is
    recorded by one shard, so merged totals equal an unsharded run's)."""
    from tta_ci.plan import parse_shard, plan_file, split_prechecked
    from tta_ci.plan import shard as take_shard

    if targets:
        plan = filter_targets(plan, targets,
                              lambda p, s: plan_file(repo, config, p, symbol=s, precheck=precheck))
    kept, skips = split_prechecked(plan.tasks, precheck)
    if skips:
        left = {t.id for t in kept}
        plan = plan.model_copy(update={
            "tasks": tuple(kept), "skipped": (*plan.skipped, *skips),
            "prechecked": (*plan.prechecked, *(t for t in plan.tasks if t.id not in left))})
    if shard is not None:
        index, total = parse_shard(shard)
        plan = plan.model_copy(update={"tasks": take_shard(plan.tasks, index, total),
                                       "prechecked": take_shard(plan.prechecked, index, total)})
    return plan


def plan_run(repo: Path, config: Config, environ: Mapping[str, str], *, base: str | None = None,
             head: str | None = None, targets: Sequence[str] | None = None,
             shard: str | None = None, precheck: Precheck | None = None) -> PlanResult:
    """The tasks ``run_pipeline`` runs for ``base..head``, narrowed (what ``start`` plans in the
    foreground before the background process runs them). The tasks ``precheck`` skips take no
    place under ``max_tasks``: they are listed with the backend's reason."""
    from tta_ci.plan import plan_change

    found: dict[str, Task] = {}

    def check(task: Task) -> Skip | None:
        skip = precheck(task) if precheck is not None else None
        if skip is not None:
            found[task.id] = task
        return skip

    plan = plan_change(repo, config, environ, base=base, head=head, precheck=check)
    narrowed = narrow(plan, repo, config, targets=targets, precheck=check)
    if targets:  # the change's other skipped tasks were not asked for
        found = {k: t for k, t in found.items() if any(_matches(t, x) for x in targets)}
    ready = narrowed.model_copy(update={"prechecked": tuple(found.values())})
    return narrow(ready, repo, config, shard=shard)


async def run_pipeline(
    repo: Path,
    config: Config,
    environ: Mapping[str, str],
    *,
    plan: PlanResult | None = None,
    generator: Generator | None = None,
    validator: Validator | None = None,
    on_progress: ProgressFn | None = None,
    base: str | None = None,
    head: str | None = None,
    targets: Sequence[str] | None = None,
    shard: str | None = None,
) -> RunOutcome:
    """Plan (unless ``plan`` is given: ``base..head``), narrow to ``targets`` and ``shard``,
    run every task through one engine, and return the metrics document."""
    isolation = _isolation(config)  # fails closed, before any work, when no sandbox will do
    _clean_up_after_killed_runs(repo)
    backend, reason = choose_backend(config, environ)
    if generator is not None:
        backend = generator.name
    check = precheck_for(backend)
    if plan is None:
        plan = plan_run(repo, config, environ, base=base, head=head, targets=targets,
                        shard=shard, precheck=check)
    else:  # planned ahead (hook, generate, start): still narrowed and prechecked here
        plan = narrow(plan, repo, config, targets=targets, shard=shard, precheck=check)
    report_plan(plan)
    metrics = MetricsCollector()
    owned: list[object] = []
    if generator is None:
        refs = {"ref": plan.head, "base": plan.base}  # the commit under test, its base
        generator = make_generator(backend, config, environ, repo=repo,
                                   **{k: v for k, v in refs.items() if v})
        owned.append(generator)
    if validator is None:
        validator = _validator_for(config, repo, environ, plan.head)
        owned.append(validator)
    cache = _cache(repo, config)
    fresh = _uncached(plan.tasks, cache, generator.name, config.model)
    for stage in (generator, validator):  # their interpreters start meanwhile
        prestart = getattr(stage, "prestart", None)
        if prestart is not None and fresh:
            prestart(fresh)
    try:
        results, metrics = await run_tasks(
            plan.tasks,
            config,
            generator=generator,
            validator=validator,
            metrics=metrics,
            on_progress=on_progress,
            cache=cache,
            recheck=getattr(validator, "recheck", None),
        )
    finally:
        for resource in owned:
            closer = getattr(resource, "aclose", None)
            if closer is not None:
                await closer()
    reasons = {s.where: s.reason for s in plan.skipped if s.backend}
    for task in plan.prechecked:  # skipped by the backend's plan-time check: never queued
        metrics.record_task(skipped_record(task, reasons.get(f"{task.file}::{task.symbol}", "")))
    doc = metrics.document(
        backend=backend, backend_reason=reason, isolation=isolation, mode=config.mode,
        base=plan.base, head=plan.head, shard=shard,
        skipped=[_skip_json(s) for s in plan.skipped],
    )
    return RunOutcome(document=doc, plan=plan, results=tuple(results))


def report_plan(plan: PlanResult, limit: int = SHOWN_SKIPS) -> None:
    """Tell the reporter what was planned, and name what was skipped (symbols first)."""
    progress.note(f"planned {plan.headline()}")
    skips = sorted(plan.skipped, key=lambda s: s.symbol is None)
    for skip in skips[:limit]:
        progress.note(f"skipped {skip.describe()}")
    if len(skips) > limit:
        progress.note(f"… {len(skips) - limit} more skipped: see summary.md")


def _skip_json(skip: Skip) -> dict[str, str]:
    return skip.model_dump(mode="json", exclude_none=True)
