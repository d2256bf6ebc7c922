"""A local stand-in for GitHub's deployments API, the part deploy_stage.py uses.

    POST /repos/{owner}/{repo}/deployments                  create (201, the deployment)
    GET  /repos/{owner}/{repo}/deployments?environment=&task=  newest first
    POST /repos/{owner}/{repo}/deployments/{id}/statuses    add a status (201)
    GET  /repos/{owner}/{repo}/deployments/{id}/statuses    newest first

Request bodies are checked against GitHub's OpenAPI description (tests/github_api) when one is
given. As GitHub does, a new `success` status marks the environment's earlier successful
deployments `inactive` when auto_inactive is true (its default). Every request is kept, with
its token, in `requests`.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.background import serving

BodyCheck = Callable[[str, Any], list[str]]
# Who a workflow's GITHUB_TOKEN acts as; every token the stand-in is given does, unless the
# test maps it to a person (`logins`).
WORKFLOW_LOGIN = "github-actions[bot]"


@dataclass
class Deployments:
    url: str = ""
    records: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, token
    problems: list[str] = field(default_factory=list)

    def states(self, deployment_id: int) -> list[str]:
        """Oldest first."""
        return [s["state"] for s in self.statuses.get(deployment_id, [])]

    def history(self, environment: str) -> list[tuple[str, str, list[str]]]:
        """(version, digest, states oldest first) of each deployment to `environment`, oldest first."""
        return [
            (r["payload"].get("version", ""), r["payload"].get("digest", ""), self.states(r["id"]))
            for r in self.records
            if isinstance(r["payload"], dict) and r["environment"] == environment
        ]

    def seed(
        self, environment: str, payload: Any, *states: str, ref: str = "main", creator: str = WORKFLOW_LOGIN
    ) -> int:
        """A deployment an earlier run made (for a test's starting point), or, with another
        `creator`, one a person's token wrote."""
        body = {"ref": ref, "environment": environment, "payload": payload, "task": "deploy:image"}
        record = self._create(body, creator)
        for state in states:
            self._status(record["id"], {"state": state}, creator)
        return int(record["id"])

    def _create(self, body: dict[str, Any], creator: str) -> dict[str, Any]:
        record = {
            "creator": {"login": creator},
            "id": len(self.records) + 1,
            "ref": body["ref"],
            "sha": body["ref"],
            "task": body.get("task", "deploy"),
            "environment": body.get("environment", "production"),
            "payload": body.get("payload", {}),
            "description": body.get("description"),
            "production_environment": body.get("production_environment", False),
        }
        self.records.append(record)
        self.statuses[record["id"]] = []
        return record

    def _status(self, deployment_id: int, body: dict[str, Any], creator: str) -> dict[str, Any]:
        status = {"id": sum(map(len, self.statuses.values())) + 1, "creator": {"login": creator}, **body}
        if body["state"] == "success" and body.get("auto_inactive", True):
            environment = next(r["environment"] for r in self.records if r["id"] == deployment_id)
            for other in self.records:
                earlier = other["environment"] == environment and other["id"] != deployment_id
                if earlier and self.states(other["id"])[-1:] == ["success"]:
                    self.statuses[other["id"]].append(
                        {"id": -1, "state": "inactive", "creator": {"login": creator}}
                    )
        self.statuses[deployment_id].append(status)
        return status


@contextmanager
def github_deployments(
    repository: str, check: BodyCheck | None = None, logins: dict[str, str] | None = None
) -> Iterator[Deployments]:
    """Serve the API for `repository` on 127.0.0.1; `check(operation_id, body)` lists problems;
    `logins` maps a token to the user it belongs to (any other token is a workflow's)."""
    state = Deployments()
    lock = threading.Lock()
    prefix = f"/repos/{repository}/deployments"

    class Handler(BaseHTTPRequestHandler):
        def answer(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def route(self, method: str) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            token = self.headers.get("Authorization", "")
            with lock:
                state.requests.append((method, self.path, token))
                if not token.startswith("Bearer ") or len(token) < len("Bearer x"):
                    self.answer(401, {"message": "Requires authentication"})
                    return
                body: Any = None
                if method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    body = json.loads(self.rfile.read(length) or b"null")
                if parsed.path == prefix:
                    self.deployments(method, body, urllib.parse.parse_qs(parsed.query))
                    return
                rest = parsed.path.removeprefix(prefix + "/").split("/")
                if parsed.path.startswith(prefix + "/") and len(rest) == 2 and rest[1] == "statuses":
                    self.deployment_statuses(method, int(rest[0]), body)
                    return
                self.answer(404, {"message": "Not Found"})

        def deployments(self, method: str, body: Any, query: dict[str, list[str]]) -> None:
            if method == "POST":
                if check and (problems := check("repos/create-deployment", body)):
                    state.problems += problems
                    self.answer(422, {"message": "Validation Failed", "errors": problems})
                    return
                self.answer(201, state._create(body, self.login()))
                return
            found = [
                r
                for r in reversed(state.records)
                if all(
                    r.get(key) == values[0] for key, values in query.items() if key in {"environment", "task"}
                )
            ]
            per_page = int(query.get("per_page", ["30"])[0])
            self.answer(200, found[:per_page])

        def deployment_statuses(self, method: str, deployment_id: int, body: Any) -> None:
            if deployment_id not in state.statuses:
                self.answer(404, {"message": "Not Found"})
                return
            if method == "POST":
                if check and (problems := check("repos/create-deployment-status", body)):
                    state.problems += problems
                    self.answer(422, {"message": "Validation Failed", "errors": problems})
                    return
                self.answer(201, state._status(deployment_id, body, self.login()))
                return
            self.answer(200, list(reversed(state.statuses[deployment_id])))

        def login(self) -> str:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            return (logins or {}).get(token, WORKFLOW_LOGIN)

        def do_GET(self) -> None:
            self.route("GET")

        def do_POST(self) -> None:
            self.route("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "github-deployments") as port:
        state.url = f"http://127.0.0.1:{port}"
        yield state
