"""tta_ci.generators.offline.ghost, the sandbox side of the offline backend: return checks,
one run of each candidate test, and the whole request on a small module (run as the sandbox
runs it, ``python -m``, outside the sandbox)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tta_ci.generators.offline.ghost import check, return_check

MODULE = types.ModuleType("shop")


class Money:
    pass


Money.__module__ = "shop"
Money.__qualname__ = "Money"
MODULE.Money = Money  # type: ignore[attr-defined]


class Elsewhere:
    pass


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        pytest.param(None, "result is None", id="none"),
        pytest.param(type(None), "result is None", id="none-type"),
        pytest.param(int, "isinstance(result, int)", id="int"),
        pytest.param(float, "isinstance(result, (int, float))", id="float-accepts-int"),
        pytest.param(list[int], "isinstance(result, list)", id="generic"),
        pytest.param(int | None, "isinstance(result, (int, type(None)))", id="optional"),
        pytest.param(float | str, "isinstance(result, (int, float, str))", id="union"),
        pytest.param(Money, "isinstance(result, shop.Money)", id="class-of-the-module"),
        pytest.param(Elsewhere, None, id="class-from-elsewhere"),
        pytest.param(int | Elsewhere, None, id="union-with-an-unknown"),
    ],
)
def test_return_check(hint: Any, expected: str | None) -> None:
    assert return_check(hint, MODULE) == expected


def test_check_runs_each_test_once() -> None:
    code = (
        "from hypothesis import given, settings, strategies as st\n\n"
        "def test_ok():\n    assert 1 + 1 == 2\n\n"
        "def test_bad():\n    print('some output')\n    assert 1 == 2, 'one is not two'\n\n"
        "@settings(max_examples=5, database=None)\n@given(st.integers().filter(lambda x: False))\n"
        "def test_never(x):\n    assert x\n"
    )
    statuses, message = check(code, "probe")
    assert statuses == {"test_ok": "passed", "test_bad": "failed",
                        "test_never": "dropped: FailedHealthCheck"}
    assert message.splitlines() == ["AssertionError: one is not two", "some output"]


SHOP = '''\
def discount(price: int, percent: int) -> int:
    """Price after a discount.

    Raises:
        ValueError: when percent is out of range.
    """
    if not 0 <= percent <= 100:
        raise ValueError("percent")
    return price - price * percent // 100
'''


def ghost(tmp_path: Path, request: dict[str, Any]) -> dict[str, Any]:
    (tmp_path / "shop.py").write_text(SHOP)
    done = subprocess.run(
        [sys.executable, "-m", "tta_ci.generators.offline.ghost", json.dumps(request)],
        cwd=tmp_path, capture_output=True, text=True, timeout=240, check=True,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path),
             "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path / ".hypothesis")})
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


REQUEST = {"module": "shop", "symbol": "discount", "kind": "function", "ghostwriter": True,
           "expected_errors": ["ValueError"], "max_examples": 10, "tests": {},
           "base_source": "def discount(price: int, percent: int) -> int:\n    return price\n"}


@pytest.mark.slow
def test_a_request_gives_a_fuzz_test_and_a_regression_finding(tmp_path: Path) -> None:
    doctest = "from shop import discount\n\ndef test_discount_doctest():\n" \
              "    assert discount(200, 50) == 100\n"
    out = ghost(tmp_path, {**REQUEST, "tests": {"doctest": doctest}})
    by_strategy = {r["strategy"]: r for r in out["results"]}
    assert set(by_strategy) == {"doctest", "ghostwriter.fuzz", "equivalent"}
    assert by_strategy["doctest"]["status"] == "passed"
    fuzz = by_strategy["ghostwriter.fuzz"]
    assert fuzz["status"] == "passed" and "except ValueError:" in fuzz["code"]
    assert "assert isinstance(result, int)" in fuzz["code"]
    # the base version ignored the discount: where both return, they differ
    assert by_strategy["equivalent"]["status"] == "failed"
    assert by_strategy["equivalent"]["message"].startswith("AssertionError")


@pytest.mark.slow
def test_a_module_that_cannot_be_imported_is_a_note(tmp_path: Path) -> None:
    out = ghost(tmp_path, {**REQUEST, "module": "missing_module", "base_source": None})
    assert out["results"] == []
    assert out["notes"][0].startswith("cannot import missing_module: ModuleNotFoundError")
