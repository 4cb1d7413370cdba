"""``tta-ci merge``: the documents of several shards merged equal one unsharded run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.publish_data import document, task

from tta_ci.cli.main import main
from tta_ci.cli.merge import read_document
from tta_ci.core.config import Config
from tta_ci.core.errors import RateLimited, UsageError
from tta_ci.core.types import PlanResult, Skip, Task
from tta_ci.engine.fake import FakeGenerator, FakeValidator
from tta_ci.publish.outputs import write_documents
from tta_ci.run.pipeline import run_pipeline


def plan() -> PlanResult:
    tasks = tuple(
        Task(id=f"pkg/m{i}.py::f{i}", file=f"pkg/m{i}.py", symbol=f"f{i}", kind="function",
             changed_lines=(i + 1,), test_file=f"tests/test_m{i}.py", hash=f"h{i}")
        for i in range(11)
    )
    return PlanResult(tasks=tasks, skipped=(Skip(file="README.md", reason="not python"),))


def generator() -> FakeGenerator:
    # deterministic per task: two tasks hit one 429 each, so retries are counted too
    return FakeGenerator(
        prompt_tokens=120, completion_tokens=40, cost_usd=0.0015,
        failures={"pkg/m3.py::f3": [RateLimited("429", retry_after=0)],
                  "pkg/m8.py::f8": [RateLimited("429", retry_after=0)]},
    )


def validator() -> FakeValidator:
    # odd tasks pass at once, tasks divisible by 4 never pass, the rest pass on a repair
    def accept(task: Task, code: str) -> bool:
        n = int(task.symbol[1:])
        return n % 2 == 1 or (n % 4 != 0 and "test_2" in code)

    return FakeValidator(accept=accept)


async def run_to(out: Path, repo: Path, shard: str | None) -> None:
    config = Config(cache=False, mode="none")
    outcome = await run_pipeline(repo, config, {}, plan=plan(), shard=shard,
                                 generator=generator(), validator=validator())
    write_documents(outcome.document, out)


async def test_merge_of_four_shards_equals_one_unsharded_run(git_repo: Path,
                                                             tmp_path: Path) -> None:
    await run_to(tmp_path / "whole", git_repo, None)
    for i in range(1, 5):
        await run_to(tmp_path / "out" / str(i), git_repo, f"{i}/4")
    shard_dirs = [str(tmp_path / "out" / str(i)) for i in range(1, 5)]
    code = main(["merge", *shard_dirs, "--output-dir", str(tmp_path / "merged"),
                 "--repo", str(git_repo)], {})
    assert code == 0
    whole = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    merged = json.loads((tmp_path / "merged" / "metrics.json").read_text())
    assert merged["totals"] == whole["totals"]
    assert merged["totals"]["tasks"] == 11
    assert merged["totals"]["retries"] == 2
    assert merged["totals"]["accepted"] > 0 and merged["totals"]["rejected"] > 0
    assert sorted(t["id"] for t in merged["tasks"]) == sorted(t["id"] for t in whole["tasks"])
    assert merged["models"]["fake/model"]["requests"] == whole["models"]["fake/model"]["requests"]
    assert merged["skipped"] == [{"file": "README.md", "reason": "not python"}]
    assert merged["shards"] == 4
    summary = (tmp_path / "merged" / "summary.md").read_text()
    assert "pkg/m10.py::f10" in summary


def test_merge_names_a_folder_without_metrics(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    code = main(["merge", str(tmp_path / "empty"), "--output-dir", str(tmp_path / "m")], {})
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no metrics.json" in err and "empty" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "no metrics.json; pass the --output-dir of each shard", id="missing"),
        pytest.param("{not json", "not a tta-ci metrics document (", id="not-json"),
        pytest.param('{"tasks": []}', "not a tta-ci metrics document (", id="not-a-document"),
    ],
)
def test_read_document_errors_name_the_file(tmp_path: Path, content: str | None,
                                            message: str) -> None:
    if content is not None:
        (tmp_path / "metrics.json").write_text(content)
    with pytest.raises(UsageError) as info:
        read_document(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'metrics.json'}: {message}")
    assert "\n" not in str(info.value)


def test_read_document_reads_what_write_documents_wrote(tmp_path: Path) -> None:
    doc = document([task(id=t.id, file=t.file, symbol=t.symbol) for t in plan().tasks])
    write_documents(doc, tmp_path)
    assert read_document(tmp_path) == doc
