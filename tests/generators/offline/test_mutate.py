"""tta_ci.generators.offline.mutate: mutants swapped into the imported module."""

from __future__ import annotations

import functools
from pathlib import Path

from support.pymodule import imported

from tta_ci.core.mutants import mutants
from tta_ci.generators.offline.mutate import compiled, live_functions, swapped

MODULE = '''\
import functools


def _comparator(operator):
    @functools.wraps(operator)
    def wrapper(self, other):
        if not isinstance(other, Box):
            return NotImplemented
        return operator(self, other)
    return wrapper


class Box:
    def __init__(self, n):
        self.n = n

    @_comparator
    def __lt__(self, other):
        return self.n < other.n

    @staticmethod
    def double(n):
        return n * 2


def limit(n):
    return n > 10
'''


def test_methods_wrappers_and_functions_are_found_by_qualified_name(tmp_path: Path) -> None:
    with imported(tmp_path, {"box.py": MODULE}, "box") as module:
        live = live_functions(module)
        assert {"limit", "Box.__init__", "Box.double", "Box.__lt__",
                "_comparator.<locals>.wrapper", "_comparator"} <= set(live)
        assert functools is not None


def test_a_mutant_runs_inside_the_block_and_the_original_after(tmp_path: Path) -> None:
    with imported(tmp_path, {"box.py": MODULE}, "box") as module:
        source = (tmp_path / "box.py").read_text()
        found = mutants(source, [27], limit=5)  # ``return n > 10``
        assert found, "the planner found no mutant"
        live = live_functions(module)
        gt = next(m for m in found if "`>` → `>=`" in m.description)
        with swapped(live, compiled(gt, module.__file__)) as changed:
            assert changed == 1 and module.limit(10) is True
        assert module.limit(10) is False


def test_a_mutant_inside_a_decorators_wrapper_reaches_the_decorated_methods(tmp_path: Path
                                                                           ) -> None:
    with imported(tmp_path, {"box.py": MODULE}, "box") as module:
        source = (tmp_path / "box.py").read_text()
        negated = next(m for m in mutants(source, [7], limit=5) if "not" in m.description)
        with swapped(live_functions(module), compiled(negated, module.__file__)):
            assert module.Box(1).__lt__(module.Box(2)) is NotImplemented
        assert module.Box(1) < module.Box(2)
