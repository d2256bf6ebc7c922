"""The baked project's .github/scripts/protect_branch.py, run for real.

Each test runs the script as a subprocess against a local GitHub stand-in that checks
every request body against GitHub's own OpenAPI description (tests/github_api/).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from github_api.install import OpenApiUnavailable, ensure_installed
from github_api.openapi import Description
from github_api.server import FakeGitHub, Repository, closed_port_url, serve

pytestmark = pytest.mark.scripts

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "{{cookiecutter.project_slug}}" / ".github" / "scripts" / "protect_branch.py"
# Variables the script reads; the developer's or CI's own values must not leak in.
SCRIPT_ENV = ("GH_TOKEN", "GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL")

# The script's documented exit codes.
USAGE, AUTH, FORBIDDEN, NOT_FOUND, INVALID, UNAVAILABLE = 2, 3, 4, 5, 6, 7

RULESETS = "repos/get-repo-rulesets"
CREATE = "repos/create-repo-ruleset"
UPDATE = "repos/update-repo-ruleset"
CLASSIC = "repos/update-branch-protection"

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def description() -> Description:
    try:
        path = ensure_installed()
    except OpenApiUnavailable as problem:
        pytest.fail(f"GitHub's OpenAPI description is unavailable: {problem}", pytrace=False)
    return Description.load(path)


@pytest.fixture
def github(description: Description) -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(description)) as fake:
        yield fake
    assert fake.violations == [], "requests GitHub would refuse"


@pytest.fixture
def run(github: FakeGitHub) -> Run:
    """Run the script as a workflow step would, against the stand-in."""

    def run_script(
        *args: str,
        token: str | None = "admin-token",
        api_url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        environ = {key: value for key, value in os.environ.items() if key not in SCRIPT_ENV}
        environ |= {"GITHUB_REPOSITORY": "octo/demo", "GITHUB_API_URL": api_url or github.url}
        if token is not None:
            environ["GH_TOKEN"] = token
        environ |= env or {}
        result = subprocess.run(
            [sys.executable, str(SCRIPT), "--retry-wait", "0", *args],
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert github.violations == [], result.stderr
        return result

    return run_script


def assert_fails_cleanly(result: subprocess.CompletedProcess[str], exit_code: int, *says: str) -> str:
    assert result.returncode == exit_code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("protect_branch: error: ")
    for text in says:
        assert text in lines[0]
    return lines[0]


def rules_by_type(ruleset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["type"]: rule.get("parameters", {}) for rule in ruleset["rules"]}


def demo(github: FakeGitHub) -> Repository:
    return github.repos["octo/demo"]


# -- rulesets ---------------------------------------------------------------------------


def test_first_run_creates_the_ruleset(run: Run, github: FakeGitHub) -> None:
    result = run()

    assert result.returncode == 0, result.stderr
    assert "created ruleset 'protect-default-branch'" in result.stdout
    [ruleset] = demo(github).rulesets
    assert len(github.calls_to(CREATE)) == 1
    assert ruleset["name"] == "protect-default-branch"
    assert ruleset["target"] == "branch"
    assert ruleset["enforcement"] == "active"
    assert ruleset["conditions"]["ref_name"]["include"] == ["refs/heads/main"]
    rules = rules_by_type(ruleset)
    assert set(rules) == {
        "deletion",
        "non_fast_forward",
        "required_linear_history",
        "pull_request",
        "required_status_checks",
    }
    assert rules["pull_request"]["required_approving_review_count"] == 1
    assert rules["pull_request"]["dismiss_stale_reviews_on_push"] is True
    assert rules["pull_request"]["required_review_thread_resolution"] is True
    checks = rules["required_status_checks"]
    assert checks["strict_required_status_checks_policy"] is True
    assert checks["required_status_checks"] == [{"context": "ci-passed", "integration_id": 15368}]


def test_second_run_updates_the_same_ruleset(run: Run, github: FakeGitHub) -> None:
    assert run().returncode == 0
    [created] = demo(github).rulesets

    result = run("--reviews", "2", "--check", "all-green")

    assert result.returncode == 0, result.stderr
    assert "updated ruleset" in result.stdout
    assert len(github.calls_to(CREATE)) == 1
    [update] = github.calls_to(UPDATE)
    assert update.path == f"/repos/octo/demo/rulesets/{created['id']}"
    [ruleset] = demo(github).rulesets
    assert ruleset["id"] == created["id"]
    rules = rules_by_type(ruleset)
    assert rules["pull_request"]["required_approving_review_count"] == 2
    assert rules["required_status_checks"]["required_status_checks"][0]["context"] == ("all-green")


def test_finds_its_ruleset_on_a_later_page(run: Run, github: FakeGitHub) -> None:
    github.max_per_page = 2
    names = ["release-tags", "docs", "nightly", "protect-default-branch"]
    demo(github).rulesets = [
        {"id": n, "name": name, "target": "branch", "enforcement": "disabled"}
        for n, name in enumerate(names, start=1)
    ]

    result = run()

    assert result.returncode == 0, result.stderr
    assert len(github.calls_to(RULESETS)) == 2
    assert github.calls_to(CREATE) == []
    assert [call.path for call in github.calls_to(UPDATE)] == ["/repos/octo/demo/rulesets/4"]
    assert demo(github).rulesets[-1]["enforcement"] == "active"


def test_protects_the_default_branch_when_none_is_named(run: Run, github: FakeGitHub) -> None:
    github.repos["octo/demo"] = Repository(default_branch="trunk", branches={"trunk"})

    result = run()

    assert result.returncode == 0, result.stderr
    assert len(github.calls_to("repos/get")) == 1
    [ruleset] = demo(github).rulesets
    assert ruleset["conditions"]["ref_name"]["include"] == ["refs/heads/trunk"]


def test_gh_token_wins_over_github_token(run: Run, github: FakeGitHub) -> None:
    result = run(token="admin-token", env={"GITHUB_TOKEN": "reader-token"})

    assert result.returncode == 0, result.stderr
    assert len(demo(github).rulesets) == 1


# -- classic protection and the fallback ------------------------------------------------


def test_classic_mode_sets_branch_protection(run: Run, github: FakeGitHub) -> None:
    result = run("--mode", "classic", "--branch", "main")

    assert result.returncode == 0, result.stderr
    assert github.calls_to(RULESETS) == []
    protection = demo(github).protection["main"]
    assert protection["required_status_checks"] == {
        "strict": True,
        "checks": [{"context": "ci-passed", "app_id": 15368}],
    }
    assert protection["enforce_admins"] is True
    assert protection["required_pull_request_reviews"]["required_approving_review_count"] == 1
    assert protection["required_pull_request_reviews"]["dismiss_stale_reviews"] is True
    assert protection["restrictions"] is None
    assert protection["required_linear_history"] is True
    assert protection["allow_force_pushes"] is False
    assert protection["allow_deletions"] is False
    assert protection["required_conversation_resolution"] is True


@pytest.mark.parametrize(
    ("status", "steer"),
    [
        pytest.param(404, "no-endpoint", id="404-server-without-rulesets"),
        pytest.param(403, "upgrade", id="403-plan-without-rulesets"),
    ],
)
def test_auto_falls_back_to_classic(run: Run, github: FakeGitHub, status: int, steer: str) -> None:
    if steer == "no-endpoint":
        demo(github).rulesets_available = False
    else:
        upgrade = "Upgrade to GitHub Pro or make this repository public to enable this feature."
        github.force(RULESETS, 403, {"message": upgrade})

    result = run()

    assert result.returncode == 0, result.stderr
    assert f"rulesets answered {status}" in result.stdout
    assert demo(github).rulesets == []
    assert "main" in demo(github).protection


def test_ruleset_mode_does_not_fall_back(run: Run, github: FakeGitHub) -> None:
    demo(github).rulesets_available = False

    result = run("--mode", "ruleset")

    assert_fails_cleanly(result, NOT_FOUND, "rulesets", "--mode auto")
    assert github.calls_to(CLASSIC) == []


def test_auto_never_falls_back_on_401(run: Run, github: FakeGitHub) -> None:
    github.force(RULESETS, 401, {"message": "Bad credentials"})

    result = run()

    assert_fails_cleanly(result, AUTH, "Bad credentials", "GH_TOKEN")
    assert github.calls_to(CLASSIC) == []


def test_auto_does_not_fall_back_on_a_rate_limit(run: Run, github: FakeGitHub) -> None:
    github.force(
        RULESETS,
        403,
        {"message": "API rate limit exceeded"},
        headers={"X-RateLimit-Remaining": "0"},
    )

    result = run()

    assert_fails_cleanly(result, UNAVAILABLE, "rate limit")
    assert github.calls_to(CLASSIC) == []


# -- dry run ----------------------------------------------------------------------------


def test_dry_run_needs_no_token_and_sends_nothing(
    run: Run, github: FakeGitHub, description: Description
) -> None:
    result = run("--dry-run", "--branch", "main", "--reviews", "0", token=None)

    assert result.returncode == 0, result.stderr
    assert github.calls == []
    body = json.loads(result.stdout)
    for operation_id in (CREATE, UPDATE):
        assert description.body_errors(description.by_id[operation_id], body) == []
    assert rules_by_type(body)["pull_request"]["required_approving_review_count"] == 0


def test_dry_run_of_classic_mode_prints_a_valid_body(
    run: Run, github: FakeGitHub, description: Description
) -> None:
    result = run("--dry-run", "--mode", "classic", "--repo", "octo/demo", "--branch", "main")

    assert result.returncode == 0, result.stderr
    assert github.calls == []
    body = json.loads(result.stdout)
    assert description.body_errors(description.by_id[CLASSIC], body) == []


def test_dry_run_reads_the_default_branch_but_writes_nothing(run: Run, github: FakeGitHub) -> None:
    github.repos["octo/demo"] = Repository(default_branch="trunk", branches={"trunk"})

    result = run("--dry-run")

    assert result.returncode == 0, result.stderr
    assert [call.operation_id for call in github.calls] == ["repos/get"]
    assert json.loads(result.stdout)["conditions"]["ref_name"]["include"] == ["refs/heads/trunk"]


def test_dry_run_without_branch_or_token_says_what_to_pass(run: Run, github: FakeGitHub) -> None:
    assert_fails_cleanly(run("--dry-run", token=None), AUTH, "--branch")
    assert github.calls == []


# -- failures: one actionable line, a documented exit code, no traceback ----------------


def test_missing_token(run: Run, github: FakeGitHub) -> None:
    assert_fails_cleanly(run(token=None), AUTH, "GH_TOKEN", "GITHUB_TOKEN")
    assert github.calls == []


def test_rejected_token(run: Run) -> None:
    assert_fails_cleanly(run(token="expired-token"), AUTH, "Bad credentials")


@pytest.mark.parametrize("mode", ["auto", "ruleset", "classic"])
def test_token_without_admin_rights(run: Run, github: FakeGitHub, mode: str) -> None:
    result = run("--mode", mode, token="reader-token")

    assert_fails_cleanly(result, FORBIDDEN, "Administration: write", "403")
    assert demo(github).rulesets == []
    assert demo(github).protection == {}


def test_unknown_repository(run: Run) -> None:
    result = run("--repo", "octo/missing")

    assert_fails_cleanly(result, NOT_FOUND, "octo/missing", "404")


@pytest.mark.parametrize("mode", ["auto", "classic"])
def test_unknown_branch(run: Run, github: FakeGitHub, mode: str) -> None:
    result = run("--mode", mode, "--branch", "mian")

    assert_fails_cleanly(result, NOT_FOUND, "'mian'", "Branch not found")
    assert github.writes() == []


def test_validation_message_from_github_is_shown(run: Run, github: FakeGitHub) -> None:
    github.force(
        CREATE,
        422,
        {
            "message": "Validation Failed",
            "errors": [
                {
                    "resource": "Ruleset",
                    "field": "rules",
                    "code": "invalid",
                    "message": "Required status check 'ci-passed' is not a valid context",
                }
            ],
            "documentation_url": "https://docs.github.com/rest/repos/rules",
        },
    )

    result = run()

    assert_fails_cleanly(result, INVALID, "Validation Failed", "Ruleset.rules: Required status check")


def test_server_errors_are_retried_a_bounded_number_of_times(run: Run, github: FakeGitHub) -> None:
    github.force("repos/get-branch", 502, {"message": "Server Error"})

    result = run("--branch", "main", "--retries", "2")

    assert_fails_cleanly(result, UNAVAILABLE, "502", "3 time(s)")
    assert len(github.calls_to("repos/get-branch")) == 3


def test_a_failed_create_is_not_blindly_repeated(run: Run, github: FakeGitHub) -> None:
    github.force(CREATE, 500, {"message": "Server Error"})

    result = run("--retries", "3")

    assert_fails_cleanly(result, UNAVAILABLE, "500")
    assert len(github.calls_to(CREATE)) == 1


def test_a_passing_server_error_is_survived(run: Run, github: FakeGitHub) -> None:
    github.force(RULESETS, 503, {"message": "Service Unavailable"}, times=1)

    result = run("--retries", "1")

    assert result.returncode == 0, result.stderr
    assert len(demo(github).rulesets) == 1


def test_unreachable_api(run: Run) -> None:
    result = run("--branch", "main", "--retries", "1", api_url=closed_port_url())

    assert_fails_cleanly(result, UNAVAILABLE, "cannot reach 127.0.0.1", "2 attempt(s)")


@pytest.mark.parametrize(
    "repo",
    [
        pytest.param("octo", id="no-slash"),
        pytest.param("octo/demo/extra", id="too-many-parts"),
        pytest.param("octo/de mo", id="space"),
        pytest.param("octo/..", id="dot-dot"),
        pytest.param("https://github.com/octo/demo", id="url"),
    ],
)
def test_bad_repo_argument(run: Run, github: FakeGitHub, repo: str) -> None:
    assert_fails_cleanly(run("--repo", repo), USAGE, "OWNER/NAME", repr(repo))
    assert github.calls == []


def test_no_repository_at_all(run: Run, github: FakeGitHub) -> None:
    result = run(env={"GITHUB_REPOSITORY": ""})

    assert_fails_cleanly(result, USAGE, "--repo", "GITHUB_REPOSITORY")
    assert github.calls == []


@pytest.mark.parametrize(
    "api_url",
    [
        pytest.param("http://example.com", id="plain-http-off-loopback"),
        pytest.param("ftp://127.0.0.1", id="not-http"),
        pytest.param("http://127.0.0.1:notaport", id="bad-port"),
    ],
)
def test_unusable_api_url_is_refused_before_any_request(run: Run, api_url: str) -> None:
    assert_fails_cleanly(run(api_url=api_url), USAGE, "GITHUB_API_URL")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--reviews", "11"], id="too-many-reviews"),
        pytest.param(["--mode", "both"], id="unknown-mode"),
        pytest.param(["--check", " "], id="blank-check"),
    ],
)
def test_bad_options_get_one_line(run: Run, github: FakeGitHub, args: list[str]) -> None:
    assert_fails_cleanly(run(*args), USAGE, "see --help")
    assert github.calls == []


# -- the script as a template file, and the stand-in itself ----------------------------


def test_script_is_copied_unrendered_so_holds_no_jinja() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    assert "{{" not in text
    assert "{%" not in text


@pytest.mark.parametrize(
    ("operation_id", "path", "body", "complaint"),
    [
        pytest.param(
            CREATE,
            "/repos/octo/demo/rulesets",
            {"name": "x", "enforcement": "active", "rules": [{"type": "deletion"}], "bypas_actors": []},
            "bypas_actors",
            id="misspelt-ruleset-key",
        ),
        pytest.param(
            CLASSIC,
            "/repos/octo/demo/branches/main/protection",
            {
                "required_status_checks": {
                    "strict": True,
                    "contexts": ["ci-passed"],
                    "checks": [{"context": "ci-passed"}],
                },
                "enforce_admins": True,
                "required_pull_request_reviews": None,
                "restrictions": None,
            },
            "oneOf",
            id="checks-and-contexts-together",
        ),
    ],
)
def test_stand_in_refuses_bodies_github_would_refuse(
    github: FakeGitHub, operation_id: str, path: str, body: Any, complaint: str
) -> None:
    method = "POST" if operation_id == CREATE else "PUT"
    request = urllib.request.Request(
        github.url + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": "Bearer admin-token", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()

    assert refused.value.code == 422
    assert any(complaint in violation for violation in github.violations)
    github.violations.clear()
