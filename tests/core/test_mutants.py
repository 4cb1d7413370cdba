"""tta_ci.core.mutants: the mutants of the changed lines (pure)."""

from __future__ import annotations

import pytest

from tta_ci.core.mutants import mutants

FUNC = "def f(a, b):\n    {}\n"


def changed_line(description: str, source: str, line: int) -> str:
    found = [m for m in mutants(source, [line], limit=50) if m.description == description]
    assert len(found) == 1, [m.description for m in mutants(source, [line], limit=50)]
    return found[0].source.splitlines()[line - 1].strip()


@pytest.mark.parametrize(("statement", "description", "mutated"), [
    pytest.param("return a < b", "line 2: `<` → `<=`", "return (a <= b)", id="lt"),
    pytest.param("return a <= b", "line 2: `<=` → `<`", "return (a < b)", id="le"),
    pytest.param("return a > b", "line 2: `>` → `>=`", "return (a >= b)",
                 id="gt"),
    pytest.param("return a >= b", "line 2: `>=` → `>`", "return (a > b)", id="ge"),
    pytest.param("return a == b", "line 2: `==` → `!=`", "return (a != b)", id="eq"),
    pytest.param("return a != b", "line 2: `!=` → `==`", "return (a == b)", id="ne"),
    pytest.param("return a is b", "line 2: `is` → `is not`", "return (a is not b)", id="is"),
    pytest.param("return a in b", "line 2: `in` → `not in`", "return (a not in b)", id="in"),
    pytest.param("return a < b != 3", "line 2: `!=` → `==`", "return (a < b == 3)",
                 id="chain"),
    pytest.param("return a + b", "line 2: `+` → `-`", "return (a - b)", id="add"),
    pytest.param("return a - b", "line 2: `-` → `+`", "return (a + b)", id="sub"),
    pytest.param("return a * b", "line 2: `*` → `//`", "return (a // b)", id="mul"),
    pytest.param("return a // b", "line 2: `//` → `*`", "return (a * b)", id="floordiv"),
    pytest.param("a += b", "line 2: `+=` → `-=`", "a -= b", id="augassign"),
    pytest.param("return a and b", "line 2: `and` → `or`", "return (a or b)", id="and"),
    pytest.param("return a or b", "line 2: `or` → `and`", "return (a and b)", id="or"),
    pytest.param("return not a", "line 2: `not a` → `a`", "return (a)", id="not"),
    pytest.param("return a + 41", "line 2: `41` → `42`", "return a + 42", id="int"),
    pytest.param("return True", "line 2: `True` → `False`", "return False", id="true"),
    pytest.param("return False", "line 2: `False` → `True`", "return True", id="false"),
    pytest.param("return a", "line 2: `return a` → `return None`", "return None", id="return"),
])
def test_each_operator(statement: str, description: str, mutated: str) -> None:
    assert changed_line(description, FUNC.format(statement), 2) == mutated


@pytest.mark.parametrize("statement", [
    pytest.param("return None", id="return-none-kept"),
    pytest.param("a.b(c)", id="no-operator"),
    pytest.param("x = 'text'", id="strings-kept"),
    pytest.param("x = a / b", id="true-division-kept"),
    pytest.param("return", id="bare-return"),
])
def test_no_mutant(statement: str) -> None:
    assert mutants(FUNC.format(statement), [2], limit=50) == []


SOURCE = '''\
def grade(score: int) -> str:
    if score >= 90:  # the top band
        return "A"
    bonus = score + 5
    return "B" if bonus > 60 and not score < 0 else "C"
'''


def test_only_changed_lines_are_mutated() -> None:
    found = mutants(SOURCE, [4], limit=50)
    assert [m.description for m in found] == ["line 4: `+` → `-`", "line 4: `5` → `6`"]
    assert all(m.line == 4 for m in found)
    for mutant in found:  # every other line is left as it was, comment included
        before, after = SOURCE.splitlines(), mutant.source.splitlines()
        assert [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y] == [3]
    assert mutants(SOURCE, [], limit=50) == []
    assert mutants(SOURCE, [99], limit=50) == []


def test_limit_spreads_over_the_changed_lines_and_order_is_fixed() -> None:
    everything = mutants(SOURCE, [2, 4, 5], limit=50)
    assert len(everything) >= 8
    first = mutants(SOURCE, [2, 4, 5], limit=3)
    assert [m.line for m in first] == [2, 4, 5]
    assert first == everything[:3]
    assert mutants(SOURCE, [2, 4, 5], limit=50) == everything
    assert len({m.source for m in everything}) == len(everything)


def test_every_mutant_parses_and_differs() -> None:
    source = SOURCE + 'def h(x):\n    return f"{x < 1}" if x * 2 in (3, 4) else [-1, x // 2]\n'
    found = mutants(source, list(range(1, 8)), limit=50)
    assert len(found) > 10
    for mutant in found:
        compile(mutant.source, "<test>", "exec")
        assert mutant.source != source


def test_unparsable_source_has_no_mutant() -> None:
    assert mutants("def f(:\n", [1], limit=5) == []
