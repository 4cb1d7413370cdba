"""Untrusted text (task names, reasons, test messages, file names) made safe for GitHub,
escaped once, here, by the context it goes into.

| context | function | what is escaped |
| --- | --- | --- |
| inline text | ``text`` | ``&`` ``<`` (entities); ``\\`` `` ` `` ``*`` ``[``, ``_`` at an edge |
| a note of tta-ci's | ``note`` | as ``text``, outside its code spans |
| table cell | ``cell`` | as ``text``, and ``|`` |
| code span | ``code`` | nothing: the span's backticks outnumber any run inside |
| code span in a table cell | ``code_cell`` | only ``|`` (GitHub splits the row first) |
| inside an HTML tag | ``html`` | ``&`` ``<`` ``>`` ``"`` ``'`` |
| fenced code block | ``block`` | nothing: the fence outnumbers any backtick run inside |
| workflow command | ``command_data``, ``command_property`` | ``%`` CR LF (and ``:`` ``,``) |

Every inline context is one line: whitespace runs (newlines too) become one space, so a
value can never end a table row, a list item or an HTML block early. ``limit`` cuts the
value (with ``…``) before it is escaped, so an escape is never cut in half.
"""

from __future__ import annotations

import html as _html
import re

__all__ = [
    "MAX_CELL",
    "block",
    "cell",
    "code",
    "code_cell",
    "command_data",
    "command_property",
    "fence",
    "html",
    "note",
    "text",
]

MAX_CELL = 200
_PUNCTUATION = re.compile(r"[\\`*\[]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")  # a code span: equal backtick runs


def _line(value: object, limit: int | None) -> str:
    one = " ".join(str(value).split())
    if limit is not None and len(one) > limit:
        one = one[: max(limit - 1, 0)] + "…"
    return one


def _escape(one: str) -> str:
    one = one.replace("&", "&amp;").replace("<", "&lt;")
    return _PUNCTUATION.sub(lambda m: "\\" + m.group(0), one)


def text(value: object, limit: int | None = None) -> str:
    """Inline Markdown text that shows ``value`` as it is: no emphasis, link or HTML."""
    return _escape(_line(value, limit))


def note(value: object, limit: int | None = None) -> str:
    """A note of tta-ci's (``committed 1 test file(s) to `main` as …``): ``text``, except that
    its complete code spans stay code spans."""
    one = _line(value, limit)
    parts, last = [], 0
    for match in _SPAN.finditer(one):
        parts.extend([_escape(one[last:match.start()]), match.group(0)])
        last = match.end()
    return "".join([*parts, _escape(one[last:])])


def cell(value: object, limit: int | None = MAX_CELL) -> str:
    """``text`` for a table cell: a pipe cannot start a new column."""
    return text(value, limit).replace("|", "\\|")


def fence(content: str, char: str = "`", least: int = 3) -> str:
    """A run of ``char`` longer than any run of it inside ``content`` (at least ``least``)."""
    runs = re.findall(f"{re.escape(char)}+", content)
    return char * max(least, max(map(len, runs), default=0) + 1)


def code(value: object, limit: int | None = None) -> str:
    """An inline code span showing ``value`` literally (``<module>`` stays ``<module>``)."""
    one = _line(value, limit)
    if not one:
        return ""
    ticks = fence(one, least=1)
    padded = one.startswith("`") or one.endswith("`") or (
        one.startswith(" ") and one.endswith(" "))
    return f"{ticks} {one} {ticks}" if padded else f"{ticks}{one}{ticks}"


def code_cell(value: object, limit: int | None = MAX_CELL) -> str:
    """``code`` inside a table cell: GitHub splits the row at pipes before it reads code
    spans, so pipes are escaped even there (and shown without the backslash)."""
    return code(value, limit).replace("|", "\\|")


def html(value: object, limit: int | None = None) -> str:
    """Text inside an HTML element (``<summary><code>…</code></summary>``)."""
    return _html.escape(_line(value, limit), quote=True)


def block(content: str, language: str = "") -> str:
    """A fenced code block holding ``content`` exactly."""
    body = content.rstrip("\n")
    marks = fence(body)
    return f"{marks}{language}\n{body}\n{marks}"


def command_data(value: str) -> str:
    """The message of a workflow command (``::warning …::MESSAGE``)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def command_property(value: str) -> str:
    """A property of a workflow command (``file=…,title=…``)."""
    return command_data(value).replace(":", "%3A").replace(",", "%2C")
