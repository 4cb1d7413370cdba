"""tta_ci.generators.offline.watch: one observed call and the example test it makes."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from tta_ci.generators.offline.watch import observe_case, run_body

CODE = '''
import itertools

import pytest


class Version:
    def __init__(self, major):
        self.major = major

    def __eq__(self, other):
        return isinstance(other, Version) and other.major == self.major

    def __repr__(self):
        return f"Version(major={self.major})"

    def bump(self):
        self.major += 1

    @property
    def label(self):
        return f"v{self.major}"


def chunked(text, n):
    if n < 0:
        raise ValueError("n must be at least 0")
    return iter([text[i:i + n] for i in range(0, len(text), n)])


def sort_in_place(items):
    items.sort()


def adder(n):
    return lambda x: x + n


def forever():
    return itertools.count()


def shout(n):
    print("x" * n)
    return n


def big(n):
    return format(10 ** n, "d")
'''


def _observe(expr: str, func: str, receiver: str = "value") -> Any:
    namespace: dict[str, Any] = {}
    exec(CODE, namespace)
    seen = observe_case(namespace, [], expr, func, receiver, "", 0.5,
                        contextlib.nullcontext)
    if seen is None:
        return None
    assert run_body(namespace, seen.case.body(), 0.5), seen.case.body()
    return seen


@pytest.mark.parametrize(("expr", "func", "body", "shown"), [
    pytest.param("chunked('abc', 2)", "chunked", "assert list(chunked('abc', 2)) == ['ab', 'c']\n",
                 "['ab', 'c']", id="an iterator is read as a list"),
    pytest.param("chunked('abc', -1)", "chunked",
                 "with pytest.raises(ValueError, match='n must be at least 0'):\n"
                 "    chunked('abc', -1)\n", "raises ValueError('n must be at least 0')",
                 id="an exception with its message"),
    pytest.param("sort_in_place([3, 1, 2])", "sort_in_place",
                 "items = [3, 1, 2]\nsort_in_place(items)\nassert items == [1, 2, 3]\n",
                 "items == [1, 2, 3]", id="an argument changed in place"),
    pytest.param("forever()", "forever",
                 "assert list(itertools.islice(forever(), 50)) == " + repr(list(range(50)))
                 + "\n", repr(list(range(50)))[:119] + "…", id="an endless iterator"),
])
def test_observed_cases(expr: str, func: str, body: str, shown: str) -> None:
    seen = _observe(expr, func)
    assert seen is not None and seen.case.body() == body and seen.shown == shown


def test_a_receiver_changed_in_place_is_stated_after_the_call() -> None:
    seen = _observe("Version(1).bump()", ".bump", "Version")
    assert seen is not None
    assert seen.case.body() == ("version = Version(1)\nversion.bump()\n"
                                "assert version.major == 2\n")


@pytest.mark.parametrize("expr", [
    pytest.param("adder(1)", id="a closure is no value to compare"),
    pytest.param("big(10 ** 7)", id="out of CPU time"),
    pytest.param("shout(100000)", id="prints too much"),
    pytest.param("undefined_name(1)", id="a NameError is no behaviour"),
])
def test_calls_that_make_no_example(expr: str) -> None:
    assert _observe(expr, expr.split("(")[0]) is None


def test_a_body_that_fails_or_does_not_compile_does_not_pass() -> None:
    assert not run_body({}, "assert 1 == 2\n", 0.5)
    assert not run_body({}, "assert (\n", 0.5)
    assert run_body({}, "assert 1 == 1\n", 0.5)


def test_an_object_is_also_stated_by_each_of_its_attributes() -> None:
    seen = _observe("Version(3)", "Version")
    # defined where no import reaches it: compared by its repr
    assert seen is not None
    assert seen.case.body() == "assert repr(Version(3)) == 'Version(major=3)'\n"
    shown = {case.body(): text for case, text in seen.alternatives}
    assert shown == {"assert Version(3).major == 3\n": "major == 3",
                     "assert Version(3).label == 'v3'\n": "label == 'v3'"}
