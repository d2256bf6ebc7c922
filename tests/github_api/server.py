"""A local stand-in for the GitHub REST API, for running .github/scripts for real.

It listens on 127.0.0.1 only. Every request must name an operation that GitHub's
OpenAPI description documents, carry an Authorization header, and send a body that
the operation's requestBody schema accepts; anything else is answered the way GitHub
would (404, 401, 422) and also recorded in `violations`, which the tests' fixture
asserts is empty, so a script cannot pass by ignoring an error answer.

Only the operations the scripts use are implemented, with in-memory state so that
idempotency is tested for real: a ruleset created once is found and updated by id.
Tests steer the rest with `force()` (any answer for any operation) and the per-repo
switches of `Repository`.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.background import serving

from .openapi import Description, Operation

NOT_FOUND = {"message": "Not Found", "status": "404"}
# What a fine-grained token without "Administration: write" gets from these endpoints.
NO_ADMIN = {"message": "Resource not accessible by personal access token", "status": "403"}
# GitHub's answers where the owner's plan lacks a feature for a private repository.
# The first is what rulesets and classic protection answer (GitHub docs, and the
# wording users quote); the second is quoted from environment PUTs on GitHub Team
# (backstage/backstage#28977).
UPGRADE = {
    "message": "Upgrade to GitHub Pro or make this repository public to enable this feature.",
    "status": "403",
}
NO_REVIEWERS_ON_PLAN = {
    "message": "Failed to create the environment protection rule. Please ensure the billing "
    "plan supports the required reviewers protection rule.",
    "status": "422",
}
# GitHub Free has no environments at all for private repositories. The exact words of
# that refusal are not published; the script must not depend on them, so the
# stand-in's are deliberately its own.
NO_ENVIRONMENTS_ON_PLAN = {
    "message": "Environments are not available for private repositories on this plan.",
    "status": "422",
}
# Environment settings that GitHub offers private repositories on Enterprise only.
ENTERPRISE_ONLY_ENVIRONMENT_KEYS = ("reviewers", "wait_timer", "prevent_self_review")
PLANS = ("free", "pro", "team", "enterprise")
# A collaborator's role -> the legacy base permission GitHub reports beside it.
BASE_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}


@dataclass
class Environment:
    id: int
    settings: dict[str, Any]
    # policy id -> {"id", "name", "type"}
    policies: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Repository:
    default_branch: str = "main"
    branches: set[str] = field(default_factory=lambda: {"main"})
    # False plays a GitHub Enterprise Server that predates rulesets: no such endpoint.
    rulesets_available: bool = True
    rulesets: list[dict[str, Any]] = field(default_factory=list)
    protection: dict[str, dict[str, Any]] = field(default_factory=dict)
    private: bool = False
    # The owner's plan; it matters for private repositories only, as on GitHub.
    plan: str = "free"
    environments: dict[str, Environment] = field(default_factory=dict)
    workflow_permissions: dict[str, Any] = field(
        default_factory=lambda: {
            "default_workflow_permissions": "write",
            "can_approve_pull_request_reviews": False,
        }
    )
    # "User" or "Organization", as GET /repos/{owner}/{repo} reports the owner.
    owner_type: str = "User"
    # Login -> repository role (BASE_PERMISSION's keys); other users are no collaborators.
    roles: dict[str, str] = field(default_factory=lambda: {"octocat": "admin"})
    # What GitHub's CODEOWNERS check reports on the default branch; None: no file there.
    codeowners_errors: list[dict[str, Any]] | None = field(default_factory=list)
    # Pull requests, as GET /repos/{owner}/{repo}/pulls lists them (the fields scripts read).
    pulls: list[dict[str, Any]] = field(default_factory=list)
    # Labels by name, as GET /repos/{owner}/{repo}/labels/{name} answers them.
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    private_vulnerability_reporting: bool = False
    # The Pages site, as GET /repos/{owner}/{repo}/pages answers it; None: Pages is off.
    pages: dict[str, Any] | None = None
    # Actions variables by name: {"value", "created_at", "updated_at"}.
    variables: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.plan not in PLANS:
            raise ValueError(f"plan must be one of {PLANS}")

    def lacks(self, feature: str) -> bool:
        """Whether the plan withholds a feature from this repository, as GitHub's docs say."""
        if not self.private or self.plan == "enterprise":
            return False
        if feature == "protection-rules":  # required reviewers, wait timer
            return True
        # Rulesets, branch protection, environments and their branch policies.
        return self.plan == "free"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    operation_id: str | None
    body: Any
    status: int


@dataclass
class Forced:
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int | None


Reply = tuple[int, Any, dict[str, str]]


class FakeGitHub:
    """The stand-in's state and rules; `serve()` puts it on a 127.0.0.1 port."""

    def __init__(self, description: Description) -> None:
        self.description = description
        self.repos: dict[str, Repository] = {"octo/demo": Repository()}
        # Token -> role. "admin" may write; "reader" may only read.
        self.tokens = {"admin-token": "admin", "reader-token": "reader"}
        # Login -> user id, for GET /users/{username}.
        self.users = {"octocat": 583231, "hubot": 480938}
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.max_per_page = 100
        self.url = ""
        self._forced: dict[str, list[Forced]] = {}
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()

    # -- steering, for tests ---------------------------------------------------------

    def force(
        self,
        operation_id: str,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        """Answer `operation_id` ("*" for any) with this, `times` times or always."""
        if operation_id != "*" and operation_id not in self.description.by_id:
            raise ValueError(f"GitHub documents no operation {operation_id!r}")
        self._forced.setdefault(operation_id, []).append(Forced(status, body, headers or {}, times))

    def next_id(self) -> int:
        return next(self._ids)

    def calls_to(self, operation_id: str) -> list[Call]:
        return [call for call in self.calls if call.operation_id == operation_id]

    def writes(self) -> list[Call]:
        return [call for call in self.calls if call.method != "GET"]

    # -- the HTTP side ----------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Any, raw: bytes) -> Reply:
        split = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qs(split.query)
        with self._lock:
            reply, operation, body = self._answer(method, split.path, query, headers, raw)
            operation_id = operation.operation_id if operation else None
            self.calls.append(Call(method, split.path, query, operation_id, body, reply[0]))
            if operation is not None:
                for problem in self.description.response_errors(operation, reply[0], reply[1]):
                    self.violations.append(f"stand-in answer to {operation_id}: {problem}")
        return reply

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, raw: bytes
    ) -> tuple[Reply, Operation | None, Any]:
        found = self.description.match(method, path)
        if found is None:
            self.violations.append(f"{method} {path}: GitHub documents no such operation")
            return (404, NOT_FOUND, {}), None, None
        operation, params = found
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self.violations.append(f"{operation.operation_id}: body is not JSON")
            return (400, {"message": "Problems parsing JSON"}, {}), operation, None
        authorization = headers.get("Authorization")
        if not authorization:
            self.violations.append(f"{operation.operation_id}: no Authorization header")
            return (401, {"message": "Requires authentication"}, {}), operation, body
        if body is not None and "json" not in headers.get("Content-Type", ""):
            self.violations.append(f"{operation.operation_id}: body sent without JSON type")
        problems = self.description.body_errors(operation, body)
        if problems:
            self.violations.extend(f"{operation.operation_id}: {p}" for p in problems)
            return (422, {"message": "Invalid request.", "errors": problems}, {}), operation, body
        scheme, _, token = authorization.partition(" ")
        role = self.tokens.get(token.strip()) if scheme in {"Bearer", "token"} else None
        if role is None:
            return (401, {"message": "Bad credentials", "status": "401"}, {}), operation, body
        forced = self._take_forced(operation.operation_id)
        if forced is not None:
            return forced, operation, body
        if operation.operation_id == "users/get-by-username":
            return get_user(self, params["username"]), operation, body
        handler = ROUTES.get(operation.operation_id)
        if handler is None:
            self.violations.append(f"{operation.operation_id}: not implemented by the stand-in")
            return (501, {"message": "not implemented"}, {}), operation, body
        repo = self.repos.get(f"{params['owner']}/{params['repo']}")
        if repo is None:
            return (404, NOT_FOUND, {}), operation, body
        request = Request(self, repo, role, params, query, body)
        return handler(request), operation, body

    def _take_forced(self, operation_id: str) -> Reply | None:
        for key in (operation_id, "*"):
            for forced in self._forced.get(key, []):
                if forced.remaining is None or forced.remaining > 0:
                    if forced.remaining is not None:
                        forced.remaining -= 1
                    return forced.status, forced.body, forced.headers
        return None


@dataclass(frozen=True)
class Request:
    github: FakeGitHub
    repo: Repository
    role: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any

    @property
    def full_name(self) -> str:
        return f"{self.params['owner']}/{self.params['repo']}"

    @property
    def branch(self) -> str:
        return urllib.parse.unquote(self.params["branch"])

    @property
    def environment_name(self) -> str:
        return urllib.parse.unquote(self.params["environment_name"])


# -- the operations the scripts use -------------------------------------------------


def get_repo(request: Request) -> Reply:
    owner, name = request.full_name.split("/")
    data = {
        "id": 1,
        "name": name,
        "full_name": request.full_name,
        "owner": {"login": owner, "type": request.repo.owner_type},
        "private": request.repo.private,
        "default_branch": request.repo.default_branch,
        "permissions": {"admin": request.role == "admin", "pull": True},
    }
    return 200, data, {}


def get_branch(request: Request) -> Reply:
    if request.branch not in request.repo.branches:
        return 404, {"message": "Branch not found", "status": "404"}, {}
    protected = request.branch in request.repo.protection
    return 200, {"name": request.branch, "protected": protected}, {}


def list_rulesets(request: Request) -> Reply:
    if not request.repo.rulesets_available:
        return 404, NOT_FOUND, {}
    if request.repo.lacks("rulesets"):
        return 403, UPGRADE, {}
    per_page = min(int(request.query.get("per_page", ["30"])[0]), request.github.max_per_page)
    page = int(request.query.get("page", ["1"])[0])
    everything = [summary(ruleset) for ruleset in request.repo.rulesets]
    shown = everything[(page - 1) * per_page : page * per_page]
    headers = {}
    if page * per_page < len(everything):
        query = {key: values[0] for key, values in request.query.items()}
        query |= {"page": str(page + 1), "per_page": str(per_page)}
        path = f"/repos/{request.full_name}/rulesets?{urllib.parse.urlencode(query)}"
        headers["Link"] = f'<{request.github.url}{path}>; rel="next"'
    return 200, shown, headers


def create_ruleset(request: Request) -> Reply:
    if not request.repo.rulesets_available:
        return 404, NOT_FOUND, {}
    if request.repo.lacks("rulesets"):
        return 403, UPGRADE, {}
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    if any(ruleset["name"] == request.body["name"] for ruleset in request.repo.rulesets):
        return 422, {"message": "Validation Failed", "errors": ["Name must be unique"]}, {}
    ruleset = {"id": request.github.next_id(), **request.body}
    request.repo.rulesets.append(ruleset)
    return 201, stored(ruleset, request.full_name), {}


def update_ruleset(request: Request) -> Reply:
    if not request.repo.rulesets_available:
        return 404, NOT_FOUND, {}
    if request.repo.lacks("rulesets"):
        return 403, UPGRADE, {}
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    for ruleset in request.repo.rulesets:
        if str(ruleset["id"]) == request.params["ruleset_id"]:
            ruleset.update(request.body)
            return 200, stored(ruleset, request.full_name), {}
    return 404, NOT_FOUND, {}


def update_branch_protection(request: Request) -> Reply:
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    if request.repo.lacks("branch-protection"):
        return 403, UPGRADE, {}
    if request.branch not in request.repo.branches:
        return 404, {"message": "Branch not found", "status": "404"}, {}
    request.repo.protection[request.branch] = request.body
    url = f"{request.github.url}/repos/{request.full_name}/branches/{request.branch}"
    return 200, {"url": f"{url}/protection"}, {}


def get_user(github: FakeGitHub, username: str) -> Reply:
    user_id = github.users.get(username)
    if user_id is None:
        return 404, NOT_FOUND, {}
    return 200, {"login": username, "id": user_id, "type": "User"}, {}


def environment_answer(request: Request, name: str, environment: Environment) -> dict[str, Any]:
    url = f"{request.github.url}/repos/{request.full_name}/environments/{urllib.parse.quote(name)}"
    return {
        "id": environment.id,
        "node_id": f"EN_{name}",
        "name": name,
        "url": url,
        "deployment_branch_policy": environment.settings.get("deployment_branch_policy"),
    }


def put_environment(request: Request) -> Reply:
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    if request.repo.lacks("environments"):
        return 422, NO_ENVIRONMENTS_ON_PLAN, {}
    body = request.body or {}
    if request.repo.lacks("protection-rules") and any(
        body.get(key) for key in ENTERPRISE_ONLY_ENVIRONMENT_KEYS
    ):
        return 422, NO_REVIEWERS_ON_PLAN, {}
    policy = body.get("deployment_branch_policy")
    if policy is not None and policy["protected_branches"] == policy["custom_branch_policies"]:
        message = "protected_branches and custom_branch_policies cannot have the same value"
        return 422, {"message": message, "status": "422"}, {}
    for reviewer in body.get("reviewers") or []:
        if reviewer.get("type") == "User" and reviewer.get("id") not in request.github.users.values():
            return 422, {"message": f"Reviewer {reviewer.get('id')} not found", "status": "422"}, {}
    name = request.environment_name
    if name not in request.repo.environments:
        request.repo.environments[name] = Environment(request.github.next_id(), {})
    environment = request.repo.environments[name]
    # GitHub keeps what a PUT leaves out, so a second run that sends less changes less.
    environment.settings.update(body)
    if environment.settings.get("deployment_branch_policy") is None:
        environment.policies.clear()
    return 200, environment_answer(request, name, environment), {}


def get_environment(request: Request) -> Reply:
    name = request.environment_name
    environment = request.repo.environments.get(name)
    if environment is None:
        return 404, NOT_FOUND, {}
    return 200, environment_answer(request, name, environment), {}


def custom_policies(request: Request) -> Environment | Reply:
    environment = request.repo.environments.get(request.environment_name)
    if environment is None:
        return 404, NOT_FOUND, {}
    policy = environment.settings.get("deployment_branch_policy") or {}
    if not policy.get("custom_branch_policies"):
        # GitHub refuses name policies unless the environment uses custom policies.
        return 404, NOT_FOUND, {}
    return environment


def list_branch_policies(request: Request) -> Reply:
    found = custom_policies(request)
    if not isinstance(found, Environment):
        return found
    per_page = min(int(request.query.get("per_page", ["30"])[0]), request.github.max_per_page)
    page = int(request.query.get("page", ["1"])[0])
    everything = list(found.policies.values())
    headers = {}
    if page * per_page < len(everything):
        query = {"page": str(page + 1), "per_page": str(per_page)}
        path = f"/repos/{request.full_name}/environments/{urllib.parse.quote(request.environment_name)}"
        link = f"{request.github.url}{path}/deployment-branch-policies?{urllib.parse.urlencode(query)}"
        headers["Link"] = f'<{link}>; rel="next"'
    shown = everything[(page - 1) * per_page : page * per_page]
    return 200, {"total_count": len(everything), "branch_policies": shown}, headers


def create_branch_policy(request: Request) -> Reply:
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    found = custom_policies(request)
    if not isinstance(found, Environment):
        return found
    kind = request.body.get("type", "branch")
    if any((p["name"], p["type"]) == (request.body["name"], kind) for p in found.policies.values()):
        # GitHub answers 303 to the existing policy; a script that lists first never sees it.
        request.github.violations.append(f"policy {kind} {request.body['name']!r} created twice")
        return 422, {"message": "already exists", "status": "422"}, {}
    policy_id = request.github.next_id()
    found.policies[policy_id] = {
        "id": policy_id,
        "node_id": f"BP_{policy_id}",
        "name": request.body["name"],
        "type": kind,
    }
    return 200, found.policies[policy_id], {}


def delete_branch_policy(request: Request) -> Reply:
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    found = custom_policies(request)
    if not isinstance(found, Environment):
        return found
    if found.policies.pop(int(request.params["branch_policy_id"]), None) is None:
        return 404, NOT_FOUND, {}
    return 204, None, {}


def get_permission(request: Request) -> Reply:
    username = request.params["username"]
    user_id = request.github.users.get(username)
    if user_id is None:
        return 404, NOT_FOUND, {}
    role = request.repo.roles.get(username)
    permission = "none" if role is None else BASE_PERMISSION[role]
    user = {"login": username, "id": user_id, "type": "User"}
    return 200, {"permission": permission, "role_name": role or "none", "user": user}, {}


def codeowners_errors(request: Request) -> Reply:
    if request.repo.codeowners_errors is None:
        return 404, NOT_FOUND, {}
    return 200, {"errors": request.repo.codeowners_errors}, {}


def set_workflow_permissions(request: Request) -> Reply:
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    request.repo.workflow_permissions.update(request.body or {})
    return 204, None, {}


def find_label(request: Request, name: str) -> dict[str, Any] | None:
    # GitHub matches label names without regard to case.
    return next(
        (label for key, label in request.repo.labels.items() if key.casefold() == name.casefold()), None
    )


def label_answer(request: Request, name: str, color: str, description: str | None) -> dict[str, Any]:
    quoted = urllib.parse.quote(name, safe="")
    return {
        "id": request.github.next_id(),
        "node_id": f"LA_{quoted}",
        "url": f"{request.github.url}/repos/{request.full_name}/labels/{quoted}",
        "name": name,
        "color": color,
        "description": description,
        "default": False,
    }


def get_label(request: Request) -> Reply:
    label = find_label(request, urllib.parse.unquote(request.params["name"]))
    return (200, label, {}) if label is not None else (404, NOT_FOUND, {})


def create_label(request: Request) -> Reply:
    if request.role != "admin":
        return 403, {"message": "Resource not accessible by personal access token", "status": "403"}, {}
    body = request.body
    if find_label(request, body["name"]) is not None:
        return 422, {"message": "Validation Failed", "errors": [{"code": "already_exists"}]}, {}
    label = label_answer(request, body["name"], body.get("color", "ededed"), body.get("description"))
    request.repo.labels[body["name"]] = label
    return 201, label, {}


def update_label(request: Request) -> Reply:
    if request.role != "admin":
        return 403, {"message": "Resource not accessible by personal access token", "status": "403"}, {}
    label = find_label(request, urllib.parse.unquote(request.params["name"]))
    if label is None:
        return 404, NOT_FOUND, {}
    label.update(
        {key: value for key, value in (request.body or {}).items() if key in {"color", "description"}}
    )
    return 200, label, {}


# GitHub offers private vulnerability reporting to public repositories; its exact words for
# a private one are not published, so the stand-in's are its own.
NO_REPORTING_ON_PRIVATE = {
    "message": "Private vulnerability reporting is not available here.",
    "status": "422",
}


def enable_reporting(request: Request) -> Reply:
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    if request.repo.private:
        return 422, NO_REPORTING_ON_PRIVATE, {}
    request.repo.private_vulnerability_reporting = True
    return 204, None, {}


def pages_answer(request: Request, build_type: str) -> dict[str, Any]:
    owner, _, name = request.full_name.partition("/")
    return {
        "url": f"{request.github.url}/repos/{request.full_name}/pages",
        "status": None,
        "cname": None,
        "custom_404": False,
        "html_url": f"https://{owner.lower()}.github.io/{name}/",
        "build_type": build_type,
        "public": True,
        "https_enforced": True,
    }


# GitHub's words are not published for this one either: the stand-in's own.
NO_PAGES_ON_PLAN = {"message": "Your current plan does not support GitHub Pages for this repository."}


def get_pages(request: Request) -> Reply:
    return (200, request.repo.pages, {}) if request.repo.pages is not None else (404, NOT_FOUND, {})


def create_pages(request: Request) -> Reply:
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    if request.repo.pages is not None:
        return 409, {"message": "GitHub Pages is already enabled."}, {}
    if request.repo.private and request.repo.plan == "free":
        return 422, NO_PAGES_ON_PLAN, {}
    request.repo.pages = pages_answer(request, (request.body or {}).get("build_type") or "legacy")
    return 201, request.repo.pages, {}


def update_pages(request: Request) -> Reply:
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    if request.repo.pages is None:
        return 404, NOT_FOUND, {}
    if "build_type" in (request.body or {}):
        request.repo.pages["build_type"] = request.body["build_type"]
    return 204, None, {}


def get_variable(request: Request) -> Reply:
    name = request.params["name"]
    found = request.repo.variables.get(name)
    return (200, {"name": name, **found}, {}) if found is not None else (404, NOT_FOUND, {})


def create_variable(request: Request) -> Reply:
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    body = request.body
    if body["name"] in request.repo.variables:
        return 409, {"message": "Already exists - Variable already exists"}, {}
    now = "2026-12-01T10:00:00Z"
    request.repo.variables[body["name"]] = {"value": body["value"], "created_at": now, "updated_at": now}
    return 201, {}, {}


def update_variable(request: Request) -> Reply:
    if request.role != "admin":
        return 403, NO_ADMIN, {}
    found = request.repo.variables.get(request.params["name"])
    if found is None:
        return 404, NOT_FOUND, {}
    found.update(value=request.body.get("value", found["value"]), updated_at="2026-12-01T10:05:00Z")
    return 204, None, {}


def list_pulls(request: Request) -> Reply:
    state = request.query.get("state", ["open"])[0]
    head = request.query.get("head", [None])[0]
    base = request.query.get("base", [None])[0]
    shown = [
        pull
        for pull in request.repo.pulls
        if state in {"all", pull["state"]}
        and head in {None, pull["head"]["label"]}
        and base in {None, pull["base"]["ref"]}
    ]
    return 200, shown, {}


def create_pull(request: Request) -> Reply:
    if request.role != "admin":
        return 403, {"message": "Resource not accessible by integration", "status": "403"}, {}
    body = request.body
    owner = request.params["owner"]
    head = body["head"] if ":" in body["head"] else f"{owner}:{body['head']}"
    if body["base"] not in request.repo.branches or head.partition(":")[2] not in request.repo.branches:
        return 422, {"message": "Validation Failed", "status": "422"}, {}
    if any(pull["head"]["label"] == head and pull["state"] == "open" for pull in request.repo.pulls):
        return 422, {"message": f"A pull request already exists for {head}.", "status": "422"}, {}
    number = len(request.repo.pulls) + 1
    pull = {
        "number": number,
        "state": "open",
        "title": body["title"],
        "body": body.get("body"),
        "html_url": f"https://github.com/{request.full_name}/pull/{number}",
        "head": {"ref": head.partition(":")[2], "label": head},
        "base": {"ref": body["base"], "label": f"{owner}:{body['base']}"},
    }
    request.repo.pulls.append(pull)
    return 201, pull, {}


def update_pull(request: Request) -> Reply:
    if request.role != "admin":
        return 403, {"message": "Resource not accessible by integration", "status": "403"}, {}
    number = int(request.params["pull_number"])
    pull = next((pull for pull in request.repo.pulls if pull["number"] == number), None)
    if pull is None:
        return 404, NOT_FOUND, {}
    pull.update(
        {key: value for key, value in (request.body or {}).items() if key in {"title", "body", "state"}}
    )
    return 200, pull, {}


def summary(ruleset: dict[str, Any]) -> dict[str, Any]:
    # The list endpoint leaves out conditions and rules; scripts must not rely on them.
    keys = ("id", "name", "target", "enforcement")
    return {key: ruleset[key] for key in keys if key in ruleset} | {"source_type": "Repository"}


def stored(ruleset: dict[str, Any], full_name: str) -> dict[str, Any]:
    return {**ruleset, "source_type": "Repository", "source": full_name}


ROUTES: dict[str, Callable[[Request], Reply]] = {
    "issues/get-label": get_label,
    "issues/create-label": create_label,
    "issues/update-label": update_label,
    "repos/enable-private-vulnerability-reporting": enable_reporting,
    "repos/get": get_repo,
    "repos/get-branch": get_branch,
    "repos/get-repo-rulesets": list_rulesets,
    "repos/create-repo-ruleset": create_ruleset,
    "repos/update-repo-ruleset": update_ruleset,
    "repos/update-branch-protection": update_branch_protection,
    "repos/create-or-update-environment": put_environment,
    "repos/get-environment": get_environment,
    "repos/list-deployment-branch-policies": list_branch_policies,
    "repos/create-deployment-branch-policy": create_branch_policy,
    "repos/delete-deployment-branch-policy": delete_branch_policy,
    "actions/set-github-actions-default-workflow-permissions-repository": set_workflow_permissions,
    "repos/get-collaborator-permission-level": get_permission,
    "repos/codeowners-errors": codeowners_errors,
    "repos/get-pages": get_pages,
    "repos/create-pages-site": create_pages,
    "repos/update-information-about-pages-site": update_pages,
    "actions/get-repo-variable": get_variable,
    "actions/create-repo-variable": create_variable,
    "actions/update-repo-variable": update_variable,
    "pulls/list": list_pulls,
    "pulls/create": create_pull,
    "pulls/update": update_pull,
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, body, headers = self.server.github.handle(self.command, self.path, self.headers, raw)
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `calls`, not a log."""


class _Server(ThreadingHTTPServer):
    github: FakeGitHub


@contextmanager
def serve(github: FakeGitHub) -> Iterator[FakeGitHub]:
    """Run `github` on a free 127.0.0.1 port for the duration of the block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.github = github
    with serving(server, "fake-github") as port:
        github.url = f"http://127.0.0.1:{port}"
        yield github


@dataclass
class OtherHost:
    """A second 127.0.0.1 server: what reached it, for "the token never left" tests."""

    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)


class _RecordingHandler(BaseHTTPRequestHandler):
    server: _RecordingServer

    def _serve(self) -> None:
        self.server.other.requests.append({key.lower(): value for key, value in self.headers.items()})
        payload = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _RecordingServer(ThreadingHTTPServer):
    other: OtherHost


@contextmanager
def other_host() -> Iterator[OtherHost]:
    """Another origin (same address, another port) that records every request's headers."""
    server = _RecordingServer(("127.0.0.1", 0), _RecordingHandler)
    server.other = OtherHost()
    with serving(server, "other-host") as port:
        server.other.url = f"http://127.0.0.1:{port}"
        yield server.other


def closed_port_url() -> str:
    """A 127.0.0.1 URL where nothing listens, for "GitHub unreachable" cases."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


__all__ = ["Environment", "FakeGitHub", "OtherHost", "Repository", "closed_port_url", "other_host", "serve"]
