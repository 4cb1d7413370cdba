"""tta_ci.generators.offline.generator end to end: a real repository, the real planner, the
sandbox, and the produced candidates run with real pytest."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tta_ci.cli.demo import demo_files as files
from tta_ci.core.config import load_config
from tta_ci.core.errors import SkipTask
from tta_ci.core.types import Candidate, Task
from tta_ci.generators import make_generator
from tta_ci.generators.base import GenerationRequest
from tta_ci.generators.offline.generator import OfflineGenerator
from tta_ci.plan.change import plan_change

pytestmark = pytest.mark.slow

Outcome = Candidate | SkipTask


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _commit(repo: Path, tree: dict[str, str], message: str) -> None:
    for name, text in tree.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", message)


async def _generate_all(generator: OfflineGenerator, tasks: tuple[Task, ...]
                        ) -> dict[str, Outcome]:
    async def one(task: Task) -> Outcome:
        try:
            return await generator.generate(GenerationRequest(task))
        except SkipTask as exc:
            return exc

    done = await asyncio.gather(*(one(task) for task in tasks))
    return {task.symbol: outcome for task, outcome in zip(tasks, done, strict=True)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Task],
                                                           dict[str, Outcome]]:
    """The demo project's change, planned and generated once for the whole module."""
    repo = tmp_path_factory.mktemp("offline") / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, files("base"), "base")
    _commit(repo, files("change"), "change")
    environ = {"PATH": os.environ.get("PATH", os.defpath)}
    config = load_config(repo, environ)
    plan = plan_change(repo, config, environ, base="HEAD~1", head="HEAD")
    generator = make_generator("offline", config, environ, repo=repo, max_examples=10)
    assert isinstance(generator, OfflineGenerator)

    async def run() -> dict[str, Outcome]:
        try:
            return await _generate_all(generator, plan.tasks)
        finally:
            await generator.aclose()

    outcomes = asyncio.run(run())
    return repo, {t.symbol: t for t in plan.tasks}, outcomes


def _candidate(outcomes: dict[str, Outcome], symbol: str) -> Candidate:
    outcome = outcomes[symbol]
    assert isinstance(outcome, Candidate), outcome
    return outcome


def _pytest(repo: Path, candidates: dict[str, Candidate]) -> dict[str, str]:
    """Write the candidates as test files, run pytest once; test id → outcome."""
    names = []
    for symbol, candidate in candidates.items():
        name = f"tests/test_offline_{symbol.replace('.', '_').lower()}.py"
        (repo / name).write_text(candidate.code, encoding="utf-8")
        names.append(name)
    env = {"PATH": os.environ.get("PATH", os.defpath), "PYTHONPATH": str(repo),
           "HYPOTHESIS_STORAGE_DIRECTORY": str(repo / ".hypothesis")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:randomly", "-p",
         "no:cacheprovider", *names],
        cwd=repo, env=env, capture_output=True, text=True, timeout=240,
    )
    results = {}
    for line in done.stdout.splitlines():
        status, _, test_id = line.partition(" ")
        if status in ("PASSED", "FAILED", "ERROR"):
            results[test_id.split(" - ")[0].split("::")[-1]] = status
    assert results, done.stdout + done.stderr
    return results


def test_every_candidate_runs_with_plain_pytest(demo: tuple[Path, dict[str, Task],
                                                            dict[str, Outcome]]) -> None:
    repo, _, outcomes = demo
    candidates = {s: o for s, o in outcomes.items() if isinstance(o, Candidate)}
    assert set(candidates) == {"apply_discount", "format_price", "Cart.add", "Cart.total"}
    results = _pytest(repo, candidates)
    assert set(results.values()) == {"PASSED"}, results
    assert {"test_fuzz_apply_discount", "test_format_price_doctest", "test_fuzz_Cart_add",
            "test_fuzz_Cart_total"} <= set(results)
    # the base-equivalence test (exec of the old source) is never part of a candidate
    assert not any("equivalent_to_base" in name for name in results)


def test_typed_function_gets_a_property_test_with_documented_errors(
    demo: tuple[Path, dict[str, Task], dict[str, Outcome]],
) -> None:
    candidate = _candidate(demo[2], "apply_discount")
    assert candidate.generator == "offline" and candidate.calls == ()
    assert candidate.strategy == "ghostwriter.fuzz"
    assert "ValueError" in candidate.code and "exec(" not in candidate.code
    assert "assert isinstance(result, int)" in candidate.code
    assert "max_examples=10" in candidate.code and "derandomize=True" in candidate.code


def test_method_gets_an_instance_built_from_the_typed_constructor(
    demo: tuple[Path, dict[str, Task], dict[str, Outcome]],
) -> None:
    candidate = _candidate(demo[2], "Cart.add")
    assert "self=st.builds(shop.pricing.Cart)" in candidate.code
    assert "st.nothing()" not in candidate.code
    assert candidate.strategy == "ghostwriter.fuzz"  # a method: no base-equivalence test


def test_docstring_examples_become_assertions_and_differences_are_findings(
    demo: tuple[Path, dict[str, Task], dict[str, Outcome]],
) -> None:
    candidate = _candidate(demo[2], "format_price")
    assert candidate.strategy == "doctest+ghostwriter.fuzz"
    assert 'assert format_price(-5, "USD") == "-0.05 USD"' in candidate.code
    assert any("differs from its base version" in n and "-1.99" in n for n in candidate.notes)


def test_untyped_function_is_skipped_with_the_reason(
    demo: tuple[Path, dict[str, Task], dict[str, Outcome]],
) -> None:
    outcome = demo[2]["scale_prices"]
    assert isinstance(outcome, SkipTask)
    assert str(outcome) == ("no offline strategy: scale_prices has untyped parameters "
                            "(prices, factor) and no docstring example")


def test_repair_attempt_has_nothing_new_to_offer(
    demo: tuple[Path, dict[str, Task], dict[str, Outcome]],
) -> None:
    repo, tasks, outcomes = demo
    previous = _candidate(outcomes, "Cart.add")
    generator = OfflineGenerator(load_config(repo, {}), {}, repo=repo)
    request = GenerationRequest(tasks["Cart.add"], attempt=2, previous=previous,
                                feedback="no changed line covered")
    # no sandbox is needed to know that: the results are cached per generator, so seed them
    generator._cache[f"{tasks['Cart.add'].id}\0{tasks['Cart.add'].hash}\0"
                     f"{tasks['Cart.add'].source}"] = ([], ["ghostwriter.fuzz tried"])
    with pytest.raises(SkipTask, match="no offline strategy"):
        asyncio.run(generator.generate(request))
