"""tta_ci.generators.offline.generator end to end: the demo project's change in a real git
repository, the real planner, both sandboxes, and the candidates run with plain pytest on the
change and on its parent."""

from __future__ import annotations

import asyncio
import os
import re
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
from tta_ci.generators.offline.generator import Observations, OfflineGenerator
from tta_ci.generators.offline.generator import candidate as make_candidate
from tta_ci.generators.offline.model import Observed, ProbeAnswer, ReplayAnswer, Replayed
from tta_ci.generators.offline.style import Style
from tta_ci.plan.change import plan_change

Outcome = Candidate | SkipTask
Demo = tuple[Path, dict[str, Task], dict[str, Outcome]]


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _commit(repo: Path, tree: dict[str, str], message: str) -> None:
    for name, text in tree.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", message)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo project's change, planned and generated once for the whole module."""
    repo = tmp_path_factory.mktemp("offline") / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, files("base"), "base")
    _commit(repo, files("change"), "change")
    environ = {"PATH": os.environ.get("PATH", os.defpath)}
    config = load_config(repo, environ)
    plan = plan_change(repo, config, environ, base="HEAD~1", head="HEAD")
    generator = make_generator("offline", config, environ, repo=repo, ref=plan.head,
                               base=plan.base)
    assert isinstance(generator, OfflineGenerator) and config.warm

    async def one(task: Task) -> Outcome:
        try:
            return await generator.generate(GenerationRequest(task))
        except SkipTask as exc:
            return exc

    async def run() -> list[Outcome]:
        try:
            return list(await asyncio.gather(*(one(task) for task in plan.tasks)))
        finally:
            await generator.aclose()

    outcomes = asyncio.run(run())
    return (repo, {t.symbol: t for t in plan.tasks},
            {t.symbol: o for t, o in zip(plan.tasks, outcomes, strict=True)})


def _candidates(demo: Demo) -> dict[str, Candidate]:
    return {s: o for s, o in demo[2].items() if isinstance(o, Candidate)}


def _pytest(repo: Path, candidates: dict[str, Candidate]) -> dict[str, str]:
    """The candidates as test files, run with plain pytest once; test name → outcome."""
    names = []
    for symbol, candidate in candidates.items():
        name = f"tests/test_offline_{symbol.replace('.', '_').lower()}.py"
        (repo / name).write_text(candidate.code, encoding="utf-8")
        names.append(name)
    env = {"PATH": os.environ.get("PATH", os.defpath), "PYTHONPATH": str(repo)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                           *names], cwd=repo, env=env, capture_output=True, text=True, timeout=240)
    results = {}
    for line in done.stdout.splitlines():
        status, _, test_id = line.partition(" ")
        if status in ("PASSED", "FAILED", "ERROR"):
            results[test_id.split(" - ")[0].split("::")[-1]] = status
    for name in names:
        (repo / name).unlink()
    assert results, done.stdout + done.stderr
    return results


@pytest.mark.slow
def test_every_function_gets_tests_that_pass_on_the_change(demo: Demo) -> None:
    candidates = _candidates(demo)
    assert set(candidates) == {"apply_discount", "format_price", "shipping_cost", "Cart.add",
                               "Cart.total", "scale_prices"}
    assert isinstance(demo[2]["<module>"], SkipTask)
    results = _pytest(demo[0], candidates)
    assert set(results.values()) == {"PASSED"}, results


@pytest.mark.slow
def test_the_tests_of_each_behaviour_change_fail_on_the_parent(demo: Demo) -> None:
    repo = demo[0]
    candidates = _candidates(demo)
    _git(repo, "checkout", "-q", "HEAD~1", "--", "shop/pricing.py")
    try:
        results = _pytest(repo, candidates)
    finally:
        _git(repo, "checkout", "-q", "HEAD", "--", "shop/pricing.py")
    for symbol, candidate in candidates.items():
        names = re.findall(r"^def (test_\w+)\(", candidate.code, re.MULTILINE)
        assert "FAILED" in {results[n] for n in names}, (symbol, candidate.code)


@pytest.mark.slow
def test_behaviour_changes_are_recorded_for_every_function_of_the_base(demo: Demo) -> None:
    for symbol, candidate in _candidates(demo).items():
        assert candidate.behaviour_changes, symbol
    shipping = _candidates(demo)["shipping_cost"]
    assert ("shipping_cost(5000)", "495", "0") in {
        (c.call, c.before, c.after) for c in shipping.behaviour_changes}
    assert "assert shipping_cost(5000) == 0" in shipping.code


@pytest.mark.slow
def test_the_written_code_is_plain_example_tests(demo: Demo) -> None:
    for candidate in _candidates(demo).values():
        assert candidate.generator == "offline" and candidate.calls == ()
        for banned in ("exec(", "given(", "hypothesis", "_BASE_", "isinstance("):
            assert banned not in candidate.code
    total = _candidates(demo)["Cart.total"].code
    assert "cart.add(250, 10)" in total  # the compared count was the test's literal 2
    raises = _candidates(demo)["apply_discount"].code
    assert re.search(r"with pytest\.raises\(\s*ValueError, match=", raises)


def _observed(call: str) -> Observed:
    return Observed(origin="boundary", expr=call, call=call, test=f"assert {call} == 0\n",
                    imports=("from shop.pricing import shipping_cost",), shown="0",
                    lines=(3,))


@pytest.mark.slow
def test_probes_forked_from_a_warm_interpreter_give_what_fresh_processes_give(
        demo: Demo) -> None:
    repo, tasks, outcomes = demo  # made with ``warm`` on, the default
    config = load_config(repo, {}).model_copy(update={"warm": False})
    head = _git(repo, "rev-parse", "HEAD")
    generator = OfflineGenerator(config, {"PATH": os.environ.get("PATH", os.defpath)},
                                 repo=repo, ref=head, base=_git(repo, "rev-parse", "HEAD~1"))
    task = tasks["apply_discount"]

    async def cold() -> Outcome:
        try:
            return await generator.generate(GenerationRequest(task))
        finally:
            assert generator._servers == {}  # nothing was started
            await generator.aclose()

    warm = outcomes["apply_discount"]
    assert isinstance(warm, Candidate)
    assert asyncio.run(cold()) == warm


def test_a_repair_attempt_offers_what_was_not_offered_or_nothing() -> None:
    task = Task(id="shop/pricing.py::shipping_cost", file="shop/pricing.py",
                symbol="shipping_cost", kind="function", changed_lines=(3,),
                test_file="tests/test_pricing.py", module="shop.pricing")
    answer = ProbeAnswer(observed=(_observed("shipping_cost(5000)"),
                                   _observed("shipping_cost(9000)")), tried=2)
    observations = Observations(answer, ReplayAnswer(replayed=(
        Replayed(passed=False, shown="495"), Replayed(passed=True, shown="0"))))
    first = make_candidate(task, observations, Style())
    assert "def test_shipping_cost_5000():" in first.code
    assert [c.call for c in first.behaviour_changes] == ["shipping_cost(5000)"]
    assert "9000" not in first.code  # it runs the same line as the pinning call
    second = make_candidate(task, observations, Style(), attempt=2)
    assert "def test_shipping_cost_9000():" in second.code and "5000" not in second.code
    with pytest.raises(SkipTask, match="no offline test left for shipping_cost"):
        make_candidate(task, observations, Style(), attempt=3)


def test_nothing_to_offer_says_why() -> None:
    task = Task(id="m.py::f", file="m.py", symbol="f", kind="function", changed_lines=(3,),
                test_file="tests/test_m.py", module="m")
    observations = Observations(ProbeAnswer(notes=("cannot import m: ImportError: x",)), None)
    with pytest.raises(SkipTask, match="no offline strategy: cannot import m: ImportError: x"):
        make_candidate(task, observations, Style())


ESCAPES_BASE = '''\
REPLACEMENTS = {"\\\\n": "\\n", "\\\\t": "\\t"}


def parse_escape(src, pos):
    escape = src[pos:pos + 2]
    pos += 2
    try:
        return pos, REPLACEMENTS[escape]
    except KeyError:
        raise ValueError("unknown escape") from None
'''

ESCAPES_HEAD = ESCAPES_BASE.replace('''    pos += 2
''', '''    pos += 2
    if escape == "\\\\x":
        return pos + 2, chr(int(src[pos:pos + 2], 16))
''')


@pytest.mark.slow
def test_a_function_no_test_calls_gets_the_changed_strings_as_its_input(tmp_path: Path) -> None:
    """Nothing calls ``parse_escape`` yet: the made-up calls become seeds, so the changed
    comparison's ``"\\x"`` reaches the text it parses, and the tests pin the new escape."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    tests = {"tests/test_other.py": "def test_nothing():\n    assert True\n"}
    _commit(repo, {"esc/__init__.py": "", "esc/parse.py": ESCAPES_BASE, **tests}, "base")
    _commit(repo, {"esc/parse.py": ESCAPES_HEAD}, "change")
    environ = {"PATH": os.environ.get("PATH", os.defpath)}
    config = load_config(repo, environ)
    plan = plan_change(repo, config, environ, base="HEAD~1", head="HEAD")
    [task] = plan.tasks
    generator = make_generator("offline", config, environ, repo=repo, ref=plan.head,
                               base=plan.base)

    async def run() -> Candidate:
        try:
            return await generator.generate(GenerationRequest(task))
        finally:
            await generator.aclose()

    candidate = asyncio.run(run())
    assert re.search(r'parse_escape\("\\\\x[0-9A-Fa-f]{2}', candidate.code), candidate.code
    assert set(_pytest(repo, {"parse_escape": candidate}).values()) == {"PASSED"}
    _git(repo, "checkout", "-q", "HEAD~1", "--", "esc/parse.py")
    assert "FAILED" in _pytest(repo, {"parse_escape": candidate}).values()
