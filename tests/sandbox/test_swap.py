"""tta_ci.sandbox.swap: a mutant switched in by ``__code__`` behaves as the mutant module
imported afresh, for every reference to its functions, whenever it was taken."""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tta_ci.core.mutants import mutants
from tta_ci.sandbox.swap import MutantSet, code_units, live_functions

SOURCE = textwrap.dedent('''\
    import functools

    LIMIT = 10


    def f(x):
        return x + 1


    def g(x, step=2):
        return x * step


    @functools.lru_cache(maxsize=None)
    def cached(x):
        return x - 1


    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*a):
            return fn(*a) and a[0] > 0
        return wrapper


    @deco
    def decorated(x):
        return x < 3


    def outer(x):
        def inner(y):
            return x + y
        return inner(1)


    def over(x):
        return x > LIMIT


    class C:
        size = 1

        def m(self, x):
            return x + 1

        @staticmethod
        def s(x):
            return x + 1

        @classmethod
        def c(cls, x):
            return x + cls.size

        @property
        def p(self):
            return 1 + 1
    ''')


def probe(mod: Any) -> dict[str, Any]:
    """What the module's functions answer, through the references a test would hold."""
    obj = mod.C()
    return {"f": mod.f(1), "g": mod.g(1), "cached": mod.cached(5), "d1": mod.decorated(1),
            "d3": mod.decorated(3), "outer": mod.outer(5), "over": (mod.over(10), mod.over(11)),
            "m": obj.m(1), "s": mod.C.s(1), "c": mod.C.c(1), "p": obj.p, "size": mod.C.size,
            "limit": mod.LIMIT}


def mutate(old: str, new: str) -> str:
    assert old in SOURCE, old
    return SOURCE.replace(old, new, 1)


HAND_MADE = {
    "f": mutate("return x + 1", "return x - 1"),
    "default": mutate("step=2", "step=3"),
    "cached": mutate("return x - 1", "return x + 7"),
    "decorated": mutate("return x < 3", "return x <= 3"),
    "wrapper": mutate("a[0] > 0", "a[0] > 1"),
    "closure": mutate("return x + y", "return x - y"),
    "constant": mutate("LIMIT = 10", "LIMIT = 11"),
    "method": mutate("    def m(self, x):\n        return x + 1",
                     "    def m(self, x):\n        return x + 100"),
    "static": mutate("    def s(x):\n        return x + 1",
                     "    def s(x):\n        return x + 200"),
    "classmethod": mutate("return x + cls.size", "return x - cls.size"),
    "property": mutate("return 1 + 1", "return 1 - 1"),
    "classattr": mutate("size = 1", "size = 5"),
    "new_def": SOURCE + "\n\ndef extra():\n    return 1\n",
}


def load(folder: Path, name: str, text: str) -> ModuleType:
    (folder / f"{name}.py").write_text(text)
    return importlib.import_module(name)


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield load(tmp_path, "swapmod", SOURCE)
    for name in [n for n in sys.modules if n.startswith(("swapmod", "fresh_"))]:
        del sys.modules[name]


def in_child(check: Callable[[], bool]) -> bool:
    """Run ``check`` in a forked child, as the warm server does: the parent keeps its code."""
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            ok = check()
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("name", list(HAND_MADE))
def test_a_switched_mutant_answers_as_the_mutant_module(module: ModuleType, tmp_path: Path,
                                                        name: str) -> None:
    expected = probe(load(tmp_path, f"fresh_{name}", HAND_MADE[name]))
    before = probe(module)
    mset = MutantSet.compile("swapmod", module.__file__ or "", SOURCE, [HAND_MADE[name]])
    from swapmod import C, decorated, f  # references taken before the switch

    def check() -> bool:
        mset.activate(0)
        early = (f(1), decorated(3), C().m(1))
        return probe(module) == expected and early == (expected["f"], expected["d3"],
                                                       expected["m"])

    assert expected != before or name == "new_def"
    assert in_child(check)
    assert probe(module) == before  # the parent still runs the original


def test_every_planned_mutant_switches_like_a_fresh_import(module: ModuleType,
                                                           tmp_path: Path) -> None:
    found = mutants(SOURCE, list(range(1, SOURCE.count("\n") + 1)), limit=50)
    assert len(found) >= 20
    mset = MutantSet.compile("swapmod", module.__file__ or "", SOURCE, [m.source for m in found])
    for number, mutant in enumerate(found):
        try:
            expected: Any = probe(load(tmp_path, f"fresh_m{number}", mutant.source))
        except Exception as exc:  # the mutant raises on a probe: so must the switched one
            expected = type(exc).__name__

        def check(k: int = number, want: Any = expected) -> bool:
            mset.activate(k)
            try:
                got: Any = probe(module)
            except Exception as exc:
                got = type(exc).__name__
            return bool(got == want)

        assert in_child(check), mutant.description


def test_plans_say_what_a_mutant_changes(module: ModuleType) -> None:
    names = list(HAND_MADE)
    mset = MutantSet.compile("swapmod", module.__file__ or "", SOURCE, list(HAND_MADE.values()))
    plans = {n: p.describe() for n, p in zip(names, mset.plans, strict=True)}
    assert plans["f"] == {"swaps": ["f"], "import_time": False, "changed": ["f"]}
    assert plans["closure"]["swaps"] == ["outer"] and not plans["closure"]["import_time"]
    assert plans["method"]["swaps"] == ["C.m"]
    for name in ("constant", "default", "classattr", "new_def", "wrapper"):  # deco: at import
        assert plans[name]["import_time"], name


def test_a_mutant_of_a_last_line_changes_no_module_code(module: ModuleType) -> None:
    last = mutate("        return 1 + 1\n", "        return 1 + 1 + 0\n")
    [plan] = MutantSet.compile("swapmod", module.__file__ or "", SOURCE, [last]).plans
    assert plan.describe() == {"swaps": ["C.p"], "import_time": False, "changed": ["C.p"]}


def test_code_units_and_live_functions_find_what_a_module_defines(module: ModuleType) -> None:
    units = code_units(compile(SOURCE, module.__file__ or "", "exec"))
    kinds = {name: kind for (name, _), (_, kind) in units.items()}
    assert kinds["<module>"] == "module" and kinds["C"] == "class" and kinds["C.m"] == "def"
    assert kinds["outer.<locals>.inner"] == "nested"
    live = {name for name, _ in live_functions(module)}
    assert {"f", "cached", "decorated", "deco.<locals>.wrapper", "C.m", "C.s", "C.c",
            "C.p"} <= live
    assert "functools.wraps" not in live  # only the module's own code
