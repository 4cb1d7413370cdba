"""tta_ci.publish.files, the files-mode writer, and tta_ci.publish.testcode: pure merge
table tests, then writes into real directories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tta_ci.publish.files import (
    AcceptedTest,
    TestFileError,
    render_header,
    write_accepted_tests,
)
from tta_ci.publish.testcode import merge_test_code

HEADER = "# header\n"

USER = '''"""The user's own tests."""
import pytest
from shop.pricing import (apply_discount,
                          format_price)  # keep this comment


def test_user():
    assert apply_discount(10, 0) == 10  # odd   spacing kept
'''

FUZZ = '''from hypothesis import given, strategies as st
from shop.pricing import apply_discount


@given(price=st.integers(min_value=0))
def test_fuzz(price):
    assert apply_discount(price, 0) == price
'''

SAME_NAME_OTHER_BODY = '''from shop.pricing import apply_discount


def test_user():
    assert apply_discount(1, 0) == 1
'''


@pytest.mark.parametrize(
    ("existing", "additions", "expected"),
    [
        pytest.param(
            None, [FUZZ],
            HEADER + FUZZ,
            id="new-file-gets-header",
        ),
        pytest.param(
            USER, [FUZZ],
            USER.replace("# keep this comment\n",
                         "# keep this comment\n"
                         "from hypothesis import given, strategies as st\n")
            + "\n\n" + FUZZ.split("\n\n\n", 1)[1],
            id="append-and-merge-imports",
        ),
        pytest.param(
            USER, [SAME_NAME_OTHER_BODY],
            USER + "\n\ndef test_user_2():\n    assert apply_discount(1, 0) == 1\n",
            id="same-name-other-body-renamed",
        ),
        pytest.param(
            USER, ["from shop.pricing import apply_discount\n\n\n" + USER.split("\n\n\n")[1]],
            USER,
            id="same-test-not-added-again",
        ),
        pytest.param(
            '"""Doc."""\nfrom __future__ import annotations\n', ["import os\n\nX = os.sep\n"],
            '"""Doc."""\nfrom __future__ import annotations\nimport os\n\n\nX = os.sep\n',
            id="after-future-import",
        ),
        pytest.param(
            "def test_a():\n    pass", ["def test_b():\n    assert 1 == len('a')\n"],
            "def test_a():\n    pass\n\n\ndef test_b():\n    assert 1 == len('a')\n",
            id="no-trailing-newline",
        ),
    ],
)
def test_merge_test_code(existing: str | None, additions: list[str], expected: str) -> None:
    assert merge_test_code(existing, additions, HEADER) == expected


def test_merge_is_idempotent_even_after_a_rename() -> None:
    once = merge_test_code(USER, [FUZZ, SAME_NAME_OTHER_BODY], HEADER)
    assert merge_test_code(once, [FUZZ, SAME_NAME_OTHER_BODY], HEADER) == once
    assert once.count("def test_user_2") == 1


def test_merge_refuses_an_invalid_file() -> None:
    with pytest.raises(TestFileError, match="not valid Python"):
        merge_test_code("def broken(:\n", [FUZZ], HEADER)


def test_header_names_targets_lines_generator_and_cost() -> None:
    header = render_header([
        AcceptedTest(test_file="tests/t.py", code="", target="shop/p.py::f",
                     covered_lines=(3, 4, 5, 9), generator="openrouter",
                     model="openai/gpt-4.1-mini", cost_usd=0.00123),
        AcceptedTest(test_file="tests/t.py", code="", task_id="shop/p.py::g"),
        AcceptedTest(test_file="tests/t.py", code="", target="shop/p.py::h", killed=2,
                     missed=3),
    ])
    assert "# target: shop/p.py::f (newly covered changed lines: 3-5, 9)" in header
    assert "#   generator: openrouter, model openai/gpt-4.1-mini; cost: $0.0012" in header
    assert "# target: shop/p.py::g\n" in header
    assert ("# target: shop/p.py::h (kill 2 of the 3 mutants of the change the existing"
            "\n#     tests miss)") in header
    assert all(line.startswith("#") for line in header.splitlines())


def test_a_long_header_line_is_wrapped() -> None:
    header = render_header([AcceptedTest(
        test_file="tests/t.py", code="", target="src/semver/version.py::Version.bump_prerelease",
        covered_lines=(306, 308, 310, 312, 314, 316, 318, 320, 325), generator="offline")])
    assert max(len(line) for line in header.splitlines()) <= 79
    assert all(line.startswith("#") for line in header.splitlines())


def _accepted(test_file: str, code: str, target: str = "shop/pricing.py::f") -> AcceptedTest:
    return AcceptedTest(test_file=test_file, code=code, target=target, covered_lines=(7,),
                        generator="offline")


def _project(tmp_path: Path) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "pricing.py").write_text(
        "def apply_discount(price, percent):\n    return price - price * percent // 100\n\n\n"
        "def format_price(cents):\n    return f'{cents / 100:.2f}'\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_pricing.py").write_text(USER)
    return tmp_path


@pytest.mark.slow
def test_write_merges_runs_and_is_byte_stable(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    tests = [
        _accepted("tests/test_pricing.py", FUZZ),
        _accepted("tests/test_pricing.py", SAME_NAME_OTHER_BODY, "shop/pricing.py::g"),
        _accepted("tests/shop/test_new.py", FUZZ),
    ]
    written = write_accepted_tests(repo, tests)
    assert written == ["tests/test_pricing.py", "tests/shop/test_new.py"]
    existing = (repo / "tests/test_pricing.py").read_text()
    assert existing.startswith(USER.split("def test_user")[0].split("from shop")[0])
    assert "def test_user_2" in existing and existing.count("def test_fuzz") == 1
    assert (repo / "tests/shop/test_new.py").read_text().startswith(
        "# Tests generated by tta-ci")
    before = {p: (repo / p).read_bytes() for p in written}
    assert write_accepted_tests(repo, tests) == []
    assert {p: (repo / p).read_bytes() for p in written} == before
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
         "tests"], cwd=repo, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_an_invalid_file_stops_every_write(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    (repo / "tests" / "test_broken.py").write_text("def broken(:\n")
    tests = [_accepted("tests/test_pricing.py", FUZZ), _accepted("tests/test_broken.py", FUZZ)]
    with pytest.raises(TestFileError, match=r"^tests/test_broken.py: .*not valid Python"):
        write_accepted_tests(repo, tests)
    assert (repo / "tests" / "test_pricing.py").read_text() == USER
    assert (repo / "tests" / "test_broken.py").read_text() == "def broken(:\n"
    assert sorted(p.name for p in (repo / "tests").iterdir()) == [
        "test_broken.py", "test_pricing.py"]  # no temporary file left behind


@pytest.mark.parametrize("path", ["../outside.py", "/abs/test_x.py", "tests/notes.txt"])
def test_paths_outside_the_repository_are_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(TestFileError, match="inside the repository"):
        write_accepted_tests(tmp_path, [_accepted(path, FUZZ)])
    assert list(tmp_path.iterdir()) == []


def test_file_mode_is_kept(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    target = repo / "tests" / "test_pricing.py"
    target.chmod(0o600)
    write_accepted_tests(repo, [_accepted("tests/test_pricing.py", FUZZ)])
    assert target.stat().st_mode & 0o777 == 0o600


def test_a_new_file_gets_one_sorted_import_block() -> None:
    additions = ["import pytest\n\nfrom shop.pricing import shipping_cost\n\n\n"
                 "def test_a():\n    assert shipping_cost(1) == 495\n",
                 "import re\n\nimport pytest\n\nfrom shop.pricing import Cart\n\n\n"
                 "def test_b():\n    with pytest.raises(ValueError, match=re.escape('a.')):\n"
                 "        Cart().add(1, 0)\n"]
    text = merge_test_code(None, additions, "# header\n", first_party=["shop"])
    assert text.startswith("# header\nimport re\n\nimport pytest\n\n"
                           "from shop.pricing import Cart, shipping_cost\n\n\ndef test_a():")
    assert text.count("import pytest") == 1


def test_accepted_tests_come_in_the_order_of_their_code_whatever_finished_first() -> None:
    from tta_ci.core.report import MetricsDocument, TaskRecord
    from tta_ci.publish.files import accepted_tests

    def record(symbol: str, file: str, line: int, status: str = "accepted") -> TaskRecord:
        return TaskRecord(id=f"{file}::{symbol}", file=file, symbol=symbol, status=status,
                          changed_lines=[line], test_file="tests/test_x.py",
                          code=f"def test_{symbol}():\n    pass\n")

    finished = [record("late", "b.py", 3), record("g", "a.py", 40), record("f", "a.py", 12),
                record("gone", "a.py", 1, "rejected")]
    docs = [MetricsDocument(tool_version="0.1.0", started_at="2026-01-01T00:00:00+00:00",
                            tasks=order) for order in (finished, finished[::-1])]
    targets = [[t.target for t in accepted_tests(doc)] for doc in docs]
    assert targets[0] == targets[1] == ["a.py::f", "a.py::g", "b.py::late"]
