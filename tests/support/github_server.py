"""A small fake of the GitHub REST API on 127.0.0.1, for PyGithub to talk to in tests.

The response shapes follow PyGithub's recorded replay data (pull request, issue comments,
reactions, collaborator permission, pulls create, list and edit). State lives in memory; every
request is recorded in ``requests`` so tests can assert on what was (or was not) called.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["BOT", "FakeGitHub", "Request", "fake_github"]

BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
TIMESTAMP = "2024-01-01T00:00:00Z"


@dataclass
class Request:
    method: str
    path: str
    body: Any
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeGitHub:
    token: str
    url: str = ""
    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    failures: list[tuple[str, str, int]] = field(default_factory=list)  # method, path regex
    author: dict[str, Any] = field(default_factory=lambda: dict(BOT))  # who the token is
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    # --- state -------------------------------------------------------------------------
    def add_repo(self, full_name: str) -> dict[str, Any]:
        return self.repos.setdefault(
            full_name, {"pulls": {}, "issues": {}, "comments": {}, "roles": {}}
        )

    def add_pull(self, full_name: str, number: int, *, head_ref: str, head_sha: str,
                 base_ref: str = "main", base_sha: str = "0" * 40,
                 head_repo: str | None = None) -> None:
        repo = self.add_repo(full_name)
        repo["pulls"][number] = {"head_ref": head_ref, "head_sha": head_sha,
                                 "base_ref": base_ref, "base_sha": base_sha,
                                 "head_repo": head_repo or full_name, "title": f"PR {number}",
                                 "body": "", "state": "open"}
        repo["issues"][number] = {"pull": True}

    def close_pull(self, full_name: str, number: int) -> None:
        self.repos[full_name]["pulls"][number]["state"] = "closed"

    def pulls(self, full_name: str) -> dict[int, dict[str, Any]]:
        return self.repos[full_name]["pulls"]  # type: ignore[no-any-return]

    def add_issue(self, full_name: str, number: int) -> None:
        self.add_repo(full_name)["issues"][number] = {"pull": False}

    def set_role(self, full_name: str, login: str, role: str) -> None:
        self.add_repo(full_name)["roles"][login] = role

    def add_comment(self, full_name: str, number: int, body: str,
                    user: dict[str, Any] | None = None) -> int:
        cid = next(self._ids)
        self.add_repo(full_name)["comments"][cid] = {
            "number": number, "body": body, "user": user or dict(BOT), "reactions": []}
        return cid

    def comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        found = self.repos[full_name]["comments"].items()
        return [dict(c, id=i) for i, c in found if c["number"] == number]

    def calls(self, method: str, pattern: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    # --- shapes --------------------------------------------------------------------------
    def repo_json(self, full: str) -> dict[str, Any]:
        owner, name = full.split("/")
        return {"id": abs(hash(full)) % 10**6, "name": name, "full_name": full,
                "url": f"{self.url}/repos/{full}", "html_url": f"https://github.com/{full}",
                "owner": {"login": owner, "type": "User"}, "default_branch": "main",
                "private": False, "fork": False}

    def pull_json(self, full: str, number: int) -> dict[str, Any]:
        p = self.repos[full]["pulls"][number]
        api = f"{self.url}/repos/{full}"
        return {"url": f"{api}/pulls/{number}", "id": number, "number": number,
                "state": p["state"], "body": p["body"],
                "html_url": f"https://github.com/{full}/pull/{number}", "title": p["title"],
                "issue_url": f"{api}/issues/{number}", "user": {"login": "octocat"},
                "head": {"ref": p["head_ref"], "sha": p["head_sha"],
                         "label": f"x:{p['head_ref']}", "repo": self.repo_json(p["head_repo"])},
                "base": {"ref": p["base_ref"], "sha": p["base_sha"],
                         "label": f"x:{p['base_ref']}", "repo": self.repo_json(full)}}

    def issue_json(self, full: str, number: int) -> dict[str, Any]:
        api = f"{self.url}/repos/{full}"
        data = {"url": f"{api}/issues/{number}", "number": number, "id": number,
                "comments_url": f"{api}/issues/{number}/comments", "state": "open",
                "html_url": f"https://github.com/{full}/issues/{number}", "title": "issue"}
        if self.repos[full]["issues"][number]["pull"]:
            data["pull_request"] = {"url": f"{api}/pulls/{number}"}
        return data

    def comment_json(self, full: str, cid: int) -> dict[str, Any]:
        c = self.repos[full]["comments"][cid]
        api = f"{self.url}/repos/{full}"
        return {"id": cid, "url": f"{api}/issues/comments/{cid}", "body": c["body"],
                "html_url": f"https://github.com/{full}/pull/{c['number']}#issuecomment-{cid}",
                "issue_url": f"{api}/issues/{c['number']}", "user": c["user"],
                "created_at": TIMESTAMP, "updated_at": TIMESTAMP}

    # --- routing -------------------------------------------------------------------------
    def handle(self, method: str, path: str, body: Any,
               query: dict[str, str] | None = None) -> tuple[int, Any]:
        self.requests.append(Request(method, path, body, dict(query or {})))
        for fail_method, pattern, status in self.failures:
            if fail_method == method and re.search(pattern, path):
                return status, {"message": "Resource not accessible by integration"}
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if not m or m.group(1) not in self.repos:
            return 404, {"message": "Not Found"}
        if method == "GET" and m.group(2) == "/pulls":
            return 200, self._list_pulls(m.group(1), query or {})
        if method == "PATCH" and re.fullmatch(r"/pulls/\d+", m.group(2) or ""):
            return self._edit_pull(m.group(1), int((m.group(2) or "").rsplit("/", 1)[1]), body)
        return self._route(method, m.group(1), m.group(2) or "", body)

    def _list_pulls(self, full: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """GET /pulls with ``state``, ``head`` (``owner:branch``) and ``base`` filters."""
        found = []
        for number, p in self.pulls(full).items():
            owner = p["head_repo"].split("/")[0]
            if query.get("state", "open") not in (p["state"], "all"):
                continue
            if "head" in query and query["head"] != f"{owner}:{p['head_ref']}":
                continue
            if "base" in query and query["base"] != p["base_ref"]:
                continue
            found.append(self.pull_json(full, number))
        return found

    def _edit_pull(self, full: str, number: int, body: Any) -> tuple[int, Any]:
        if number not in self.pulls(full):
            return 404, {"message": "Not Found"}
        for key in ("title", "body", "state"):
            if key in (body or {}):
                self.pulls(full)[number][key] = body[key]
        return 200, self.pull_json(full, number)

    def _route(self, method: str, full: str, rest: str, body: Any) -> tuple[int, Any]:
        repo = self.repos[full]
        routes: list[tuple[str, str]] = [
            ("GET", r""), ("GET", r"/pulls/(\d+)"), ("POST", r"/pulls"),
            ("GET", r"/issues/(\d+)"), ("GET", r"/issues/(\d+)/comments"),
            ("POST", r"/issues/(\d+)/comments"), ("GET", r"/issues/comments/(\d+)"),
            ("PATCH", r"/issues/comments/(\d+)"), ("POST", r"/issues/comments/(\d+)/reactions"),
            ("GET", r"/collaborators/([^/]+)/permission"),
        ]
        for index, (verb, pattern) in enumerate(routes):
            m = re.fullmatch(pattern, rest)
            if verb == method and m:
                arg = m.group(1) if m.groups() else ""
                return self._answer(index, full, repo, arg, body)
        return 404, {"message": "Not Found"}

    def _answer(self, index: int, full: str, repo: dict[str, Any], arg: str,
                body: Any) -> tuple[int, Any]:
        key = int(arg) if arg.isdigit() else arg
        if index == 0:
            return 200, self.repo_json(full)
        if index == 1:
            return (200, self.pull_json(full, key)) if key in repo["pulls"] else (404, {})
        if index == 2:
            number = max([*repo["issues"], 0]) + 1
            self.add_pull(full, number, head_ref=body["head"], head_sha="f" * 40,
                          base_ref=body["base"])
            repo["pulls"][number].update(title=body["title"], body=body.get("body") or "")
            return 201, self.pull_json(full, number)
        if index in (3, 4, 5) and key not in repo["issues"]:
            return 404, {"message": "Not Found"}
        if index == 3:
            return 200, self.issue_json(full, key)
        if index == 4:
            return 200, [self.comment_json(full, c["id"]) for c in self.comments(full, key)]
        if index == 5:
            cid = self.add_comment(full, key, body["body"], dict(self.author))
            return 201, self.comment_json(full, cid)
        if key not in repo["comments"] and index in (6, 7, 8):
            return 404, {"message": "Not Found"}
        if index == 6:
            return 200, self.comment_json(full, key)
        if index == 7:
            if repo["comments"][key]["user"]["login"] != self.author["login"]:
                return 403, {"message": "Resource not accessible by integration"}
            repo["comments"][key]["body"] = body["body"]
            return 200, self.comment_json(full, key)
        if index == 8:
            repo["comments"][key]["reactions"].append(body["content"])
            return 201, {"id": next(self._ids), "content": body["content"], "user": self.author}
        role = repo["roles"].get(unquote(arg), "read")
        permission = {"maintain": "write", "triage": "read"}.get(role, role)
        return 200, {"permission": permission, "role_name": role, "user": {"login": arg}}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        auth = self.headers.get("Authorization", "")
        if auth not in (f"token {fake.token}", f"Bearer {fake.token}"):
            status, data = 401, {"message": "Bad credentials"}
        else:
            body = json.loads(raw) if raw else None
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query))
            status, data = fake.handle(self.command, unquote(url.path), body, query)
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeGitHub


@contextmanager
def fake_github(token: str = "ghs_faketoken_0123456789") -> Iterator[FakeGitHub]:
    """A running fake API; ``fake.url`` is the ``GITHUB_API_URL`` to use."""
    server = _Server(("127.0.0.1", 0), _Handler)
    fake = FakeGitHub(token=token, url=f"http://127.0.0.1:{server.server_address[1]}")
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
