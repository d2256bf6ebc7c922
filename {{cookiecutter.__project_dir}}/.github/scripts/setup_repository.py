"""Apply the repository policy kept as data under .github/ to the GitHub repository.

Run it once after the first push, with the token of a repository admin, and again after
editing any of the files below. Running it again is safe: it finds what it made by name
and updates it in place instead of adding a second copy.

    GH_TOKEN=... python .github/scripts/setup_repository.py --repo OWNER/NAME

What it applies, in this order (a user changes a rule by editing the data, not this
script):

1. .github/environments/NAME.json: the environment NAME, deployable only from the refs
   its "deployment_branch_policies" name (policies not in the file are deleted), with
   the --reviewer users as required reviewers where "required_reviewers" is true.
   First, because an environment nobody restricted hands its secrets to a workflow
   pushed on any branch. Every --reviewer must be a repository admin: a required
   reviewer approves the runs that read the admin token and publish releases, so the
   script refuses (exit 11, before any write) to hand that to anyone less.
2. .github/rulesets/*.json: repository rulesets in GitHub's import/export format,
   matched by "name" (PUT when it exists, POST when not). Where GitHub has no rulesets
   (403 from plans without them, 404 from old GitHub Enterprise Server), a branch
   ruleset becomes classic branch protection derived from the same data; a tag ruleset
   has no classic equivalent and is skipped with a warning.
   Then, where the rulesets ask for code-owner review, GitHub's own check of the
   CODEOWNERS file (on the default branch) is read: an owner GitHub cannot resolve,
   such as "@org" for an organization, is ignored by GitHub, so code-owner review
   silently asks nobody for those paths. One warning line per error names the line
   and the fix, and the run ends with exit 12 once everything else is applied.
3. .github/repository.json: "actions_workflow_permissions", the repository's default
   GITHUB_TOKEN permissions and whether workflows may create and approve pull requests;
   "labels", labels the workflows read (created, or updated to the data's colour and
   description); "private_vulnerability_reporting", the Security tab's "Report a
   vulnerability" form that SECURITY.md links to (public repositories). A token that may
   not write labels, or a repository that cannot have the form, only warns.
4. "pages" in .github/repository.json (a bake with the documentation site): GitHub
   Pages, published by workflows ({"build_type": "workflow"}, created when Pages is
   off), then the Actions variable PAGES_ENABLED=true, which lets ci.yml's
   publish-docs job deploy. A site already published from a branch is left as it is
   (it may be a hand-made site on a custom domain), with a warning saying how to
   switch. Not on a private repository, whose Pages site would be public on every plan
   but Enterprise Cloud: there it warns (twice if a site is already online) and
   changes neither. A token that may not write Pages or variables only warns.

"~DEFAULT_BRANCH", GitHub's ruleset name for the default branch, may also name it in
an environment's branch policies; the script puts in the real name there.

Options:
    --repo OWNER/NAME    repository (default: $GITHUB_REPOSITORY)
    --default-branch NAME  the repository's default branch, when known; saves a request
                         (default: asked of GitHub)
    --reviews N          approving reviews the pull_request rules require, 0-10
                         (default: as in the data, 0: a project with one maintainer,
                         who cannot approve their own pull request; pass 1 or more, or
                         edit the data, once someone else reviews). With 0, or without
                         a CODEOWNERS file, code-owner review is switched off, and with
                         0 so is approval of the last push; the data keeps both on for
                         when approvals are required.
    --reviewer LOGIN     a required reviewer for environments that ask for one; must
                         be a repository admin; repeatable, up to 6 (default:
                         $GITHUB_TRIGGERING_ACTOR, else $GITHUB_ACTOR, when set)
    --mode MODE          auto (default): rulesets, or classic protection where GitHub
                         has none; ruleset: never fall back; classic: classic branch
                         protection instead of the branch rulesets
    --github-dir DIR     where the data lives (default: the .github folder holding this
                         script)
    --dry-run            print the writes a real run would send, as JSON, and change
                         nothing
    --retries N, --retry-wait SECONDS, --timeout SECONDS
                         patience with a failing (5xx) or unreachable API

Environment:
    GH_TOKEN, GITHUB_TOKEN  the token; GH_TOKEN wins, as it does for the gh CLI.
                         It needs "Administration: write" (fine-grained; it covers
                         rulesets, environments and Actions settings) or the "repo"
                         scope (classic), and its user must be a repository admin. A
                         workflow's own GITHUB_TOKEN can never be granted that.
                         "Contents: read" as well lets it read GitHub's CODEOWNERS
                         check on private repositories, and "Issues: write" lets it
                         make the labels (without them: a warning each).
                         "Pages: write" and "Variables: write" switch on the
                         documentation site ("pages"; without them: a warning).
    GITHUB_REPOSITORY    default for --repo
    GITHUB_TRIGGERING_ACTOR, GITHUB_ACTOR
                         default for --reviewer: who started (or re-ran) this
                         workflow run, else who started its first attempt
    GITHUB_API_URL       API root (default https://api.github.com; GitHub Enterprise
                         Server sets its own). Plain http is accepted for loopback only,
                         so the token never crosses a network in clear.

The token is only ever sent to GITHUB_API_URL's scheme, host and port: a redirect or a
pagination link to anywhere else stops the script before anything is sent there.

--dry-run never writes. With a token it reads what exists, so the plan says PUT or
POST as a real run would. Without a token it sends no request at all (it then needs
--default-branch), plans as if nothing existed yet, and leaves the reviewers out.
With a token, a dry run checks the reviewers and reads the CODEOWNERS check as a real
run does: a reviewer who is not an admin ends it with exit 11; CODEOWNERS errors are
printed as warnings, and the dry run still exits 0.

What is required, and what only warns: the default branch's protection (a ruleset or
classic) and each environment's deployment restriction are required. Where GitHub's
plan does not offer one of them (GitHub Free has neither environments nor branch
protection for private repositories), the script applies everything else, prints one
warning line per setting it could not apply and why, and exits 8. Required reviewers
(GitHub Enterprise only, for private repositories), a tag ruleset where there are no
rulesets, and workflow permissions an organization decides are warnings only.

Exit codes:
    0  done (with --dry-run: the plan was printed); warnings may have been printed
    1  GitHub answered something this script does not expect
    2  usage error: bad option, --repo not OWNER/NAME, unusable GITHUB_API_URL
    3  no token, or GitHub rejected it (401)
    4  the token may not do this (403)
    5  repository, branch, user or endpoint not found (404)
    6  GitHub refused the settings (422); its validation message is shown
    7  GitHub unreachable, failing (5xx) or rate limiting, after the allowed retries
    8  GitHub's plan for this repository does not offer a required setting; the
       warning lines say which; everything else was applied
    9  GitHub redirected or linked to another host; the token was not sent there
    10 a data file under .github/ is missing, not JSON, or not in the expected shape
    11 a --reviewer is not a repository admin; nothing was written
    12 code-owner review is required but GitHub finds errors in CODEOWNERS, or no
       CODEOWNERS, or no valid owner in it; the warning lines say which lines and
       how to fix them; everything else was applied

Standard library only, so it runs on any Python 3.11+ without an install step. (`gh api`
could send the requests, but matching by name, syncing branch policies, the classic
fallback and the advice on each error would still be ours, and gh is not on every
maintainer's machine.)
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
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any, NoReturn

PROG = "setup_repository"
DEFAULT_BRANCH_TOKEN = "~DEFAULT_BRANCH"  # noqa: S105 - GitHub's ruleset name, no secret
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MAX_REVIEWS = 10  # the rulesets API refuses more
MAX_REVIEWERS = 6  # the environments API refuses more
MAX_PAGES = 50

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_FORBIDDEN = 4
EXIT_NOT_FOUND = 5
EXIT_INVALID = 6
EXIT_UNAVAILABLE = 7
EXIT_PLAN = 8
EXIT_OTHER_HOST = 9
EXIT_DATA = 10
EXIT_REVIEWER = 11
EXIT_CODEOWNERS = 12

# GitHub's rules: owners are letters, digits and "-"; repository names add "." and "_".
REPO_PATTERN = re.compile(r"(?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9._-]+)")
# Users, not apps: "dependabot[bot]" cannot review a deployment.
LOGIN_PATTERN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
NEXT_LINK = re.compile(r'<(?P<url>[^>]+)>\s*;\s*rel="next"')
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_PORTS = {"http": 80, "https": 443}
RETRIED_METHODS = frozenset({"GET", "PUT"})
# Answers from the rulesets endpoints after which auto mode tries classic protection;
# fall_back_reason() says why these and no others.
FALLBACK_STATUSES = frozenset({HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND})
REPOSITORY_KEYS = frozenset(
    {
        "actions_workflow_permissions",
        "labels",
        "private_vulnerability_reporting",
        "pages",
    }
)
# The Pages settings the data may ask for; the variable that tells ci.yml they are on.
PAGES_BUILD_TYPES = frozenset({"workflow"})
PAGES_VARIABLE = "PAGES_ENABLED"
LABEL_COLOR = re.compile(r"[0-9a-fA-F]{6}")
# What GitHub answers where a repository cannot have the reporting form (a private one),
# or the token may not turn it on.
REPORTING_REFUSALS = frozenset(
    {HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.UNPROCESSABLE_ENTITY}
)
# GitHub's words when a plan lacks a feature, as seen in its 403 answers to rulesets
# and branch protection ("Upgrade to GitHub Pro or make this repository public to
# enable this feature.") and its 422 answers to environments ("... ensure the billing
# plan supports the required reviewers protection rule.").
PLAN_WORDS = re.compile(
    r"upgrade to github|make this repository public|billing plan", re.I
)
# Environment settings GitHub offers private repositories on GitHub Enterprise only.
PLAN_GATED_ENVIRONMENT_KEYS = ("reviewers", "wait_timer", "prevent_self_review")
# Keys an exported ruleset carries that describe one stored copy, not the policy.
EXPORT_ONLY_KEYS = frozenset(
    {
        "id",
        "node_id",
        "source",
        "source_type",
        "_links",
        "created_at",
        "updated_at",
        "current_user_can_bypass",
    }
)
# Where GitHub looks for CODEOWNERS, in its order: the first one found is used.
CODEOWNERS_PLACES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
CODEOWNERS_FIX = "use @org/team or user logins with write access"

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
        "check --repo, the branch (push it first) and --reviewer, and that the "
        "token's user is a repository admin: GitHub answers 404, not 403, to others",
        EXIT_NOT_FOUND,
    ),
    HTTPStatus.UNPROCESSABLE_ENTITY: (
        "GitHub refused the settings: fix what it names in the data, then re-run",
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

    def answer(self) -> str:
        said = self.github_message()
        return f"{self.method} {self.path} answered {self.status}" + (
            f": {said}" if said else ""
        )


class OtherHostError(Exception):
    """A redirect to another origin, refused before the token could follow it."""

    def __init__(self, from_url: str, to_url: str, status: int) -> None:
        super().__init__(f"{status} from {from_url} to {to_url}")
        self.from_url = from_url
        self.to_url = to_url
        self.status = status


@dataclass(frozen=True)
class Options:
    repo: str | None
    default_branch: str | None
    reviews: int | None
    reviewers: list[str]
    mode: str
    github_dir: Path
    dry_run: bool
    retries: int
    retry_wait: float
    timeout: float


@dataclass(frozen=True)
class Response:
    data: Any
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Environment:
    name: str
    settings: Json
    required_reviewers: bool
    policies: list[Json]


@dataclass(frozen=True)
class Policy:
    """Everything under .github/ that the script applies."""

    environments: list[Environment]
    rulesets: list[Json]
    workflow_permissions: Json | None
    has_codeowners: bool
    labels: list[Json] = field(default_factory=list)
    private_vulnerability_reporting: bool = False
    # "pages" of repository.json: the Pages site's settings; None: no site to publish.
    pages: Json | None = None
    # (line number, owners) of each rule in the first CODEOWNERS file found.
    codeowners_rules: list[tuple[int, list[str]]] = field(default_factory=list)


@dataclass
class Outcome:
    """What a run did, and what it could not do because of GitHub's plan."""

    dry_run: bool
    done: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)
    codeowners_problems: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        self.done.append(line)
        if self.dry_run:
            # stdout carries the plan alone, so it parses as JSON.
            print(f"{PROG}: would have: {line}", file=sys.stderr)
        else:
            print(line)

    def warn(self, line: str, *, required: bool = False) -> None:
        self.warnings.append(line)
        if required:
            self.missing_required.append(line)
        print(f"{PROG}: warning: {line}", file=sys.stderr)


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects on GITHUB_API_URL's own origin; refuse all others.

    urllib would follow a redirect anywhere and send the Authorization header along.
    """

    def redirect_request(  # noqa: PLR0913, PLR0917 - urllib's signature
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not same_origin(newurl, req.full_url):
            raise OtherHostError(req.full_url, newurl, code)
        if code in {HTTPStatus.TEMPORARY_REDIRECT, HTTPStatus.PERMANENT_REDIRECT}:
            # GitHub answers 307 to writes on a renamed repository: repeat verbatim.
            return urllib.request.Request(  # noqa: S310 - same origin, checked
                newurl,
                data=req.data,
                headers=dict(req.header_items()),
                method=req.get_method(),
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


OPENER = urllib.request.build_opener(SameOriginRedirects)


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
        # A POST or DELETE that failed on GitHub's side may still have taken effect, so
        # it is not repeated here (a second DELETE would answer 404); re-running the
        # script is the safe retry, as it finds what exists by name and updates it.
        attempts = 1 + self.retries if method in RETRIED_METHODS else 1
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            # The scheme was checked by api_base_url() and same_origin().
            request = urllib.request.Request(  # noqa: S310
                url, data=data, headers=headers, method=method
            )
            try:
                with OPENER.open(request, timeout=self.timeout) as answer:
                    raw, answer_headers = answer.read(), answer.headers.items()
            except OtherHostError as moved:
                raise UserError(
                    f"could not {action}: GitHub redirected ({moved.status}) "
                    f"{method} {urllib.parse.urlsplit(url).path} to "
                    f"{origin_text(moved.to_url)}, another host than "
                    f"{origin_text(self.base_url)}; the token was not sent there. "
                    "Check GITHUB_API_URL",
                    EXIT_OTHER_HOST,
                ) from None
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
                error.close()
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

    def get_all(self, path: str, *, action: str, key: str | None = None) -> list[Any]:
        """Every item of a paginated list, following GitHub's Link headers.

        `key` names the list inside an object answer ({"total_count": .., key: [..]}).
        """
        items: list[Any] = []
        next_path: str | None = path
        for _ in range(MAX_PAGES):
            if next_path is None:
                return items
            page = self.request("GET", next_path, action=action)
            found = (
                page.data.get(key) if key and isinstance(page.data, dict) else page.data
            )
            if not isinstance(found, list):
                raise UserError(f"could not {action}: GitHub sent no list", EXIT_API)
            items.extend(found)
            match = NEXT_LINK.search(page.headers.get("link", ""))
            next_path = match["url"] if match else None
        raise UserError(f"could not {action}: over {MAX_PAGES} pages", EXIT_API)

    def _url(self, path: str) -> str:
        if path.startswith("/"):
            return self.base_url + path
        # Pagination links are absolute: the token must not follow one elsewhere.
        if not same_origin(path, self.base_url):
            raise UserError(
                f"GitHub linked to {origin_text(path)}, another host than "
                f"{origin_text(self.base_url)}; the token was not sent there",
                EXIT_OTHER_HOST,
            )
        return path


@dataclass
class Writer:
    """Sends writes, or with --dry-run records them as the plan it prints."""

    api: GitHub | None
    dry_run: bool
    plan: list[Json] = field(default_factory=list)

    @property
    def can_read(self) -> bool:
        return self.api is not None

    def read(self) -> GitHub:
        if self.api is None:
            raise AssertionError("reads need a token; callers check can_read")
        return self.api

    def write(
        self, method: str, path: str, *, action: str, body: Json | None = None
    ) -> Any:
        if self.dry_run:
            self.plan.append({"method": method, "path": path, "body": body})
            return None
        return self.read().request(method, path, action=action, body=body).data


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage block; one line reads better in a log.
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see --help)\n")


def parse_args(argv: Sequence[str] | None, environ: Mapping[str, str]) -> Options:
    parser = Parser(
        prog=f"{PROG}.py",
        description="Apply .github/rulesets, .github/environments and "
        ".github/repository.json to a GitHub repository.",
    )
    parser.add_argument("--repo", help="OWNER/NAME (default: $GITHUB_REPOSITORY)")
    parser.add_argument("--default-branch", help="the default branch, when known")
    parser.add_argument("--reviews", type=int, help="approvals, 0-10 (default: data)")
    parser.add_argument(
        "--reviewer",
        dest="reviewers",
        action="append",
        default=[],
        metavar="LOGIN",
        help="required reviewer for environments, a repository admin "
        "(default: $GITHUB_TRIGGERING_ACTOR, else $GITHUB_ACTOR)",
    )
    parser.add_argument(
        "--mode", choices=("auto", "ruleset", "classic"), default="auto"
    )
    here = Path(__file__).resolve().parent.parent
    parser.add_argument("--github-dir", type=Path, default=here, help="the data")
    parser.add_argument("--dry-run", action="store_true", help="print, send nothing")
    parser.add_argument("--retries", type=int, default=3, help="on 5xx/network errors")
    parser.add_argument(
        "--retry-wait", type=float, default=2.0, help="seconds, doubled each retry"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="per request")
    options = Options(**vars(parser.parse_args(argv)))
    if options.reviews is not None and not 0 <= options.reviews <= MAX_REVIEWS:
        parser.error(f"--reviews must be 0 to {MAX_REVIEWS}, got {options.reviews}")
    if options.retries < 0 or options.retry_wait < 0 or options.timeout <= 0:
        parser.error("--retries and --retry-wait must be >= 0, --timeout > 0")
    if options.default_branch is not None and not options.default_branch.strip():
        parser.error("--default-branch must not be empty")
    # Who started this attempt: on a re-run GITHUB_ACTOR stays whoever started the
    # first one, who may not be the person now approving and running it.
    actor = environ.get("GITHUB_TRIGGERING_ACTOR") or environ.get("GITHUB_ACTOR")
    if not options.reviewers and actor:
        options = replace(options, reviewers=[actor])
    for login in options.reviewers:
        if LOGIN_PATTERN.fullmatch(login) is None:
            parser.error(
                f"reviewer {login!r} is no GitHub user login (apps cannot review "
                "deployments); pass --reviewer LOGIN"
            )
    if len(set(options.reviewers)) > MAX_REVIEWERS:
        parser.error(f"at most {MAX_REVIEWERS} reviewers, got {len(options.reviewers)}")
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


# -- the data --------------------------------------------------------------------------


def load_json(path: Path, root: Path) -> Any:
    shown = path.relative_to(root.parent) if root.parent in path.parents else path
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"cannot read {shown}: {error.strerror}", EXIT_DATA) from None
    except ValueError as error:
        raise UserError(f"{shown} is not JSON: {error}", EXIT_DATA) from None


def data_error(path: Path, root: Path, problem: str) -> UserError:
    shown = path.relative_to(root.parent) if root.parent in path.parents else path
    return UserError(f"{shown}: {problem}", EXIT_DATA)


def load_ruleset(path: Path, root: Path) -> Json:
    data = load_json(path, root)
    if not isinstance(data, dict):
        raise data_error(path, root, "a ruleset must be a JSON object")
    ruleset = {key: value for key, value in data.items() if key not in EXPORT_ONLY_KEYS}
    if not isinstance(ruleset.get("name"), str) or not ruleset["name"].strip():
        raise data_error(path, root, 'a ruleset needs a "name" to be found again by')
    if ruleset.get("target", "branch") not in {"branch", "tag", "push"}:
        raise data_error(path, root, '"target" must be "branch", "tag" or "push"')
    if not isinstance(ruleset.get("rules", []), list):
        raise data_error(path, root, '"rules" must be a list')
    return ruleset


def load_environment(path: Path, root: Path) -> Environment:
    data = load_json(path, root)
    known = {"environment", "required_reviewers", "deployment_branch_policies"}
    if not isinstance(data, dict) or not set(data) <= known:
        raise data_error(path, root, f"an environment file holds only {sorted(known)}")
    settings = data.get("environment", {})
    policies = data.get("deployment_branch_policies", [])
    required_reviewers = data.get("required_reviewers", False)
    if not isinstance(settings, dict) or "reviewers" in settings:
        raise data_error(
            path,
            root,
            '"environment" is the API body without "reviewers" (they come from '
            '--reviewer where "required_reviewers" is true)',
        )
    if not isinstance(required_reviewers, bool):
        raise data_error(path, root, '"required_reviewers" must be true or false')
    if not isinstance(policies, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) for p in policies
    ):
        raise data_error(path, root, '"deployment_branch_policies" lists {name, type}')
    custom = (settings.get("deployment_branch_policy") or {}).get(
        "custom_branch_policies"
    )
    if policies and custom is not True:
        raise data_error(
            path,
            root,
            "branch policies apply only with deployment_branch_policy."
            "custom_branch_policies true",
        )
    return Environment(path.stem, settings, required_reviewers, policies)


def load_policy(root: Path) -> Policy:
    if not root.is_dir():
        raise UserError(f"no folder {root}: pass --github-dir", EXIT_DATA)
    rulesets = [load_ruleset(p, root) for p in sorted(root.glob("rulesets/*.json"))]
    names = [ruleset["name"] for ruleset in rulesets]
    if len(set(names)) != len(names):
        raise UserError(f"{root.name}/rulesets: two rulesets share a name", EXIT_DATA)
    environments = [
        load_environment(p, root) for p in sorted(root.glob("environments/*.json"))
    ]
    permissions = None
    labels: list[Json] = []
    reporting = False
    pages = None
    settings_file = root / "repository.json"
    if settings_file.exists():
        settings = load_json(settings_file, root)
        if not isinstance(settings, dict) or not set(settings) <= REPOSITORY_KEYS:
            known = ", ".join(f'"{key}"' for key in sorted(REPOSITORY_KEYS))
            raise data_error(settings_file, root, f"only {known} are known")
        permissions = settings.get("actions_workflow_permissions")
        if permissions is not None and not isinstance(permissions, dict):
            raise data_error(settings_file, root, "settings must be a JSON object")
        labels = load_labels(settings.get("labels", []), settings_file, root)
        reporting = settings.get("private_vulnerability_reporting", False)
        if not isinstance(reporting, bool):
            problem = '"private_vulnerability_reporting" must be true or false'
            raise data_error(settings_file, root, problem)
        pages = settings.get("pages")
        if pages is not None and (
            not isinstance(pages, dict)
            or set(pages) != {"build_type"}
            or pages["build_type"] not in PAGES_BUILD_TYPES
        ):
            problem = '"pages" must be {"build_type": "workflow"}'
            raise data_error(settings_file, root, problem)
    if not rulesets and not environments and permissions is None:
        raise UserError(f"nothing to apply under {root}", EXIT_DATA)
    repo_root = root.parent
    found = [repo_root / p for p in CODEOWNERS_PLACES if (repo_root / p).is_file()]
    rules = codeowners_rules(found[0]) if found else []
    return Policy(
        environments,
        rulesets,
        permissions,
        bool(found),
        labels=labels,
        private_vulnerability_reporting=reporting,
        pages=pages,
        codeowners_rules=rules,
    )


def load_labels(labels: Any, path: Path, root: Path) -> list[Json]:
    """repository.json's "labels": [{"name", "color" (RRGGBB), "description"}]."""
    shape = (
        '"labels" must be a list of {"name": ..., "color": "RRGGBB", '
        '"description": ...} with distinct names'
    )
    if not isinstance(labels, list):
        raise data_error(path, root, shape)
    for label in labels:
        if (
            not isinstance(label, dict)
            or set(label) != {"name", "color", "description"}
            or not isinstance(label["name"], str)
            or not label["name"].strip()
            or not isinstance(label["color"], str)
            or LABEL_COLOR.fullmatch(label["color"]) is None
            or not isinstance(label["description"], str)
        ):
            raise data_error(path, root, shape)
    # "." and ".." would name another path of the API once in a URL.
    names = [label["name"] for label in labels]
    if len({n.casefold() for n in names}) != len(names) or {".", ".."} & set(names):
        raise data_error(path, root, shape)
    return labels


def codeowners_rules(path: Path) -> list[tuple[int, list[str]]]:
    """Each rule line of a CODEOWNERS file: its number and the owners it names."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # GitHub's own check, read later, reports what is wrong with it
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        words = line.split("#", 1)[0].split()
        if words:
            rules.append((number, words[1:]))
    return rules


def with_reviews(ruleset: Json, reviews: int | None, *, has_codeowners: bool) -> Json:
    """The ruleset with --reviews applied, minus review rules nobody could satisfy."""
    rules = []
    for rule in ruleset.get("rules", []):
        if isinstance(rule, dict) and rule.get("type") == "pull_request":
            parameters = dict(rule.get("parameters") or {})
            if reviews is not None:
                parameters["required_approving_review_count"] = reviews
            count = parameters.get("required_approving_review_count", 0)
            if count == 0:
                # Nobody approves, so no approval can come from a code owner or
                # follow the last push: left on, they would block every merge.
                parameters["require_code_owner_review"] = False
                parameters["require_last_push_approval"] = False
            if not has_codeowners:
                parameters["require_code_owner_review"] = False
            rule = {**rule, "parameters": parameters}  # noqa: PLW2901
        rules.append(rule)
    return {**ruleset, "rules": rules}


# -- reading the repository ------------------------------------------------------------


@dataclass(frozen=True)
class Repo:
    owner: str
    name: str
    default_branch: str
    private: bool
    organization: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def path(self) -> str:
        return f"/repos/{self.owner}/{self.name}"


def read_repo(writer: Writer, owner: str, name: str, branch: str | None) -> Repo:
    if not writer.can_read:
        if branch is None:
            raise AssertionError("run() asks for --default-branch first")
        return Repo(owner, name, branch, private=False)
    data = (
        writer.read()
        .request("GET", f"/repos/{owner}/{name}", action=f"read {owner}/{name}")
        .data
    )
    if not isinstance(data, dict):
        raise UserError(f"GitHub sent no repository for {owner}/{name}", EXIT_API)
    found = data.get("default_branch")
    if branch is None and (not isinstance(found, str) or not found):
        raise UserError(
            f"GitHub did not say which branch of {owner}/{name} is the default",
            EXIT_API,
        )
    owner_data = data.get("owner")
    repo = Repo(
        owner,
        name,
        branch or str(found),
        private=data.get("private") is True,
        organization=isinstance(owner_data, dict)
        and owner_data.get("type") == "Organization",
    )
    # A mistyped --default-branch, or an empty repository, would otherwise get
    # environments nobody can deploy from and a ruleset that protects nothing.
    writer.read().request(
        "GET",
        branch_path(repo, repo.default_branch),
        action=f"find branch {repo.default_branch!r} of {repo.full_name}",
    )
    return repo


def branch_path(repo: Repo, branch: str) -> str:
    # Branch names may hold "/", which these GitHub paths take literally.
    return f"{repo.path}/branches/{urllib.parse.quote(branch, safe='/')}"


def resolve_reviewers(
    writer: Writer, repo: Repo, logins: Sequence[str]
) -> list[Json] | None:
    """Reviewer entries for the environments API; None when they cannot be read.

    Every reviewer must be a repository admin, checked before anything is written: a
    required reviewer approves each run that reads the admin token or publishes, so
    an owner who approves one setup run started by a collaborator must not hand the
    collaborator those gates.
    """
    if not writer.can_read:
        return None
    reviewers = []
    for login in dict.fromkeys(logins):
        user = (
            writer.read()
            .request("GET", f"/users/{login}", action=f"find reviewer {login!r}")
            .data
        )
        user_id = user.get("id") if isinstance(user, dict) else None
        if not isinstance(user_id, int):
            raise UserError(f"GitHub sent no id for user {login!r}", EXIT_API)
        permission = reviewer_permission(writer.read(), repo, login)
        if permission != "admin":
            raise UserError(
                f"refusing to apply: reviewer {login!r} has {permission!r} permission "
                f"on {repo.full_name}, not admin; required reviewers approve the runs "
                "that read the admin token and publish releases, so only a repository "
                "admin may be one (the workflow names whoever started or re-ran it: "
                "an admin must run Repository setup); nothing was changed",
                EXIT_REVIEWER,
            )
        reviewers.append({"type": "User", "id": user_id})
    return reviewers


def reviewer_permission(api: GitHub, repo: Repo, login: str) -> str:
    """The reviewer's base role on the repository: admin, write, read or none."""
    try:
        data = api.request(
            "GET",
            f"{repo.path}/collaborators/{login}/permission",
            action=f"check the permission of reviewer {login!r} on {repo.full_name}",
        ).data
    except ApiError as error:
        # The user exists (looked up just before): 404 means no collaborator.
        if error.status != HTTPStatus.NOT_FOUND:
            raise
        return "none"
    permission = data.get("permission") if isinstance(data, dict) else None
    if not isinstance(permission, str):
        raise UserError(f"GitHub sent no permission for user {login!r}", EXIT_API)
    return permission


# -- 1. environments -------------------------------------------------------------------


def plan_limited(error: ApiError, repo: Repo) -> bool:
    """Whether GitHub refused because of the plan, not because of the request.

    Private repositories get environments only on paid plans and required reviewers
    only on GitHub Enterprise; GitHub then answers 422 (sometimes 403 "Upgrade to
    GitHub Pro"). On a public repository every plan has both, so a 422 there is a
    real validation error and stops the script.
    """
    if error.rate_limited:
        return False
    if error.status == HTTPStatus.FORBIDDEN:
        return PLAN_WORDS.search(error.github_message()) is not None
    if error.status == HTTPStatus.UNPROCESSABLE_ENTITY:
        return repo.private or PLAN_WORDS.search(error.github_message()) is not None
    return False


def environment_path(repo: Repo, name: str) -> str:
    return f"{repo.path}/environments/{urllib.parse.quote(name, safe='')}"


def apply_environments(
    writer: Writer, repo: Repo, policy: Policy, reviewer_logins: Sequence[str]
) -> Outcome:
    outcome = Outcome(writer.dry_run)
    needs_reviewers = any(env.required_reviewers for env in policy.environments)
    if needs_reviewers and not reviewer_logins:
        names = ", ".join(e.name for e in policy.environments if e.required_reviewers)
        raise UserError(
            f"environments {names} require reviewers: pass --reviewer LOGIN "
            "(or set GITHUB_TRIGGERING_ACTOR or GITHUB_ACTOR)",
            EXIT_USAGE,
        )
    reviewers = (
        resolve_reviewers(writer, repo, reviewer_logins) if needs_reviewers else []
    )
    for environment in policy.environments:
        apply_environment(writer, repo, environment, reviewers, outcome)
    return outcome


def apply_environment(
    writer: Writer,
    repo: Repo,
    environment: Environment,
    reviewers: list[Json] | None,
    outcome: Outcome,
) -> None:
    body = dict(environment.settings)
    if environment.required_reviewers and reviewers is not None:
        body["reviewers"] = reviewers
    applied = put_environment(writer, repo, environment, body, outcome)
    if applied is None:
        return
    if environment.policies:
        sync_branch_policies(writer, repo, environment)
        where = ", ".join(
            f"{policy['type']} {policy['name']}" for policy in expand(environment, repo)
        )
    elif (body.get("deployment_branch_policy") or {}).get("protected_branches"):
        where = "protected branches"
    else:
        where = "every branch: the data sets no restriction"
    who = f"; {len(applied['reviewers'])} reviewer(s)" if "reviewers" in applied else ""
    outcome.note(f"environment {environment.name!r}: deployments from {where}{who}")


def put_environment(
    writer: Writer, repo: Repo, environment: Environment, body: Json, outcome: Outcome
) -> Json | None:
    """Create or update the environment; the body GitHub took, or None if none."""
    name = environment.name
    path = environment_path(repo, name)
    action = f"set up environment {name!r} of {repo.full_name}"
    required = bool(environment.policies)
    try:
        writer.write("PUT", path, action=action, body=body)
    except ApiError as error:
        if not plan_limited(error, repo):
            raise
        gated = [key for key in PLAN_GATED_ENVIRONMENT_KEYS if key in body]
        if not gated:
            outcome.warn(environment_unavailable(name, error), required=required)
            return None
        lesser = {key: value for key, value in body.items() if key not in gated}
        try:
            writer.write("PUT", path, action=action, body=lesser)
        except ApiError as second:
            if not plan_limited(second, repo):
                raise
            outcome.warn(environment_unavailable(name, second), required=required)
            return None
        outcome.warn(
            f"environment {name!r}: {' and '.join(gated)} not applied: GitHub offers "
            "them for private repositories on GitHub Enterprise only "
            f"({error.answer()}); its deployment restriction is applied"
        )
        return lesser
    return body


def environment_unavailable(name: str, error: ApiError) -> str:
    return (
        f"environment {name!r} not restricted: GitHub refused environments for this "
        f"private repository ({error.answer()}); GitHub Free offers them for public "
        "repositories only (and ignores environment secrets on private ones): make "
        "the repository public or move to a paid plan, then re-run"
    )


def expand(environment: Environment, repo: Repo) -> list[Json]:
    """The environment's branch policies with ~DEFAULT_BRANCH made the real name."""
    expanded = []
    for entry in environment.policies:
        policy = dict(entry)
        if policy["name"] == DEFAULT_BRANCH_TOKEN:
            policy["name"] = repo.default_branch
        policy.setdefault("type", "branch")
        expanded.append(policy)
    return expanded


def sync_branch_policies(writer: Writer, repo: Repo, environment: Environment) -> None:
    path = environment_path(repo, environment.name) + "/deployment-branch-policies"
    existing: list[Any] = []
    if writer.can_read:
        try:
            existing = writer.read().get_all(
                f"{path}?per_page=100",
                action=f"list the branch policies of environment {environment.name!r}",
                key="branch_policies",
            )
        except ApiError as error:
            # A dry run plans for an environment that does not exist yet.
            if not (writer.dry_run and error.status == HTTPStatus.NOT_FOUND):
                raise
    wanted = expand(environment, repo)
    have = {
        (item.get("name"), item.get("type", "branch")): item.get("id")
        for item in existing
        if isinstance(item, dict)
    }
    # Create before deleting: in between, the environment allows fewer refs, never more.
    for policy in wanted:
        if (policy["name"], policy["type"]) not in have:
            writer.write(
                "POST",
                path,
                action=f"allow {policy['type']} {policy['name']!r} to deploy to "
                f"environment {environment.name!r}",
                body=policy,
            )
    keep = {(policy["name"], policy["type"]) for policy in wanted}
    for (name, kind), policy_id in have.items():
        if (name, kind) not in keep and isinstance(policy_id, int):
            writer.write(
                "DELETE",
                f"{path}/{policy_id}",
                action=f"remove {kind} {name!r} from environment {environment.name!r}",
            )


# -- 2. rulesets and the classic fallback ----------------------------------------------


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


def existing_rulesets(writer: Writer, repo: Repo) -> dict[str, int]:
    if not writer.can_read:
        return {}
    listed = writer.read().get_all(
        f"{repo.path}/rulesets?includes_parents=false&per_page=100",
        action=f"list the rulesets of {repo.full_name}",
    )
    found: dict[str, int] = {}
    for ruleset in listed:
        if (
            isinstance(ruleset, dict)
            and isinstance(ruleset.get("id"), int)
            and ruleset.get("source_type", "Repository") == "Repository"
        ):
            found.setdefault(str(ruleset.get("name")), ruleset["id"])
    return found


def put_or_post_ruleset(
    writer: Writer, repo: Repo, ruleset: Json, existing: dict[str, int]
) -> str:
    name = ruleset["name"]
    path = f"{repo.path}/rulesets"
    if name in existing:
        ruleset_id = existing[name]
        writer.write(
            "PUT",
            f"{path}/{ruleset_id}",
            action=f"update ruleset {name!r} of {repo.full_name}",
            body=ruleset,
        )
        return f"updated ruleset {name!r} (id {ruleset_id})"
    created = writer.write(
        "POST",
        path,
        action=f"create ruleset {name!r} on {repo.full_name}",
        body=ruleset,
    )
    new_id = created.get("id") if isinstance(created, dict) else None
    return f"created ruleset {name!r}" + (f" (id {new_id})" if new_id else "")


def protected_branch(ruleset: Json, repo: Repo) -> str:
    """The one branch a ruleset names, for classic protection; or say why none."""
    ref_name = (ruleset.get("conditions") or {}).get("ref_name") or {}
    include, exclude = ref_name.get("include") or [], ref_name.get("exclude") or []
    if len(include) == 1 and not exclude:
        ref = include[0]
        if ref == DEFAULT_BRANCH_TOKEN:
            return repo.default_branch
        if (
            isinstance(ref, str)
            and ref.startswith("refs/heads/")
            and not set("*?[") & set(ref)
        ):
            return ref.removeprefix("refs/heads/")
    raise UserError(
        f"ruleset {ruleset['name']!r} cannot become classic branch protection: it "
        f"must include exactly one branch and exclude none, got {include} / {exclude}",
        EXIT_DATA,
    )


def classic_body(ruleset: Json) -> tuple[Json, list[str]]:
    """Classic branch protection with the ruleset's meaning, and the rules it drops."""
    rules = {
        rule.get("type"): rule.get("parameters") or {}
        for rule in ruleset.get("rules", [])
        if isinstance(rule, dict)
    }
    checks = rules.get("required_status_checks")
    reviews = rules.get("pull_request")
    body: Json = {
        # "checks" alone: GitHub refuses a body that also has the deprecated "contexts"
        # ("More than one subschema in oneOf matched"), although its OpenAPI
        # description still marks "contexts" as required.
        "required_status_checks": None
        if checks is None
        else {
            "strict": bool(checks.get("strict_required_status_checks_policy")),
            "checks": [
                {"context": check["context"], "app_id": check.get("integration_id")}
                if check.get("integration_id") is not None
                else {"context": check["context"]}
                for check in checks.get("required_status_checks", [])
            ],
        },
        # Nobody bypasses the ruleset, so nobody bypasses classic protection either.
        "enforce_admins": not ruleset.get("bypass_actors"),
        "required_pull_request_reviews": None
        if reviews is None
        else {
            "dismiss_stale_reviews": bool(reviews.get("dismiss_stale_reviews_on_push")),
            "require_code_owner_reviews": bool(
                reviews.get("require_code_owner_review")
            ),
            "required_approving_review_count": int(
                reviews.get("required_approving_review_count", 0)
            ),
            "require_last_push_approval": bool(
                reviews.get("require_last_push_approval")
            ),
        },
        "restrictions": None,
        "required_linear_history": "required_linear_history" in rules,
        "allow_force_pushes": "non_fast_forward" not in rules,
        "allow_deletions": "deletion" not in rules,
        "required_conversation_resolution": bool(
            reviews and reviews.get("required_review_thread_resolution")
        ),
    }
    expressed = {
        "required_status_checks",
        "pull_request",
        "required_linear_history",
        "non_fast_forward",
        "deletion",
    }
    return body, sorted(str(kind) for kind in rules if kind not in expressed)


def apply_classic(writer: Writer, repo: Repo, ruleset: Json, outcome: Outcome) -> str:
    branch = protected_branch(ruleset, repo)
    body, dropped = classic_body(ruleset)
    if dropped:
        outcome.warn(
            f"ruleset {ruleset['name']!r}: classic protection has no "
            f"{', '.join(dropped)}"
        )
    writer.write(
        "PUT",
        branch_path(repo, branch) + "/protection",
        action=f"protect branch {branch!r} of {repo.full_name}",
        body=body,
    )
    return (
        f"set classic branch protection on {branch!r} from ruleset {ruleset['name']!r}"
    )


def apply_rulesets(
    writer: Writer, repo: Repo, rulesets: list[Json], mode: str
) -> Outcome:
    outcome = Outcome(writer.dry_run)
    if not rulesets:
        return outcome
    branch_rulesets = [r for r in rulesets if r.get("target", "branch") == "branch"]
    if mode == "classic":
        for ruleset in branch_rulesets:
            outcome.note(classic_or_plan_warning(writer, repo, ruleset, outcome, ""))
        for ruleset in rulesets:
            if ruleset not in branch_rulesets:
                outcome.warn(no_classic_equivalent(ruleset, "--mode classic"))
        return outcome
    try:
        existing = existing_rulesets(writer, repo)
        for ruleset in rulesets:
            outcome.note(put_or_post_ruleset(writer, repo, ruleset, existing))
    except ApiError as error:
        reason = fall_back_reason(error)
        if reason is None:
            raise
        if mode == "ruleset":
            error.context = " (where GitHub has no rulesets, use --mode auto)"
            raise
        # Some rulesets may be in place already; classic protection on top of a
        # branch ruleset only repeats it.
        for ruleset in branch_rulesets:
            outcome.note(
                classic_or_plan_warning(writer, repo, ruleset, outcome, reason)
            )
        for ruleset in rulesets:
            if ruleset not in branch_rulesets:
                outcome.warn(no_classic_equivalent(ruleset, reason))
    return outcome


def classic_or_plan_warning(
    writer: Writer, repo: Repo, ruleset: Json, outcome: Outcome, reason: str
) -> str:
    try:
        done = apply_classic(writer, repo, ruleset, outcome)
    except ApiError as error:
        if reason:
            error.context = f" (classic protection, tried as {reason})"
        if not plan_limited(error, repo):
            raise
        outcome.warn(
            f"ruleset {ruleset['name']!r} not applied: GitHub offers neither "
            "rulesets nor branch protection for this repository on its plan "
            f"({error.answer()}); "
            "make it public or move to a paid plan, then re-run",
            required=True,
        )
        return f"branch {repo.default_branch!r} left unprotected"
    return f"{done} ({reason})" if reason else done


def no_classic_equivalent(ruleset: Json, reason: str) -> str:
    return (
        f"ruleset {ruleset['name']!r} skipped: classic protection has no equivalent "
        f"for {ruleset.get('target')} rulesets ({reason})"
    )


# -- 2b. CODEOWNERS, which code-owner review depends on --------------------------------


def asks_code_owner_review(rulesets: Iterable[Json]) -> bool:
    return any(
        isinstance(rule, dict)
        and rule.get("type") == "pull_request"
        and (rule.get("parameters") or {}).get("require_code_owner_review") is True
        for ruleset in rulesets
        if ruleset.get("target", "branch") == "branch"
        for rule in ruleset.get("rules", [])
    )


def codeowners_errors(api: GitHub, repo: Repo, outcome: Outcome) -> list[Any] | None:
    """GitHub's check of CODEOWNERS on the default branch; None when it has none.

    No file there is itself a problem while code-owner review is on; a token without
    "Contents: read" cannot read the check on a private repository, which only warns.
    """
    branch = urllib.parse.quote(repo.default_branch, safe="")
    try:
        answer = api.request(
            "GET",
            f"{repo.path}/codeowners/errors?ref={branch}",
            action=f"read GitHub's check of the CODEOWNERS of {repo.full_name}",
        ).data
    except ApiError as error:
        if error.status == HTTPStatus.NOT_FOUND:
            problem = (
                "code-owner review is required, but GitHub finds no CODEOWNERS file "
                f"on branch {repo.default_branch!r} of {repo.full_name}: push "
                f".github/CODEOWNERS naming the maintainers ({CODEOWNERS_FIX})"
            )
            outcome.warn(problem)
            outcome.codeowners_problems.append(problem)
            return None
        if error.status == HTTPStatus.FORBIDDEN and not error.rate_limited:
            outcome.warn(
                "CODEOWNERS not checked: the token may not read it "
                f"({error.answer()}); give it 'Contents: read' as well, then re-run"
            )
            return None
        raise
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if not isinstance(errors, list):
        raise UserError("GitHub sent no list of CODEOWNERS errors", EXIT_API)
    return errors


def check_codeowners(writer: Writer, repo: Repo, policy: Policy) -> Outcome:
    """Warn, line by line, where CODEOWNERS gives code-owner review nobody to ask.

    GitHub ignores an owner it cannot resolve (a mistyped login, a team without
    write access, or "@org", an organization's own name, which is neither a user
    nor a team), so the paths of that line get no code owner and the review rule
    asks nobody for them: a single approval from anyone, including github-actions[bot]
    where workflows may approve pull requests, then merges them.
    """
    outcome = Outcome(writer.dry_run)
    if not writer.can_read:
        return outcome
    errors = codeowners_errors(writer.read(), repo, outcome)
    if errors is None:
        return outcome
    reported: set[int] = set()
    for entry in errors:
        if not isinstance(entry, dict):
            continue
        line = entry.get("line")
        reported.add(line if isinstance(line, int) else -1)
        suggestion = entry.get("suggestion")
        problem = (
            f"{entry.get('path') or 'CODEOWNERS'} line {line}: {entry.get('kind')}"
            f" in {one_line(str(entry.get('source') or ''))!r}: GitHub ignores it, so "
            "code-owner review asks nobody for those paths; "
            + (f"{one_line(str(suggestion))}; " if suggestion else "")
            + CODEOWNERS_FIX
        )
        outcome.warn(problem)
        outcome.codeowners_problems.append(problem)
    org_name = f"@{repo.owner}".lower()
    valid = 0
    for number, owners in policy.codeowners_rules:
        if number in reported:
            continue
        if repo.organization and org_name in (o.lower() for o in owners):
            # GitHub's check may not flag it; the owner is ignored all the same.
            problem = (
                f"CODEOWNERS line {number}: @{repo.owner} is the organization itself, "
                "which GitHub ignores as an owner, so code-owner review asks nobody "
                f"for those paths; {CODEOWNERS_FIX}"
            )
            outcome.warn(problem)
            outcome.codeowners_problems.append(problem)
        elif owners:
            valid += 1
    if not valid and not outcome.codeowners_problems:
        problem = (
            "CODEOWNERS names no owner, so code-owner review asks nobody; "
            f"{CODEOWNERS_FIX}"
        )
        outcome.warn(problem)
        outcome.codeowners_problems.append(problem)
    if not outcome.codeowners_problems and not writer.dry_run:
        outcome.note("CODEOWNERS: GitHub reports no errors")
    return outcome


# -- 3. repository settings ------------------------------------------------------------


def apply_workflow_permissions(writer: Writer, repo: Repo, settings: Json) -> Outcome:
    outcome = Outcome(writer.dry_run)
    try:
        writer.write(
            "PUT",
            f"{repo.path}/actions/permissions/workflow",
            action=f"set the workflow permissions of {repo.full_name}",
            body=settings,
        )
    except ApiError as error:
        if error.status != HTTPStatus.CONFLICT:
            raise
        outcome.warn(
            "workflow permissions not applied: the organization's Actions settings "
            f"decide them ({error.answer()}); ask an organization owner to allow "
            f"{json.dumps(settings, sort_keys=True)}"
        )
        return outcome
    approve = settings.get("can_approve_pull_request_reviews")
    outcome.note(
        "workflow token: default permissions "
        f"{settings.get('default_workflow_permissions', 'unchanged')}, may "
        f"{'' if approve else 'not '}create and approve pull requests"
    )
    return outcome


def read_if_present(writer: Writer, path: str, action: str) -> Any:
    """What GET answers at path; None when it is not there (404) or without a token."""
    if not writer.can_read:
        return None
    try:
        return writer.read().request("GET", path, action=action).data
    except ApiError as error:
        if error.status != HTTPStatus.NOT_FOUND:
            raise
        return None


def apply_labels(writer: Writer, repo: Repo, labels: list[Json]) -> Outcome:
    """Create each label, or bring its colour and description back to the data's."""
    outcome = Outcome(writer.dry_run)
    for label in labels:
        name = label["name"]
        path = f"{repo.path}/labels/{urllib.parse.quote(name, safe='')}"
        doing = "read"
        try:
            found = read_if_present(writer, path, f"read the label {name!r}")
            if found is None:
                doing = "create"
                writer.write(
                    "POST",
                    f"{repo.path}/labels",
                    action=f"create the label {name!r}",
                    body=label,
                )
                outcome.note(f"label {name!r}: created")
            elif any(
                str(found.get(key) or "").casefold() != label[key].casefold()
                for key in ("color", "description")
            ):
                doing = "update"
                body = {key: label[key] for key in ("color", "description")}
                writer.write(
                    "PATCH", path, action=f"update the label {name!r}", body=body
                )
                outcome.note(f"label {name!r}: colour and description updated")
            else:
                outcome.note(f"label {name!r}: as in the data")
        except ApiError as error:
            if error.status != HTTPStatus.FORBIDDEN or error.rate_limited:
                raise
            outcome.warn(
                f"label {name!r} not checked or changed: the token may not {doing} "
                f"labels ({error.answer()}); a fine-grained token needs 'Issues: "
                "write', or make it by hand in Issues > Labels"
            )
    return outcome


def enable_vulnerability_reporting(writer: Writer, repo: Repo) -> Outcome:
    """Turn on private vulnerability reporting, which SECURITY.md sends reporters to."""
    outcome = Outcome(writer.dry_run)
    try:
        writer.write(
            "PUT",
            f"{repo.path}/private-vulnerability-reporting",
            action=f"enable private vulnerability reporting on {repo.full_name}",
        )
    except ApiError as error:
        if error.status not in REPORTING_REFUSALS or error.rate_limited:
            raise
        outcome.warn(
            "private vulnerability reporting not enabled "
            f"({error.answer()}): GitHub offers it to public repositories; until it "
            "is on, reporters have only the e-mail address in SECURITY.md"
        )
        return outcome
    outcome.note("private vulnerability reporting: enabled")
    return outcome


# -- 4. GitHub Pages, for the documentation site ---------------------------------------


def apply_pages(writer: Writer, repo: Repo, pages: Json) -> Outcome:
    """Publish Pages from workflows, then set the variable that lets ci.yml deploy."""
    outcome = Outcome(writer.dry_run)
    path = f"{repo.path}/pages"
    doing = "read"
    try:
        site = read_if_present(writer, path, f"read the Pages site of {repo.full_name}")
        if site is not None and not isinstance(site, dict):
            raise UserError(f"GitHub sent no Pages site for {repo.full_name}", EXIT_API)
        if repo.private:
            outcome.warn(
                f"GitHub Pages not switched on: {repo.full_name} is private, and its "
                "Pages site would be public on every plan but Enterprise Cloud; the "
                "site is still built and attached to every run (docs/deployment.md, "
                "'Documentation site', says how to publish it anyway)"
            )
            if site is not None:
                outcome.warn(
                    f"a Pages site of private {repo.full_name} is online at "
                    f"{site.get('html_url') or 'its github.io address'}; publish-docs "
                    "no longer deploys to it, but it stays until you unpublish it "
                    "(Settings > Pages)"
                )
            return outcome
        if site is None:
            doing = "create"
            writer.write("POST", path, action="switch GitHub Pages on", body=pages)
            outcome.note("GitHub Pages: on, published by workflows")
        elif site.get("build_type") != pages["build_type"]:
            outcome.warn(
                "GitHub Pages left as it is: it publishes "
                f"{site.get('html_url') or 'a site'} from a branch "
                f"({site.get('build_type')}), which the documentation site would "
                "replace; to publish it instead, choose Settings > Pages > Source: "
                "GitHub Actions and run this again"
            )
            return outcome
        else:
            outcome.note("GitHub Pages: as in the data")
    except ApiError as error:
        if error.status != HTTPStatus.FORBIDDEN or error.rate_limited:
            raise
        outcome.warn(
            f"GitHub Pages not switched on: the token may not {doing} it "
            f"({error.answer()}); a fine-grained token needs 'Pages: write', or choose "
            "Settings > Pages > Source: GitHub Actions by hand and set the variable "
            f"{PAGES_VARIABLE}=true"
        )
        return outcome
    set_variable(writer, repo, PAGES_VARIABLE, "true", outcome)
    return outcome


def set_variable(
    writer: Writer, repo: Repo, name: str, value: str, outcome: Outcome
) -> None:
    """Create the repository's Actions variable, or bring it back to `value`."""
    path = f"{repo.path}/actions/variables/{name}"
    doing = "read"
    try:
        found = read_if_present(writer, path, f"read the variable {name}")
        if found is None:
            doing = "create"
            writer.write(
                "POST",
                f"{repo.path}/actions/variables",
                action=f"create the variable {name}",
                body={"name": name, "value": value},
            )
            outcome.note(f"variable {name}: created, {value}")
        elif found.get("value") != value:
            doing = "update"
            writer.write(
                "PATCH",
                path,
                action=f"update the variable {name}",
                body={"name": name, "value": value},
            )
            outcome.note(f"variable {name}: set to {value}")
        else:
            outcome.note(f"variable {name}: as in the data")
    except ApiError as error:
        if error.status != HTTPStatus.FORBIDDEN or error.rate_limited:
            raise
        outcome.warn(
            f"variable {name} not set: the token may not {doing} variables "
            f"({error.answer()}); a fine-grained token needs 'Variables: write', or "
            f"set {name}={value} by hand in Settings > Secrets and variables > Actions"
        )


# -- the run ---------------------------------------------------------------------------


def run(options: Options, environ: Mapping[str, str]) -> int:
    owner, name = parse_repo(options.repo or environ.get("GITHUB_REPOSITORY"))
    base_url = api_base_url(environ.get("GITHUB_API_URL") or DEFAULT_API_URL)
    policy = load_policy(options.github_dir.resolve())
    token = environ.get("GH_TOKEN") or environ.get("GITHUB_TOKEN") or None
    if token is None and options.dry_run and not options.default_branch:
        raise UserError(
            "no token: --dry-run without a token must be told --default-branch; "
            "pass it, or set GH_TOKEN or GITHUB_TOKEN",
            EXIT_AUTH,
        )
    if token is None and not options.dry_run:
        raise UserError(
            "no token: set GH_TOKEN or GITHUB_TOKEN to a token with 'Administration: "
            f"write' on {owner}/{name}, or use --dry-run to only print the settings",
            EXIT_AUTH,
        )
    api = None
    if token is not None:
        api = GitHub(
            base_url, token, options.retries, options.retry_wait, options.timeout
        )
    writer = Writer(api, options.dry_run)
    repo = read_repo(writer, owner, name, options.default_branch)
    rulesets = [
        with_reviews(r, options.reviews, has_codeowners=policy.has_codeowners)
        for r in policy.rulesets
    ]
    outcomes = [apply_environments(writer, repo, policy, options.reviewers)]
    outcomes.append(apply_rulesets(writer, repo, rulesets, options.mode))
    if policy.has_codeowners and asks_code_owner_review(rulesets):
        outcomes.append(check_codeowners(writer, repo, policy))
    if policy.workflow_permissions is not None:
        outcomes.append(
            apply_workflow_permissions(writer, repo, policy.workflow_permissions)
        )
    if policy.labels:
        outcomes.append(apply_labels(writer, repo, policy.labels))
    if policy.private_vulnerability_reporting:
        outcomes.append(enable_vulnerability_reporting(writer, repo))
    if policy.pages is not None:
        outcomes.append(apply_pages(writer, repo, policy.pages))
    if options.dry_run:
        print(json.dumps(writer.plan, indent=2))
        unread = "" if writer.can_read else "; without a token: reviewers left out"
        print(
            f"{PROG}: dry run, nothing sent ({len(writer.plan)} write(s) planned for "
            f"{repo.full_name}{unread})",
            file=sys.stderr,
        )
        return EXIT_OK
    missing = [line for outcome in outcomes for line in outcome.missing_required]
    if missing:
        raise UserError(
            f"{len(missing)} required setting(s) not applied on {repo.full_name} "
            "because of GitHub's plan (see the warnings above); the rest is applied",
            EXIT_PLAN,
        )
    unowned = [line for outcome in outcomes for line in outcome.codeowners_problems]
    if unowned:
        approve = (policy.workflow_permissions or {}).get(
            "can_approve_pull_request_reviews"
        )
        bot = (
            ", and workflows may approve pull requests here, so github-actions[bot] "
            "can give that approval"
            if approve
            else ""
        )
        raise UserError(
            f"{len(unowned)} CODEOWNERS problem(s) on {repo.full_name} (see the "
            "warnings above): code-owner review asks nobody for those paths, so one "
            f"approval from anyone merges them{bot}; fix CODEOWNERS "
            f"({CODEOWNERS_FIX}), push it, and re-run; everything else is applied",
            EXIT_CODEOWNERS,
        )
    return EXIT_OK


def explain(error: ApiError) -> UserError:
    if error.rate_limited:
        advice, exit_code = RATE_LIMIT_ADVICE
    elif error.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        advice = f"GitHub failed {error.attempts} time(s): try again later"
        exit_code = EXIT_UNAVAILABLE
    else:
        advice, exit_code = ADVICE.get(error.status, UNEXPECTED_ADVICE)
    return UserError(
        f"could not {error.action} ({error.answer()}){error.context}; {advice}",
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


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = -1  # matches no real origin
    return scheme, (parts.hostname or "").lower(), port


def origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


def same_origin(url: str, base_url: str) -> bool:
    return origin(url) == origin(base_url)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv, os.environ)
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
