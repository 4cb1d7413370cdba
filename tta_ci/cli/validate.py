"""``tta-ci validate CANDIDATE.py --target PATH[:START-END]``: the validator alone.

Exit 0 when the candidate is accepted, 1 when it is rejected, 2 on bad input.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path

from tta_ci.core import aio
from tta_ci.core.errors import UsageError
from tta_ci.core.lines import format_lines
from tta_ci.core.progress import announce

TYPE_CHECKING = False  # not typing's: this module is on the path of the first line
if TYPE_CHECKING:
    from tta_ci.core.types import Verdict

__all__ = ["parse_target", "render_verdict", "validate"]

_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_target(target: str) -> tuple[str, list[int] | None]:
    """``pkg/m.py:10-20`` → ("pkg/m.py", [10..20]); without a range the lines are None."""
    path, colon, spec = target.rpartition(":")
    if not colon:
        return target, None
    match = _RANGE.match(spec)
    start, end = (int(match[1]), int(match[2] or match[1])) if match else (0, -1)
    if not path or not match or not 1 <= start <= end:
        raise UsageError(f"--target {target}: bad line range {spec!r}; "
                         "use PATH:START-END with 1 <= START <= END")
    return path, list(range(start, end + 1))


def _read_candidate(name: str) -> str:
    path = Path(name)
    if not path.is_file():
        raise UsageError(f"{name}: candidate test file not found; pass a Python test file")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{name}: cannot read the candidate ({exc}); pass a UTF-8 file") from exc


def render_verdict(verdict: Verdict) -> str:
    """A few lines for a person: the decision, each test function, the coverage."""
    head = "accepted" if verdict.accepted else f"rejected: {verdict.reason}"
    lines = [f"{head} ({verdict.isolation}, {verdict.duration_s:.1f}s)"]
    for name, test in verdict.tests.items():
        note = f" ({test.message.splitlines()[0][:120]})" if test.message else ""
        lines.append(f"  {test.status:<12} {name}: {test.reason}{note}")
    if verdict.covered_lines:
        lines.append(f"  newly covered lines: {format_lines(verdict.covered_lines)}")
    if verdict.uncovered_lines:
        lines.append(f"  changed lines not covered: {format_lines(verdict.uncovered_lines)}")
    found = verdict.mutation
    if found is not None and found.tried:
        lines.append(f"  mutants: {found.tried}, killed by the existing tests "
                     f"{found.killed_by_existing}, with the accepted tests "
                     f"{found.killed_with_accepted}")
        lines.extend(f"  survives: line {s.line}: {s.operator}: {s.code}"
                     for s in found.survivors[:10])
    return "\n".join(lines)


def validate(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """The gates are reported on stderr as they start; the verdict goes to stdout."""
    code = _read_candidate(args.candidate)
    path, lines = parse_target(args.target)
    announce(f"validating {args.candidate} against {args.target}")
    import json

    from tta_ci.cli._common import config_from_args
    from tta_ci.plan.single import task_for_lines
    from tta_ci.publish.console import Progress
    from tta_ci.validate import ResultValidator

    repo = Path(args.repo)
    config = config_from_args(args, environ, keys=())
    task = task_for_lines(repo, config, path, lines)  # no range: the changed lines, else all
    validator = ResultValidator(config, repo, environ=environ)

    async def judged() -> Verdict:
        try:
            return await validator.validate(task, code)
        finally:
            await validator.aclose()

    with Progress().live():
        verdict = aio.run(judged())
    print(json.dumps(verdict.to_json(), indent=2) if args.json else render_verdict(verdict))
    return 0 if verdict.accepted else 1
