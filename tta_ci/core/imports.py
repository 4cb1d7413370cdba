"""An import block sorted as isort and ruff's ``I`` rules sort it (pure, standard library only).

Sections ``__future__``, standard library, third party, first party (the names given), one blank
line apart; in each section the plain ``import`` lines first, then the ``from`` lines, each by
module name ignoring case; imported names ordered constants, classes, then the rest.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Collection, Iterable

__all__ = ["sorted_imports"]


def _section(module: str, first_party: Collection[str]) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return 0
    if top in first_party:
        return 3
    return 1 if top in sys.stdlib_module_names else 2


def _name_key(name: str) -> tuple[int, str]:
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[:1].isupper() else 2), name.lower()


def sorted_imports(statements: Iterable[str], first_party: Collection[str] = ()) -> str:
    """The sorted block of ``statements`` (import statements; duplicates merged)."""
    plain: set[tuple[str, str | None]] = set()
    froms: dict[str, set[tuple[str, str | None]]] = {}
    for statement in statements:
        for node in ast.parse(statement).body:
            if isinstance(node, ast.Import):
                plain.update((a.name, a.asname) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                froms.setdefault(node.module, set()).update(
                    (a.name, a.asname) for a in node.names)
    sections: dict[int, list[str]] = {}
    for name, alias in sorted(plain, key=lambda item: (item[0].lower(), item[1] or "")):
        line = f"import {name}" + (f" as {alias}" if alias else "")
        sections.setdefault(_section(name, first_party), []).append(line)
    for module in sorted(froms, key=str.lower):
        names = sorted(froms[module], key=lambda item: (_name_key(item[0]), item[1] or ""))
        text = ", ".join(n + (f" as {a}" if a else "") for n, a in names)
        sections.setdefault(_section(module, first_party), []).append(
            f"from {module} import {text}")
    return "\n\n".join("\n".join(sections[k]) for k in sorted(sections))
