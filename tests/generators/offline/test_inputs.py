"""tta_ci.generators.offline.inputs: hints resolved, examples drawn, boundary edges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.pymodule import imported

from tta_ci.generators.offline.inputs import OMIT, argument_text, draw, edge_values, resolved_hints
from tta_ci.generators.offline.model import Boundary, Param

HINTED = '''\
from __future__ import annotations

import typing
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Union
    NumberOrString = Union[float, str]
    from missing_package import Thing


def fractional(value: NumberOrString, items: list[Any], other: Thing, n: int = 2) -> str:
    return ""


def plain(value: typing.Optional[int]) -> str:
    return ""
'''


def test_hints_resolve_with_the_type_checking_names_and_fall_back_per_parameter(
    tmp_path: Path,
) -> None:
    with imported(tmp_path, {"hinted.py": HINTED}, "hinted") as module:
        hints = resolved_hints(module.fractional, module)
        assert hints["value"] == float | str or str(hints["value"]) == "typing.Union[float, str]"
        assert hints["items"] == list[Any] and hints["n"] is int
        assert "other" not in hints  # its name cannot be imported: that parameter only
        assert resolved_hints(module.plain, module)["value"] == int | None


def test_draws_are_derandomized_small_and_leave_defaults_out_sometimes() -> None:
    params = (Param(name="n", annotation="int"), Param(name="word", annotation="str"),
              Param(name="flag", default="False"))
    hints: dict[str, Any] = {"n": int, "word": str}
    first, again = draw(params, hints, 15), draw(params, hints, 15)
    assert first == again and len(first) == 15
    assert all(isinstance(d["n"], int) and -(10**4) <= d["n"] <= 10**7 for d in first)
    assert all(isinstance(d["word"], str) and len(d["word"]) <= 12 for d in first)
    assert any(d["flag"] is OMIT for d in first)


def test_argument_text_positional_while_nothing_is_left_out() -> None:
    params = (Param(name="a"), Param(name="b", default="1"), Param(name="c", kind="keyword"))
    assert argument_text(params, {"a": [1], "b": OMIT, "c": "x"}, "") == ("[1], c='x'", [])
    assert argument_text(params, {"a": 1, "b": 2.5, "c": None}, "") == ("1, b=2.5, c=None", [])
    assert argument_text(params, {"b": 2}, "") is None  # a required one is missing
    assert argument_text(params, {"a": object()}, "") is None


def _boundary(left: str, op: str, params: tuple[str, ...] = ("n",)) -> Boundary:
    return Boundary(line=3, left=left, op=op, right="x", params=params)


@pytest.mark.parametrize(("seed", "edge", "boundary", "values"), [
    pytest.param(5, 10, _boundary("n", ">"), [9, 10, 11], id="int around a constant"),
    pytest.param(5, 1000, _boundary("size", ">="), [999, 1000, 1001, 999999, 1000000,
                                                    999999999], id="derived value: powers"),
    pytest.param(1.5, 1000, _boundary("n", ">="), [999, 1000, 1001, 999.9, 999.99, 999.999,
                                                   1000.1], id="float seed"),
    pytest.param([1, 2], 3, _boundary("len(items)", ">="), [[1, 2], [1, 2, 1], [1, 2, 1, 2]],
                 id="length"),
    pytest.param("word", "sx", _boundary("w[-1]", "in"), ["words", "wordx", "s", "x"],
                 id="characters of a membership test"),
    pytest.param("word", "", _boundary("w", "=="), ["", "word"], id="equal to a string"),
    pytest.param(True, 3, _boundary("n", ">"), [], id="a bool is no number here"),
])
def test_edge_values(seed: object, edge: object, boundary: Boundary, values: list[object]
                     ) -> None:
    assert edge_values(seed, edge, boundary) == values
