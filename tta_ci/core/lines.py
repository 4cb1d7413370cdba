"""Line numbers as ranges: the one folding and the one text form (``1-3, 7``); and source
split into lines as Python numbers them."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["format_lines", "python_lines", "spans"]

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def python_lines(text: str, keepends: bool = False) -> list[str]:
    """The lines of ``text`` as Python numbers them: only ``\\n``, ``\\r\\n`` and ``\\r`` end a
    line (``str.splitlines`` also breaks at form feeds and other separators)."""
    found = _LINE.findall(text)
    return found if keepends else [line.rstrip("\r\n") for line in found]


def spans(lines: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted, distinct line numbers folded into inclusive (start, end) ranges."""
    out: list[tuple[int, int]] = []
    for line in sorted(set(lines)):
        if out and line == out[-1][1] + 1:
            out[-1] = (out[-1][0], line)
        else:
            out.append((line, line))
    return out


def format_lines(lines: Iterable[int], sep: str = ", ") -> str:
    """``[1, 2, 3, 7]`` → ``"1-3, 7"`` ("" for no lines)."""
    return sep.join(str(a) if a == b else f"{a}-{b}" for a, b in spans(lines))
