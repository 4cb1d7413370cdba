"""tta_ci.plan.shard: splitting a plan across jobs, the --shard value, the job matrix."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tta_ci.core.errors import UsageError
from tta_ci.core.types import Task
from tta_ci.plan import matrix, parse_shard, shard


def _task(name: str) -> Task:
    return Task(id=f"m.py::{name}", file="m.py", symbol=name, kind="function",
                changed_lines=(1,), test_file="tests/test_m.py")


@given(
    names=st.lists(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), unique=True,
                   max_size=40),
    total=st.integers(min_value=1, max_value=9),
    seed=st.randoms(use_true_random=False),
)
def test_shards_partition_the_plan(names: list[str], total: int, seed: object) -> None:
    tasks = [_task(n) for n in names]
    shares = [shard(tasks, i, total) for i in range(1, total + 1)]
    ids = [t.id for share in shares for t in share]
    assert sorted(ids) == sorted(t.id for t in tasks)  # union is the plan, no overlap
    assert max(map(len, shares)) - min(map(len, shares)) <= 1  # balanced
    shuffled = list(tasks)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    for i, share in enumerate(shares, start=1):  # independent of the listing order
        assert {t.id for t in shard(shuffled, i, total)} == {t.id for t in share}


@pytest.mark.parametrize(
    ("value", "expected"), [("1/4", (1, 4)), (" 2 / 2 ", (2, 2)), ("256/256", (256, 256))]
)
def test_parse_shard(value: str, expected: tuple[int, int]) -> None:
    assert parse_shard(value) == expected


@pytest.mark.parametrize("value", ["", "1", "0/3", "4/3", "a/b", "1/0", "1/257", "-1/2"])
def test_parse_shard_rejects(value: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        parse_shard(value)


def test_matrix() -> None:
    assert matrix(3) == {"include": [{"shard": "1/3"}, {"shard": "2/3"}, {"shard": "3/3"}]}
    with pytest.raises(UsageError):
        matrix(0)
