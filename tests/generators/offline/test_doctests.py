"""tta_ci.generators.offline.doctests: docstring examples as candidate calls (pure)."""

from __future__ import annotations

from tta_ci.generators.offline.doctests import doctest_calls

DOC = '''Compare.

>>> semver.Version.parse("4.0.4").match("4.0.4")
True
>>> ver = semver.parse("3.4.5")
>>> ver.bump_prerelease('').prerelease
'1'
>>> sorted(items, key=lambda item: -item)
[3, 2]
>>> match("x")  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: ...
'''


def test_qualified_names_stay_as_written_and_their_root_is_free() -> None:
    first = doctest_calls(DOC, name="match", method=True)[0]
    assert first.expr == "semver.Version.parse('4.0.4').match('4.0.4')"
    assert first.free == ("semver",) and first.func == ".match"
    assert first.expected == "True\n" and first.origin == "doctest"


def test_an_example_without_output_is_the_setup_of_the_next() -> None:
    second = doctest_calls(DOC, name="bump_prerelease", method=True)[1]
    assert second.setup == ("ver = semver.parse('3.4.5')",)
    assert second.expr == "ver.bump_prerelease('').prerelease"
    assert second.free == ("semver",) and second.func == ".bump_prerelease"


def test_lambda_parameters_are_not_free_names() -> None:
    third = doctest_calls(DOC, name="sorted")[2]
    assert "items" in third.free and "item" not in third.free and third.func == "sorted"


def test_a_traceback_or_a_loose_output_is_observed_without_an_expectation() -> None:
    last = doctest_calls(DOC, name="match")[3]
    assert last.expr == "match('x')" and last.expected is None


def test_no_examples_or_a_broken_one() -> None:
    assert doctest_calls("No examples.", name="f") == []
    assert doctest_calls(">>> f(\n1\n", name="f") == []


def test_only_the_setup_an_example_needs_comes_along() -> None:
    doc = (">>> import math\n>>> a = Cart()\n>>> b = Cart()\n>>> a.add(2)\n"
           ">>> a.total()\n2\n")
    call = doctest_calls(doc, name="total", method=True)[0]
    assert call.setup == ("a = Cart()", "a.add(2)")
    assert call.free == ("Cart",)
