"""The offline generator's sandbox side, run as the generator runs it (``python -m ...observe``),
on a small project in ``tmp_path`` (without the sandbox: what it observes is the subject)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tta_ci.core.types import Task
from tta_ci.generators.offline.model import ProbeAnswer, Replay, ReplayAnswer
from tta_ci.generators.offline.planner import probe_request

pytestmark = pytest.mark.slow

PACKAGE = Path(__file__).resolve().parents[3]  # the folder holding tta_ci/

HEAD = '''\
import random

LIMIT = 10


def clamp(n: int, limit: int = LIMIT) -> int:
    """The number, capped.

    >>> clamp(3)
    3
    """
    if n >= limit:
        raise ValueError(f"{n} is not below {limit}")
    return n


def noisy(n: int) -> float:
    return random.random() * n


class Account:
    def __init__(self, balance: int) -> None:
        if balance < 0:
            raise ValueError("a balance is never negative")
        self.balance = balance

    def withdraw(self, amount: int) -> int:
        if amount > self.balance:
            return 0
        self.balance -= amount
        return amount
'''
BASE = HEAD.replace("if n >= limit:", "if n > limit:")
TESTS = '''\
from pkg.limits import Account, clamp


def test_clamp():
    assert clamp(4) == 4


def test_withdraw():
    account = Account(100)
    assert account.withdraw(30) == 30
'''


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _task(symbol: str, kind: str = "function", length: int = 10) -> Task:
    name = symbol.rsplit(".", 1)[-1]
    start = _line(HEAD, f"def {name}(")
    end = start + length - 1
    source = "".join(HEAD.splitlines(keepends=True)[start - 1:end])
    changed = (_line(HEAD, "if n >= limit:"),) if name == "clamp" else (
        _line(HEAD, "if amount > self.balance:"),)
    return Task(id=f"pkg/limits.py::{symbol}", file="pkg/limits.py", symbol=symbol, kind=kind,  # type: ignore[arg-type]
                changed_lines=changed, test_file="tests/test_limits.py", start_line=start,
                end_line=end, source=source, module="pkg.limits", base_source=source)


def _project(root: Path, code: str) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "limits.py").write_text(code)
    (root / "tests").mkdir()
    (root / "tests" / "test_limits.py").write_text(TESTS)
    return root


def _run(root: Path, request: Any) -> dict[str, Any]:
    path = root / "request.json"
    path.write_text(request.model_dump_json())
    env = {"PATH": os.environ.get("PATH", os.defpath), "PYTHONHASHSEED": "0",
           "PYTHONPATH": f"{root}{os.pathsep}{PACKAGE}",
           "TTA_SANDBOX_HYPOTHESIS_DIR": str(root.parent / "hypothesis")}
    done = subprocess.run([sys.executable, "-m", "tta_ci.generators.offline.observe",
                           str(path)], cwd=root, env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return data


@pytest.fixture(scope="module")
def clamp_answer(tmp_path_factory: pytest.TempPathFactory) -> ProbeAnswer:
    root = _project(tmp_path_factory.mktemp("head") / "project", HEAD)
    request = probe_request(_task("clamp"), {"tests/test_limits.py": TESTS}, budget_s=60.0)
    return ProbeAnswer.model_validate(_run(root, request))


def test_the_head_observes_calls_and_states_them_as_tests(clamp_answer: ProbeAnswer) -> None:
    tests = {o.call: o for o in clamp_answer.observed}
    assert tests["clamp(3)"].test == "assert clamp(3) == 3\n"
    assert tests["clamp(3)"].origin == "doctest"
    assert tests["clamp(4)"].origin == "existing tests/test_limits.py::test_clamp"
    edge = tests["clamp(10)"]  # the boundary's edge, from the runtime value of ``limit``
    assert edge.raises and edge.shown == "raises ValueError('10 is not below 10')"
    assert "match='10 is not below 10'" in edge.test
    assert edge.imports == ("from pkg.limits import clamp", "import pytest")


def test_the_mutants_of_the_changed_line_and_who_kills_them(clamp_answer: ProbeAnswer) -> None:
    assert clamp_answer.mutants == ("line 12: `>=` → `>`",)
    killers = {o.call for o in clamp_answer.observed if o.kills}
    assert "clamp(10)" in killers and "clamp(3)" not in killers
    assert all(o.lines == (12,) for o in clamp_answer.observed)


def test_the_base_replays_the_heads_tests(clamp_answer: ProbeAnswer, tmp_path: Path) -> None:
    root = _project(tmp_path / "base", BASE)
    answer = ReplayAnswer.model_validate(_run(root, Replay(module="pkg.limits",
                                                           tests=clamp_answer.observed)))
    pairs = dict(zip((o.call for o in clamp_answer.observed), answer.replayed, strict=True))
    assert not pairs["clamp(10)"].passed and pairs["clamp(10)"].shown == "10"
    assert pairs["clamp(3)"].passed and pairs["clamp(4)"].passed


def test_a_method_gets_receivers_that_construct(tmp_path: Path) -> None:
    root = _project(tmp_path / "project", HEAD)
    request = probe_request(_task("Account.withdraw", "method", 5),
                            {"tests/test_limits.py": TESTS}, budget_s=60.0)
    answer = ProbeAnswer.model_validate(_run(root, request))
    calls = {o.call for o in answer.observed}
    assert "account = Account(100); account.withdraw(30)" in calls
    assert any(o.kills for o in answer.observed)
    assert not any("Account(-" in c for c in calls)  # a receiver that cannot be built is none


def test_a_nondeterministic_call_gives_no_test(tmp_path: Path) -> None:
    root = _project(tmp_path / "project", HEAD)
    task = _task("noisy", length=2).model_copy(update={"changed_lines": (_line(HEAD, "random."),)})
    answer = ProbeAnswer.model_validate(_run(root, probe_request(task, {}, budget_s=30.0)))
    assert answer.tried > 5
    assert [o.test for o in answer.observed] == ["assert noisy(0) == 0.0\n"]  # 0 * random


def test_an_import_error_is_reported_with_its_cause(tmp_path: Path) -> None:
    root = _project(tmp_path / "project", "from pkg._version import version\n" + HEAD)
    answer = ProbeAnswer.model_validate(_run(root, probe_request(_task("clamp"), {},
                                                                 budget_s=30.0)))
    assert answer.observed == ()
    note = answer.notes[0]
    assert note.startswith("cannot import pkg.limits: ModuleNotFoundError: No module named "
                           "'pkg._version' (a generated or git-ignored module")
    assert "pkg/limits.py:1" in note


GROW = '''\
class Box:
    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.n})"

    def grow(self) -> "Box":
        return type(self)(self.n + 1)
'''


def test_a_change_to_type_self_is_tried_on_a_subclass(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "box.py").write_text(GROW)
    tests = {"tests/test_box.py": "from pkg.box import Box\n\n\ndef test_grow():\n"
                                  "    assert Box(1).grow().n == 2\n"}
    task = Task(id="pkg/box.py::Box.grow", file="pkg/box.py", symbol="Box.grow", kind="method",
                changed_lines=(9,), test_file="tests/test_box.py", start_line=8, end_line=9,
                source="".join(GROW.splitlines(keepends=True)[7:9]), module="pkg.box")
    request = probe_request(task, tests, budget_s=30.0)
    assert request.subclass
    answer = ProbeAnswer.model_validate(_run(root, request))
    sub = [o for o in answer.observed if "class SubBox(Box):" in o.test]
    assert sub and sub[0].call == "SubBox(1).grow()"
    assert "== 'SubBox(2)'" in sub[0].test or '== "SubBox(2)"' in sub[0].test
