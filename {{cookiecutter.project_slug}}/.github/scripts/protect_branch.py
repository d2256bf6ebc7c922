"""Protect the default branch: changes land only as reviewed, CI-green pull requests.

Run it once after the first push, with the token of a repository admin. Running it
again is safe: it updates what it created instead of adding a second copy.

    GH_TOKEN=... python .github/scripts/protect_branch.py --repo OWNER/NAME

Options:
    --repo OWNER/NAME  repository (default: $GITHUB_REPOSITORY)
    --branch NAME      branch to protect (default: the repository's default branch)
    --check CONTEXT    the one required status check (default: ci-passed, the gate
                       job of the CI workflow, so the test matrix can change freely)
    --reviews N        approving reviews required, 0-10 (default: 1; a project with
                       one maintainer needs 0: nobody can approve their own PR)
    --mode MODE        ruleset: a repository ruleset named protect-default-branch,
                       GitHub's recommended way; classic: classic branch protection;
                       auto (default): ruleset, or classic where rulesets are missing
    --dry-run          print the JSON body that would be sent, and change nothing
    --retries N, --retry-wait SECONDS, --timeout SECONDS
                       patience with a failing (5xx) or unreachable API

Environment:
    GH_TOKEN, GITHUB_TOKEN  the token; GH_TOKEN wins, as it does for the gh CLI.
                       It needs "Administration: write" (fine-grained) or the "repo"
                       scope (classic), and its user must be a repository admin. A
                       workflow's own GITHUB_TOKEN can never be granted that.
    GITHUB_REPOSITORY  default for --repo
    GITHUB_API_URL     API root (default https://api.github.com; GitHub Enterprise
                       Server sets its own). Plain http is accepted for loopback
                       only, so the token never crosses a network in clear.

--dry-run never writes. With --repo and --branch it needs no token and sends no
request at all; without --branch it needs a token to read the default branch. In
auto mode it prints the ruleset body, the one a real run tries first.

Exit codes:
    0  done (with --dry-run: the body was printed)
    1  GitHub answered something this script does not expect
    2  usage error: bad option, --repo not OWNER/NAME, unusable GITHUB_API_URL
    3  no token, or GitHub rejected it (401)
    4  the token may not do this (403)
    5  repository, branch or endpoint not found (404)
    6  GitHub refused the settings (422); its validation message is shown
    7  GitHub unreachable, failing (5xx) or rate limiting, after the allowed retries

Standard library only, so it runs on any Python 3.11+ without an install step. (`gh api`
could send the requests, but finding the ruleset to update, the fallback and the advice
on each error would still be ours, and gh is not on every maintainer's machine.)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, NoReturn

PROG = "protect_branch"
RULESET_NAME = "protect-default-branch"
DEFAULT_CHECK = "ci-passed"
# Pinning the check to the app that reports it stops any other app installed on the
# repository from satisfying "ci-passed" with a status of the same name.
GITHUB_ACTIONS_APP_ID = 15368
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MAX_REVIEWS = 10  # the rulesets API refuses more
MAX_PAGES = 50

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_FORBIDDEN = 4
EXIT_NOT_FOUND = 5
EXIT_INVALID = 6
EXIT_UNAVAILABLE = 7

# GitHub's rules: owners are letters, digits and "-"; repository names add "." and "_".
REPO_PATTERN = re.compile(r"(?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9._-]+)")
NEXT_LINK = re.compile(r'<(?P<url>[^>]+)>\s*;\s*rel="next"')
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
RETRIED_METHODS = frozenset({"GET", "PUT"})
# Answers from the rulesets endpoints after which auto mode tries classic protection;
# fall_back_reason() says why these and no others.
FALLBACK_STATUSES = frozenset({HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND})

# For each refusal: what the user should do about it, and the exit code.
ADVICE: dict[int, tuple[str, int]] = {
    HTTPStatus.UNAUTHORIZED: (
        "GitHub rejected the token: set GH_TOKEN or GITHUB_TOKEN to a valid, "
        "unexpired one",
        EXIT_AUTH,
    ),
    HTTPStatus.FORBIDDEN: (
        "the token needs 'Administration: write' on the repository (classic tokens: "
        "the 'repo' scope) and its user must be a repository admin",
        EXIT_FORBIDDEN,
    ),
    HTTPStatus.NOT_FOUND: (
        "check --repo and --branch (push a new branch first), and that the token's "
        "user is a repository admin: GitHub answers 404, not 403, to others",
        EXIT_NOT_FOUND,
    ),
    HTTPStatus.UNPROCESSABLE_ENTITY: (
        "GitHub refused the settings: fix what it names, then re-run",
        EXIT_INVALID,
    ),
}
RATE_LIMIT_ADVICE = (
    "GitHub's rate limit is used up: wait, then re-run",
    EXIT_UNAVAILABLE,
)
UNEXPECTED_ADVICE = ("this script does not expect that answer", EXIT_API)

Json = dict[str, Any]


class UserError(Exception):
    """A problem the user can act on: one line of explanation and an exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ApiError(Exception):
    """GitHub answered with an error status; explain() turns it into a UserError."""

    def __init__(  # noqa: PLR0913 - each field ends up in the user's error line
        self,
        *,
        action: str,
        method: str,
        path: str,
        status: int,
        body: Any,
        headers: Mapping[str, str],
        attempts: int,
    ) -> None:
        super().__init__(f"{method} {path}: HTTP {status}")
        self.action = action
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.headers = headers
        self.attempts = attempts
        self.context = ""

    @property
    def rate_limited(self) -> bool:
        if self.status == HTTPStatus.TOO_MANY_REQUESTS:
            return True
        used_up = self.headers.get("x-ratelimit-remaining") == "0"
        return self.status == HTTPStatus.FORBIDDEN and used_up

    def github_message(self) -> str:
        """GitHub's own words, with any validation errors it lists, on one line."""
        if not isinstance(self.body, dict):
            return one_line(str(self.body or ""))
        parts = [str(self.body.get("message") or "")]
        errors = self.body.get("errors")
        if isinstance(errors, list):
            parts.extend(describe_error(error) for error in errors)
        return one_line("; ".join(part for part in parts if part))


@dataclass(frozen=True)
class Options:
    repo: str | None
    branch: str | None
    check: str
    reviews: int
    mode: str
    dry_run: bool
    retries: int
    retry_wait: float
    timeout: float


@dataclass(frozen=True)
class Response:
    data: Any
    headers: Mapping[str, str]


@dataclass(frozen=True)
class GitHub:
    base_url: str
    token: str | None
    retries: int
    retry_wait: float
    timeout: float

    def request(
        self, method: str, path: str, *, action: str, body: Json | None = None
    ) -> Response:
        url = self._url(path)
        data = None if body is None else json.dumps(body).encode()
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"{PROG}.py",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if data is not None:
            headers["Content-Type"] = "application/json"
        # A POST that failed on GitHub's side may still have created the ruleset, so it
        # is not repeated here; re-running the script is the safe retry, as it finds
        # the ruleset and updates it.
        attempts = 1 + self.retries if method in RETRIED_METHODS else 1
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            # The scheme was checked by api_base_url() and same_origin().
            request = urllib.request.Request(  # noqa: S310
                url, data=data, headers=headers, method=method
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                    raw, answer_headers = answer.read(), answer.headers.items()
            except urllib.error.HTTPError as error:
                failure = ApiError(
                    action=action,
                    method=method,
                    path=urllib.parse.urlsplit(url).path,
                    status=error.code,
                    body=parse_json(error.read(), lenient=True),
                    headers=lower_keys(error.headers.items()),
                    attempts=attempt,
                )
                if error.code < HTTPStatus.INTERNAL_SERVER_ERROR or last:
                    raise failure from None
            except OSError as error:
                # URLError, refused or reset connections and timeouts all land here.
                if last:
                    raise unreachable(action, url, error, attempt) from None
            else:
                try:
                    return Response(parse_json(raw), lower_keys(answer_headers))
                except ValueError:
                    message = f"could not {action}: GitHub's answer is not JSON"
                    raise UserError(message, EXIT_API) from None
            time.sleep(self.retry_wait * 2 ** (attempt - 1))
        raise AssertionError("the last attempt always returns or raises")

    def get_all(self, path: str, *, action: str) -> list[Any]:
        """Every item of a paginated list, following GitHub's Link headers."""
        items: list[Any] = []
        next_path: str | None = path
        for _ in range(MAX_PAGES):
            if next_path is None:
                return items
            page = self.request("GET", next_path, action=action)
            if not isinstance(page.data, list):
                raise UserError(f"could not {action}: GitHub sent no list", EXIT_API)
            items.extend(page.data)
            match = NEXT_LINK.search(page.headers.get("link", ""))
            next_path = match["url"] if match else None
        raise UserError(f"could not {action}: over {MAX_PAGES} pages", EXIT_API)

    def _url(self, path: str) -> str:
        if path.startswith("/"):
            return self.base_url + path
        # Pagination links are absolute: the token must not follow one elsewhere.
        if not same_origin(path, self.base_url):
            raise UserError(f"GitHub linked outside {self.base_url}: {path}", EXIT_API)
        return path


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage block; one line reads better in a log.
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see --help)\n")


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = Parser(
        prog=f"{PROG}.py",
        description="Protect a branch with a ruleset or classic branch protection.",
    )
    parser.add_argument("--repo", help="OWNER/NAME (default: $GITHUB_REPOSITORY)")
    parser.add_argument("--branch", help="branch to protect (default: default branch)")
    parser.add_argument("--check", default=DEFAULT_CHECK, help="required status check")
    parser.add_argument("--reviews", type=int, default=1, help="approvals, 0-10")
    parser.add_argument(
        "--mode", choices=("auto", "ruleset", "classic"), default="auto"
    )
    parser.add_argument("--dry-run", action="store_true", help="print, send nothing")
    parser.add_argument("--retries", type=int, default=3, help="on 5xx/network errors")
    parser.add_argument(
        "--retry-wait", type=float, default=2.0, help="seconds, doubled each retry"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="per request")
    options = Options(**vars(parser.parse_args(argv)))
    if not 0 <= options.reviews <= MAX_REVIEWS:
        parser.error(f"--reviews must be 0 to {MAX_REVIEWS}, got {options.reviews}")
    if options.retries < 0 or options.retry_wait < 0 or options.timeout <= 0:
        parser.error("--retries and --retry-wait must be >= 0, --timeout > 0")
    if not options.check.strip():
        parser.error("--check must name a status check")
    if options.branch is not None and not options.branch.strip():
        parser.error("--branch must not be empty")
    return options


def parse_repo(repo: str | None) -> tuple[str, str]:
    if not repo:
        raise UserError(
            "no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY", EXIT_USAGE
        )
    match = REPO_PATTERN.fullmatch(repo)
    if match is None or match["name"] in {".", ".."}:
        raise UserError(
            f"--repo must be OWNER/NAME (letters, digits, '-', '.', '_'), got {repo!r}",
            EXIT_USAGE,
        )
    return match["owner"], match["name"]


def api_base_url(value: str) -> str:
    parts = urllib.parse.urlsplit(value)
    secure = parts.scheme == "https"
    local = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    try:
        _ = parts.port  # reading it is what rejects a port that is no number
    except ValueError:
        secure = local = False
    if not parts.hostname or not (secure or local):
        raise UserError(
            "GITHUB_API_URL must be an https:// URL (http:// only for loopback), "
            f"got {value!r}",
            EXIT_USAGE,
        )
    return value.rstrip("/")


def ruleset_body(branch: str, check: str, reviews: int) -> Json:
    return {
        "name": RULESET_NAME,
        "target": "branch",
        "enforcement": "active",
        # Nobody bypasses, admins included, as enforce_admins does in classic mode.
        "bypass_actors": [],
        "conditions": {
            "ref_name": {"include": [f"refs/heads/{branch}"], "exclude": []}
        },
        "rules": [
            {"type": "deletion"},
            {"type": "non_fast_forward"},
            {"type": "required_linear_history"},
            {
                "type": "pull_request",
                "parameters": {
                    "required_approving_review_count": reviews,
                    "dismiss_stale_reviews_on_push": True,
                    "require_code_owner_review": False,
                    "require_last_push_approval": False,
                    "required_review_thread_resolution": True,
                },
            },
            {
                "type": "required_status_checks",
                "parameters": {
                    "strict_required_status_checks_policy": True,
                    "required_status_checks": [
                        {"context": check, "integration_id": GITHUB_ACTIONS_APP_ID}
                    ],
                },
            },
        ],
    }


def classic_body(check: str, reviews: int) -> Json:
    return {
        # "checks" alone: GitHub refuses a body that also has the deprecated "contexts"
        # ("More than one subschema in oneOf matched"), although its OpenAPI
        # description still marks "contexts" as required.
        "required_status_checks": {
            "strict": True,
            "checks": [{"context": check, "app_id": GITHUB_ACTIONS_APP_ID}],
        },
        "enforce_admins": True,
        "required_pull_request_reviews": {
            "dismiss_stale_reviews": True,
            "require_code_owner_reviews": False,
            "required_approving_review_count": reviews,
            "require_last_push_approval": False,
        },
        "restrictions": None,
        "required_linear_history": True,
        "allow_force_pushes": False,
        "allow_deletions": False,
        "required_conversation_resolution": True,
    }


def default_branch(api: GitHub, owner: str, name: str) -> str:
    repo = api.request(
        "GET", f"/repos/{owner}/{name}", action=f"read repository {owner}/{name}"
    )
    branch = repo.data.get("default_branch") if isinstance(repo.data, dict) else None
    if not isinstance(branch, str) or not branch:
        raise UserError(
            f"GitHub did not say which branch of {owner}/{name} is the default",
            EXIT_API,
        )
    return branch


def branch_path(owner: str, name: str, branch: str) -> str:
    # Branch names may hold "/", which these GitHub paths take literally.
    return f"/repos/{owner}/{name}/branches/{urllib.parse.quote(branch, safe='/')}"


def require_branch(api: GitHub, owner: str, name: str, branch: str) -> None:
    """Stop on a mistyped branch, which a ruleset would silently protect."""
    api.request(
        "GET",
        branch_path(owner, name, branch),
        action=f"find branch {branch!r} of {owner}/{name}",
    )


def apply_ruleset(api: GitHub, owner: str, name: str, body: Json) -> str:
    path = f"/repos/{owner}/{name}/rulesets"
    existing = api.get_all(
        f"{path}?includes_parents=false&per_page=100",
        action=f"list the rulesets of {owner}/{name}",
    )
    ours = [
        ruleset["id"]
        for ruleset in existing
        if isinstance(ruleset, dict)
        and ruleset.get("name") == RULESET_NAME
        and isinstance(ruleset.get("id"), int)
    ]
    if ours:
        ruleset_id = ours[0]
        api.request(
            "PUT",
            f"{path}/{ruleset_id}",
            action=f"update ruleset {ruleset_id} of {owner}/{name}",
            body=body,
        )
        return f"updated ruleset {RULESET_NAME!r} (id {ruleset_id})"
    created = api.request(
        "POST", path, action=f"create a ruleset on {owner}/{name}", body=body
    )
    new_id = created.data.get("id") if isinstance(created.data, dict) else None
    return f"created ruleset {RULESET_NAME!r} (id {new_id})"


def apply_classic(api: GitHub, owner: str, name: str, branch: str, body: Json) -> str:
    api.request(
        "PUT",
        branch_path(owner, name, branch) + "/protection",
        action=f"protect branch {branch!r} of {owner}/{name}",
        body=body,
    )
    return "set classic branch protection"


def fall_back_reason(error: ApiError) -> str | None:
    """Why auto mode may use classic protection after this rulesets error, if it may.

    404: GitHub Enterprise Server releases older than rulesets lack the endpoint.
    403: plans that offer no rulesets for this repository answer "Upgrade to ...".
    Both can also mean a token without admin rights (GitHub hides admin endpoints
    behind 404), but then the classic endpoint refuses as well and its error is the
    one shown, so falling back never hides a real problem. 401 is never a reason:
    the token is bad everywhere. Nor is a rate limit: the next call would hit it too.
    """
    if error.status in FALLBACK_STATUSES and not error.rate_limited:
        return f"rulesets answered {error.status}"
    return None


def protect(api: GitHub, options: Options, owner: str, name: str, branch: str) -> str:
    require_branch(api, owner, name, branch)
    classic = classic_body(options.check, options.reviews)
    if options.mode == "classic":
        return apply_classic(api, owner, name, branch, classic)
    ruleset = ruleset_body(branch, options.check, options.reviews)
    try:
        return apply_ruleset(api, owner, name, ruleset)
    except ApiError as error:
        reason = fall_back_reason(error)
        if reason is None:
            raise
        if options.mode == "ruleset":
            error.context = " (where GitHub has no rulesets, use --mode auto)"
            raise
    try:
        return f"{apply_classic(api, owner, name, branch, classic)} ({reason})"
    except ApiError as error:
        error.context = f" (classic protection, tried as {reason})"
        raise


def print_dry_run(options: Options, owner: str, name: str, branch: str) -> None:
    if options.mode == "classic":
        body = classic_body(options.check, options.reviews)
        target = f"PUT {branch_path(owner, name, branch)}/protection"
    else:
        body = ruleset_body(branch, options.check, options.reviews)
        target = f"POST /repos/{owner}/{name}/rulesets (PUT .../ID if it exists)"
    print(json.dumps(body, indent=2))
    print(f"{PROG}: dry run, nothing sent; a real run sends: {target}", file=sys.stderr)


def run(options: Options, environ: Mapping[str, str]) -> int:
    owner, name = parse_repo(options.repo or environ.get("GITHUB_REPOSITORY"))
    base_url = api_base_url(environ.get("GITHUB_API_URL") or DEFAULT_API_URL)
    token = environ.get("GH_TOKEN") or environ.get("GITHUB_TOKEN") or None
    if token is None and options.dry_run and not options.branch:
        raise UserError(
            "no token: --dry-run without --branch must read the default branch; "
            "pass --branch, or set GH_TOKEN or GITHUB_TOKEN",
            EXIT_AUTH,
        )
    if token is None and not options.dry_run:
        raise UserError(
            "no token: set GH_TOKEN or GITHUB_TOKEN to a token with 'Administration: "
            f"write' on {owner}/{name}, or use --dry-run to only print the settings",
            EXIT_AUTH,
        )
    api = GitHub(base_url, token, options.retries, options.retry_wait, options.timeout)
    branch = options.branch or default_branch(api, owner, name)
    if options.dry_run:
        print_dry_run(options, owner, name, branch)
        return EXIT_OK
    done = protect(api, options, owner, name, branch)
    print(
        f"{done} on branch {branch!r} of {owner}/{name}: pull requests only, "
        f"{options.reviews} approval(s), {options.check!r} must pass"
    )
    return EXIT_OK


def explain(error: ApiError) -> UserError:
    said = error.github_message()
    answer = f"{error.status}: {said}" if said else str(error.status)
    if error.rate_limited:
        advice, exit_code = RATE_LIMIT_ADVICE
    elif error.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        advice = f"GitHub failed {error.attempts} time(s): try again later"
        exit_code = EXIT_UNAVAILABLE
    else:
        advice, exit_code = ADVICE.get(error.status, UNEXPECTED_ADVICE)
    return UserError(
        f"could not {error.action} ({error.method} {error.path} answered {answer})"
        f"{error.context}; {advice}",
        exit_code,
    )


def unreachable(action: str, url: str, error: OSError, attempts: int) -> UserError:
    reason = getattr(error, "reason", error)
    return UserError(
        f"could not {action}: cannot reach {urllib.parse.urlsplit(url).netloc} "
        f"({one_line(str(reason))}) after {attempts} attempt(s); check "
        "GITHUB_API_URL and the network, then re-run",
        EXIT_UNAVAILABLE,
    )


def parse_json(raw: bytes, *, lenient: bool = False) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        if not lenient:
            raise
        # A proxy's error page is HTML or text; an excerpt still tells what happened.
        return raw[:200].decode(errors="replace")


def describe_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = ".".join(str(error[key]) for key in ("resource", "field") if error.get(key))
    text = error.get("message") or error.get("code") or ""
    return f"{where}: {text}" if where else str(text)


def one_line(text: str, limit: int = 500) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def lower_keys(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {key.lower(): value for key, value in items}


def same_origin(url: str, base_url: str) -> bool:
    first, second = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base_url)
    return (first.scheme, first.netloc) == (second.scheme, second.netloc)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        return run(options, os.environ)
    except ApiError as error:
        failure = explain(error)
    except UserError as caught:
        failure = caught
    print(f"{PROG}: error: {failure}", file=sys.stderr)
    return failure.exit_code


if __name__ == "__main__":
    sys.exit(main())
