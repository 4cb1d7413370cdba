"""tta_ci.github.api: the REST client behind one factory; its errors are one line."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import EVENTS as FIXTURES
from support.github_server import FakeGitHub, fake_github
from support.publish_data import document

from tta_ci.core.config import Config
from tta_ci.core.errors import GitHubError
from tta_ci.github.event import Event, parse_event
from tta_ci.publish import PublishContext, publish

REPO = "Codertocat/Hello-World"


def pr_event(**pr_fields: Any) -> Event:
    payload = json.loads((FIXTURES / "pull_request.opened.json").read_text())
    payload["pull_request"]["head"].update(pr_fields)
    return parse_event("pull_request", payload)


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        fake.add_pull(REPO, 2, head_ref="changes", head_sha="2" * 40)
        yield fake


def context(tmp_path: Path, fake: FakeGitHub | None, mode: str, event: Event | None,
            **environ: str) -> PublishContext:
    env = dict(environ)
    if fake is not None:
        env.update(GITHUB_TOKEN=fake.token, GITHUB_API_URL=fake.url)
    return PublishContext(repo=tmp_path, config=Config(mode=mode), environ=env, event=event,
                          output_dir=tmp_path / "out", stream=io.StringIO())


def test_api_errors_are_one_line(tmp_path: Path, gh: FakeGitHub) -> None:
    gh.failures.append(("POST", r"/comments$", 500))
    with pytest.raises(GitHubError, match=r"^GitHub API: comment on #2: HTTP 500: Resource"):
        publish(document(), context(tmp_path, gh, "comment", pr_event()))

