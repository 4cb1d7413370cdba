"""Prompts for the LLM backends, and parsing of their answers. Pure functions over strings.

The first prompt states the goal (pin the changed behaviour, boundaries included: tests that
fail if the change is reverted or broken) and shows the target symbol with its changed lines
marked (its docstring with it), its version before the change, the class context a method needs
(``context.class_context``), the module's imports, the signatures of the module-level functions
and classes it calls, the existing tests of the test file (for style, trimmed to a token
budget), the test file path and the import line. The answer must hold exactly one fenced Python
block; prose around it is tolerated. A repair turn asks for one choice per failing test: fix
it, or keep it and say why on a line starting with ``Possible bug:``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import Any

from tta_ci.core.errors import BadResponse
from tta_ci.core.lines import format_lines
from tta_ci.core.types import Task
from tta_ci.generators.llm.context import POSSIBLE_BUG, class_context

__all__ = [
    "DEFAULT_PROMPT_BUDGET",
    "SYSTEM_PROMPT",
    "build_messages",
    "callee_signatures",
    "estimate_tokens",
    "extract_code",
    "import_line",
    "mark_changed_lines",
    "messages_tokens",
    "repair_message",
    "trim_lines",
]

DEFAULT_PROMPT_BUDGET = 6000  # tokens for the whole first prompt
FEEDBACK_BUDGET = 1500  # tokens for the validator's feedback in a repair turn
CHARS_PER_TOKEN = 4

SYSTEM_PROMPT = """\
You write pytest unit tests for a change in a Python code base.
Rules:
- Answer with exactly one fenced code block (```python ... ```) holding the complete test file.
- Import the code under test exactly as the prompt says; do not redefine or copy it.
- Test the behaviour of the changed lines with real assertions on returned values or state,
  or pytest.raises for errors. A test that only checks that a name exists is not a test.
- Tests must be deterministic and independent: no network, no sleeping, no subprocesses,
  no sys.exit, no writing outside pytest's tmp_path, no conftest.py, no pytest hooks.
- Use only the standard library, pytest and the project's own code.
Goal: pin the changed behaviour, including its boundaries. Write tests that would fail if the
change were reverted or broken: assert exact results at, just below and just above each
comparison and constant in the changed lines. A test that also passes on the old code, or on
the code with a changed line mutated, adds nothing and is dropped.
"""

_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+.-]*)[ \t]*$", re.MULTILINE)
_PYTHON_TAGS = {"", "python", "py", "python3"}


def estimate_tokens(text: str) -> int:
    """A cheap size estimate (about 4 characters per token), used for budgets only."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def messages_tokens(messages: Sequence[dict[str, Any]]) -> int:
    return sum(estimate_tokens(str(m.get("content") or "")) + 4 for m in messages)


def trim_lines(text: str, budget_tokens: int, *, keep_tail: bool = False) -> str:
    """``text`` cut at a line boundary to about ``budget_tokens``, saying what was cut."""
    if estimate_tokens(text) <= budget_tokens:
        return text
    lines = text.splitlines()
    limit = budget_tokens * CHARS_PER_TOKEN
    if keep_tail:  # half from the start, half from the end: pytest puts the error last
        head, tail = _take(lines, limit // 2), _take(lines[::-1], limit // 2)[::-1]
        cut = len(lines) - len(head) - len(tail)
        if cut > 0:
            return "\n".join([*head, f"[... {cut} lines trimmed ...]", *tail])
        return text
    head = _take(lines, limit)
    return "\n".join([*head, f"# [... {len(lines) - len(head)} lines trimmed ...]"])


def _take(lines: Sequence[str], limit: int) -> list[str]:
    kept: list[str] = []
    used = 0
    for line in lines:
        used += len(line) + 1
        if used > limit:
            break
        kept.append(line)
    return kept


def mark_changed_lines(source: str, start_line: int, changed: Sequence[int]) -> str:
    """The source with line numbers; changed lines carry ``>>``."""
    changed_set = set(changed)
    out = []
    for offset, line in enumerate(source.splitlines()):
        number = start_line + offset
        mark = ">>" if number in changed_set else "  "
        out.append(f"{number:>5} {mark} {line}".rstrip())
    return "\n".join(out)


def callee_signatures(module_source: str, symbol_source: str) -> str:
    """Signatures (and first docstring line) of the module's functions and classes that
    the symbol calls. Empty when either text does not parse."""
    try:
        module = ast.parse(module_source)
        symbol = ast.parse(_dedent_block(symbol_source))
    except SyntaxError:
        return ""
    called = {_call_name(n.func) for n in ast.walk(symbol) if isinstance(n, ast.Call)}
    defined = {n.name for n in ast.walk(symbol) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    return "\n".join(
        _signature(node)
        for node in module.body
        if isinstance(node, kinds) and node.name in called and node.name not in defined
    )


def _dedent_block(source: str) -> str:
    lines = source.splitlines()
    indents = [len(x) - len(x.lstrip()) for x in lines if x.strip()]
    cut = min(indents, default=0)
    return "\n".join(x[cut:] for x in lines)


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    doc = (ast.get_docstring(node) or "").strip().splitlines()
    doc_line = f"  # {doc[0]}" if doc else ""
    if isinstance(node, ast.ClassDef):
        bases = ", ".join(ast.unparse(b) for b in node.bases)
        return f"class {node.name}({bases}): ...{doc_line}"
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{prefix} {node.name}({ast.unparse(node.args)}){returns}: ...{doc_line}"


def import_line(task: Task) -> str:
    """How the test imports the code under test."""
    if task.symbol in ("<module>", ""):
        return f"import {task.module}"
    return f"from {task.module} import {task.symbol.split('.')[0]}"


def build_messages(
    task: Task,
    *,
    module_source: str = "",
    existing_tests: str = "",
    budget_tokens: int = DEFAULT_PROMPT_BUDGET,
) -> list[dict[str, Any]]:
    """The first conversation for ``task``: a system and a user message."""
    source = mark_changed_lines(task.source, task.start_line, task.changed_lines)
    ranges = format_lines(task.changed_lines)
    parts = [
        f"Write pytest tests for `{task.symbol}` ({task.kind}) in `{task.file}`.",
        f"The changed lines ({ranges}) are marked with `>>`; the tests must execute them.",
    ]
    if task.description:
        parts.append(f"About the change: {task.description}")
    parts.append(f"Source:\n```python\n{source}\n```")
    parts.extend(_surroundings(task, module_source, existing_tests, budget_tokens))
    if task.imports.strip():
        parts.append(f"The module's imports:\n```python\n{task.imports.strip()}\n```")
    used = estimate_tokens("\n\n".join(parts)) + estimate_tokens(SYSTEM_PROMPT)
    signatures = callee_signatures(module_source, task.source)
    if signatures and used < budget_tokens:
        signatures = trim_lines(signatures, max(budget_tokens - used, 0) // 2)
        parts.append(f"Signatures of what it calls:\n```python\n{signatures}\n```")
        used += estimate_tokens(signatures)
    parts.append(_output_rules(task))
    used += estimate_tokens(parts[-1])
    if existing_tests.strip() and used < budget_tokens:
        tests = trim_lines(existing_tests.strip(), budget_tokens - used)
        parts.append(
            f"Existing tests in `{task.test_file}` (follow their style; do not repeat them):"
            f"\n```python\n{tests}\n```"
        )
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "\n\n".join(parts)},
    ]


def _surroundings(task: Task, module_source: str, existing_tests: str,
                  budget_tokens: int) -> list[str]:
    """The version before the change, and the class a method needs."""
    parts = []
    if task.base_source and task.base_source != task.source:
        before = trim_lines(task.base_source.rstrip(), budget_tokens // 6)
        parts.append("Before the change (tests should fail on this version):\n"
                     f"```python\n{before}\n```")
    context = class_context(module_source, task, existing_tests)
    if context:
        context = trim_lines(context, budget_tokens // 4)
        parts.append("The class (how to build an instance; the methods the existing tests call "
                     f"to set it up):\n```python\n{context}\n```")
    return parts


def _output_rules(task: Task) -> str:
    root = task.import_root or "the repository root"
    return (
        f"The tests go to `{task.test_file}`; they run with pytest from the repository root, "
        f"with `{root}` on sys.path. Import the code under test with:\n"
        f"```python\n{import_line(task)}\n```\n"
        "Answer with the complete test file in exactly one ```python fenced block."
    )


def repair_message(feedback: str, budget_tokens: int = FEEDBACK_BUDGET) -> dict[str, Any]:
    """The user turn that asks for a corrected file after the validator's rejection."""
    text = trim_lines(feedback.strip() or "(no details)", budget_tokens, keep_tail=True)
    return {
        "role": "user",
        "content": (
            "The validator rejected that test file:\n\n"
            f"```text\n{text}\n```\n\n"
            "Keep the tests that pass. For each failing test make exactly one choice: fix the "
            "test (its expectation was wrong), or keep it unchanged because documented "
            "behaviour (a docstring, a doctest, the project's own tests) supports its "
            f"expectation, and then say so on one line outside the code block that starts with "
            f"`{POSSIBLE_BUG}` followed by the documented behaviour it relies on. Tests that "
            "add nothing must assert what the mutants listed above would change. Answer with "
            "the complete test file in exactly one ```python fenced block."
        ),
    }


def extract_code(text: str) -> str:
    """The code of the one fenced Python block in ``text``; BadResponse (with the reason)
    for anything else."""
    fences = list(_FENCE.finditer(text))
    if not fences:
        raise BadResponse("the answer has no fenced ```python code block")
    if len(fences) % 2:
        raise BadResponse("the answer has an unclosed ``` code fence (truncated answer?)")
    blocks = [(fences[i], fences[i + 1]) for i in range(0, len(fences), 2)]
    if len(blocks) != 1:
        raise BadResponse(f"the answer has {len(blocks)} code blocks; expected exactly one")
    opening, closing = blocks[0]
    tag = opening.group(1).lower()
    if tag not in _PYTHON_TAGS:
        raise BadResponse(f"the answer's code block is {tag!r}, not python")
    code = text[opening.end() : closing.start()].strip("\n")
    if not code.strip():
        raise BadResponse("the answer's code block is empty")
    return code + "\n"
