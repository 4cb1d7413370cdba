"""tta_ci.plan.symbols: the symbols of a source file, their spans, and what counts as the same
code."""

from __future__ import annotations

from tta_ci.plan.symbols import parse_source


def test_symbols_spans_and_ownership() -> None:
    source = (
        "import os\n"  # 1
        "X = 1\n"  # 2
        "@dec\n"  # 3
        "def f():\n"  # 4
        "    def g():\n"  # 5
        "        return 1\n"  # 6
        "    return g\n"  # 7
        "class C:\n"  # 8
        "    '''Doc.'''\n"  # 9
        "    y = 2  # note\n"  # 10
        "    async def m(self):\n"  # 11
        "        pass\n"  # 12
        "    @property\n"  # 13
        "    def p(self): return 1\n"  # 14
        "    @p.setter\n"  # 15
        "    def p(self, v): pass\n"  # 16
    )
    parsed = parse_source(source)
    spans = {n: (s.kind, s.start, s.end) for n, s in parsed.symbols.items()}
    assert spans == {
        "f": ("function", 3, 7),
        "C": ("class", 8, 16),
        "C.m": ("method", 11, 12),
        "C.p": ("method", 13, 16),
        "<module>": ("module", 1, 16),
    }
    assert [parsed.symbol_at(n).name for n in (1, 2, 6, 9, 10, 12, 15)] == [
        "<module>", "<module>", "f", "C", "C", "C.m", "C.p"
    ]
    assert 9 not in parsed.code_lines and 10 in parsed.code_lines
    assert parsed.imports == "import os"


def test_same_code_ignores_comments_docstrings_and_layout_only() -> None:
    a = parse_source("def f(x):\n    'A.'\n    return g(x, 1)\n")
    b = parse_source("def f(x):\n    'B.'\n    # c\n\n    return g(\n        x, 1,\n    )  # d\n")
    c = parse_source("def f(x):\n    return g(x, 2)\n")
    d = parse_source("class f:\n    def x(self):\n        pass\n")
    e = parse_source("class f:\n    def y(self):\n        pass\n")
    assert a.symbols["f"].same_code(b.symbols["f"])
    assert not a.symbols["f"].same_code(c.symbols["f"])
    assert not d.symbols["f"].same_code(e.symbols["f"])  # the methods of a class count
