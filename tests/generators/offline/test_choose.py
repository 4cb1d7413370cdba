"""tta_ci.generators.offline.choose: which observed calls become tests (pure)."""

from __future__ import annotations

from tta_ci.core.types import BehaviourChange
from tta_ci.generators.offline.choose import behaviour_changes, choose
from tta_ci.generators.offline.model import Observed, Replayed


def _seen(call: str, shown: str = "1", *, kills: tuple[int, ...] = (),
          lines: tuple[int, ...] = (), rank: int = 1, raises: bool = False,
          origin: str = "neighbour") -> Observed:
    return Observed(origin=origin, expr=call, call=call, test=f"assert {call} == {shown}\n",
                    imports=(), shown=shown, kills=kills, lines=lines, rank=rank, raises=raises)


SAME = Replayed(passed=True, shown="1")


def test_calls_that_pin_the_change_come_first_shortest_first() -> None:
    pairs = [(_seen("f(10000)", "0"), Replayed(passed=False, shown="495")),
             (_seen("f(5000)", "0"), Replayed(passed=False, shown="495")),
             (_seen("f(1)", kills=(0, 1, 2)), SAME)]
    choice = choose(pairs)
    assert [(o.call, why) for o, why in choice.tests] == [
        ("f(5000)", "pins the change"), ("f(1)", "kills 3 mutant(s)")]


def test_a_second_pinning_call_needs_another_kind_of_difference_or_a_new_kill() -> None:
    pairs = [(_seen("f('x')", "'xes'"), Replayed(passed=False, shown="'xs'")),
             (_seen("f('box')", "'boxes'"), Replayed(passed=False, shown="'boxs'")),
             (_seen("f(-1)", "raises ValueError('n')", raises=True),
              Replayed(passed=False, shown="'-1s'")),
             (_seen("f('sx')", "'sxes'", kills=(4,)), Replayed(passed=False, shown="'sxs'"))]
    assert [o.call for o, _ in choose(pairs).tests] == ["f('x')", "f('sx')", "f(-1)"]


def test_greedy_cover_of_the_mutants_then_the_changed_lines() -> None:
    pairs = [(_seen("a()", kills=(0,), lines=(3,)), None),
             (_seen("b()", kills=(0, 1), lines=(3, 4)), None),
             (_seen("c()", kills=(1, 2), lines=(4,)), None),
             (_seen("d()", lines=(7,)), None),
             (_seen("e()", lines=(3,)), None)]
    choice = choose(pairs)
    assert [(o.call, why) for o, why in choice.tests] == [
        ("b()", "kills 2 mutant(s)"), ("c()", "kills 1 mutant(s)"),
        ("d()", "runs changed line(s) [7]")]
    assert choice.killed == {0, 1, 2}


def test_what_the_existing_tests_own_calls_kill_and_run_is_checked_already() -> None:
    existing = "existing tests/test_x.py::test_it"
    pairs = [(_seen("f(2)", kills=(0, 1), lines=(3,), origin=existing), None),
             (_seen("f(3)", kills=(1, 2), lines=(3, 4)), None),
             (_seen("f(4)", kills=(0,), lines=(3,)), None),
             (_seen("f(5)", "2", origin=existing), Replayed(passed=False, shown="1"))]
    assert [(o.call, why) for o, why in choose(pairs).tests] == [
        ("f(5)", "pins the change"), ("f(3)", "kills 1 mutant(s)")]


def test_ties_prefer_the_projects_own_calls_to_made_up_ones() -> None:
    pairs = [(_seen("V(0).m()", kills=(0,), rank=5), None),
             (_seen("Version.parse('1.2.3').m()", kills=(0,), rank=0), None)]
    assert [o.call for o, _ in choose(pairs).tests] == ["Version.parse('1.2.3').m()"]


def test_a_repair_attempt_excludes_what_was_offered_and_a_limit_holds() -> None:
    pairs = [(_seen(f"f({i})", kills=(i,)), None) for i in range(20)]
    first = choose(pairs)
    assert len(first.tests) == 12
    second = choose(pairs, exclude=first.names())
    assert len(second.tests) == 8 and not first.names() & second.names()


def test_behaviour_changes_shortest_first_one_per_pair_and_capped() -> None:
    pairs = [(_seen(f"f({'9' * (12 - i)})", f"'{i}'"), Replayed(passed=False, shown="'0'"))
             for i in range(12)]
    pairs.append((_seen("g()"), SAME))
    found = behaviour_changes(pairs)
    assert len(found) == 10
    assert found[0] == BehaviourChange(call="f(9)", before="'0'", after="'11'")
    assert all(c.call.startswith("f(") for c in found)


def test_a_contradicted_docstring_example_is_kept_for_its_evidence() -> None:
    observed = _seen("f(2)", "4").model_copy(update={"contradicts": "assert f(2) == 5\n"})
    assert choose([(observed, None)]).documented == [observed]


def test_a_pinning_call_of_the_existing_tests_comes_after_the_others() -> None:
    before = Replayed(passed=False, shown="0")
    pairs = [(_seen("f(1)", origin="existing tests/t.py::test_f"), before),
             (_seen("f(10)", origin="boundary"), before)]
    assert [o.call for o, _ in choose(pairs).tests] == ["f(10)"]
