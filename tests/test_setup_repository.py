"""The baked project's .github/scripts/setup_repository.py, run for real.

Each test runs the script of a real bake as a subprocess, on the bake's own data files
(.github/rulesets, .github/environments, .github/repository.json), against a local
GitHub stand-in that checks every request body against GitHub's own OpenAPI
description (tests/github_api/).
"""

from __future__ import annotations

import copy
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
from conftest import Bake, Project
from github_api.openapi import Description
from github_api.server import Environment, FakeGitHub, Repository, closed_port_url, other_host, serve
from support.github_policy import environments_named_by_workflows

pytestmark = pytest.mark.scripts

SCRIPT = Path(".github/scripts/setup_repository.py")
# Variables the script reads; the developer's or CI's own values must not leak in.
SCRIPT_ENV = (
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GITHUB_REPOSITORY",
    "GITHUB_API_URL",
    "GITHUB_ACTOR",
    "GITHUB_TRIGGERING_ACTOR",
)

# The script's documented exit codes.
API, USAGE, AUTH, FORBIDDEN, NOT_FOUND, INVALID, UNAVAILABLE = 1, 2, 3, 4, 5, 6, 7
PLAN, OTHER_HOST, DATA, NOT_ADMIN, CODEOWNERS = 8, 9, 10, 11, 12

RULESETS = "repos/get-repo-rulesets"
CREATE = "repos/create-repo-ruleset"
UPDATE = "repos/update-repo-ruleset"
CLASSIC = "repos/update-branch-protection"
PUT_ENVIRONMENT = "repos/create-or-update-environment"
CREATE_POLICY = "repos/create-deployment-branch-policy"
DELETE_POLICY = "repos/delete-deployment-branch-policy"
WORKFLOW_PERMISSIONS = "actions/set-github-actions-default-workflow-permissions-repository"
PERMISSION = "repos/get-collaborator-permission-level"
CODEOWNERS_ERRORS = "repos/codeowners-errors"
GET_LABEL = "issues/get-label"
CREATE_LABEL = "issues/create-label"
UPDATE_LABEL = "issues/update-label"
REPORTING = "repos/enable-private-vulnerability-reporting"
# What a bake's .github/repository.json asks for after the workflow permissions.
SETTINGS_WRITES = [WORKFLOW_PERMISSIONS, CREATE_LABEL, REPORTING]

BRANCH_RULESET = "protect-default-branch"
# A project with a second maintainer: the data's default (0, one maintainer) raised by one.
TEAM = ("--reviews", "1")
TAG_RULESET = "protect-release-tags"
# GitHub's ids of the repository roles a ruleset may let bypass it.
REPOSITORY_ADMIN_ROLE = 5

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def github(description: Description) -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(description)) as fake:
        yield fake
    assert fake.violations == [], "requests GitHub would refuse"


@pytest.fixture
def project(bake: Bake) -> Project:
    """The default bake: PyPI publishing, template sync on, a CODEOWNERS file."""
    return bake()


@pytest.fixture
def run(github: FakeGitHub, project: Project) -> Run:
    """Run a bake's script as a workflow step would, against the stand-in."""

    def run_script(
        *args: str,
        token: str | None = "admin-token",
        api_url: str | None = None,
        env: dict[str, str] | None = None,
        baked: Project | None = None,
    ) -> subprocess.CompletedProcess[str]:
        environ = {key: value for key, value in os.environ.items() if key not in SCRIPT_ENV}
        environ |= {
            "GITHUB_REPOSITORY": "octo/demo",
            "GITHUB_API_URL": api_url or github.url,
            "GITHUB_ACTOR": "octocat",
        }
        if token is not None:
            environ["GH_TOKEN"] = token
        environ |= env or {}
        where = (baked or project).path
        result = subprocess.run(
            [sys.executable, str(where / SCRIPT), "--retry-wait", "0", *args],
            cwd=where,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert github.violations == [], result.stderr
        return result

    return run_script


def error_line(result: subprocess.CompletedProcess[str], exit_code: int, *says: str) -> str:
    """The run failed with this code and exactly one error line saying all of `says`."""
    assert result.returncode == exit_code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("setup_repository: error: ")]
    assert len(errors) == 1, result.stderr
    for text in says:
        assert text in errors[0]
    return errors[0]


def fails_cleanly(result: subprocess.CompletedProcess[str], exit_code: int, *says: str) -> str:
    """As error_line(), and the error is all the script printed on stderr."""
    line = error_line(result, exit_code, *says)
    assert result.stderr.splitlines() == [line]
    return line


def warnings(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("setup_repository: warning: ")]


def demo(github: FakeGitHub) -> Repository:
    return github.repos["octo/demo"]


def ruleset_named(github: FakeGitHub, name: str) -> dict[str, Any]:
    [ruleset] = [r for r in demo(github).rulesets if r["name"] == name]
    return ruleset


def rules_by_type(ruleset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["type"]: rule.get("parameters", {}) for rule in ruleset["rules"]}


def refs(environment: Environment) -> set[tuple[str, str]]:
    return {(policy["type"], policy["name"]) for policy in environment.policies.values()}


def snapshot(github: FakeGitHub) -> dict[str, Any]:
    repo = demo(github)
    return copy.deepcopy(
        {
            "rulesets": repo.rulesets,
            "protection": repo.protection,
            "environments": {
                name: (env.id, env.settings, env.policies) for name, env in repo.environments.items()
            },
            "workflow_permissions": repo.workflow_permissions,
        }
    )


# -- the first run applies every data file --------------------------------------------------


def test_first_run_applies_rulesets_environments_and_settings(run: Run, github: FakeGitHub) -> None:
    result = run()

    assert result.returncode == 0, result.stderr
    assert warnings(result) == []
    assert f"created ruleset '{BRANCH_RULESET}'" in result.stdout
    branch = ruleset_named(github, BRANCH_RULESET)
    assert branch["target"] == "branch"
    assert branch["enforcement"] == "active"
    assert branch["bypass_actors"] == []
    # GitHub's own name for the default branch: the ruleset follows a rename.
    assert branch["conditions"]["ref_name"] == {"include": ["~DEFAULT_BRANCH"], "exclude": []}
    rules = rules_by_type(branch)
    assert set(rules) == {
        "deletion",
        "non_fast_forward",
        "required_linear_history",
        "pull_request",
        "required_status_checks",
    }
    # A single maintainer can merge: pull requests and ci-passed, but nobody's approval (one
    # cannot approve one's own pull request), so no code-owner or last-push approval either.
    assert rules["pull_request"] == {
        "required_approving_review_count": 0,
        "dismiss_stale_reviews_on_push": True,
        "require_code_owner_review": False,
        "require_last_push_approval": False,
        "required_review_thread_resolution": True,
    }
    checks = rules["required_status_checks"]
    assert checks["strict_required_status_checks_policy"] is True
    assert checks["required_status_checks"] == [{"context": "ci-passed", "integration_id": 15368}]

    tags = ruleset_named(github, TAG_RULESET)
    assert tags["target"] == "tag"
    assert tags["conditions"]["ref_name"]["include"] == ["refs/tags/v*"]
    assert set(rules_by_type(tags)) == {"creation", "update", "deletion", "non_fast_forward"}
    assert {(a["actor_type"], a["actor_id"], a["bypass_mode"]) for a in tags["bypass_actors"]} == {
        ("RepositoryRole", REPOSITORY_ADMIN_ROLE, "always"),
    }

    environments = demo(github).environments
    assert set(environments) == {"repository-admin", "template-sync", "testpypi", "pypi"}
    assert refs(environments["repository-admin"]) == {("branch", "main")}
    assert refs(environments["template-sync"]) == {("branch", "main")}
    assert refs(environments["testpypi"]) == {("tag", "v*")}
    assert refs(environments["pypi"]) == {("tag", "v*")}
    octocat = [{"type": "User", "id": github.users["octocat"]}]
    assert environments["repository-admin"].settings["reviewers"] == octocat
    assert environments["pypi"].settings["reviewers"] == octocat
    assert "reviewers" not in environments["testpypi"].settings
    assert "reviewers" not in environments["template-sync"].settings

    # The weekly template sync opens its pull request with the workflow token.
    assert demo(github).workflow_permissions == {
        "default_workflow_permissions": "read",
        "can_approve_pull_request_reviews": True,
    }


def test_environments_are_restricted_before_anything_else(run: Run, github: FakeGitHub) -> None:
    assert run().returncode == 0
    writes = [call.operation_id for call in github.writes()]
    first_ruleset = writes.index(CREATE)
    assert set(writes[:first_ruleset]) == {PUT_ENVIRONMENT, CREATE_POLICY}
    assert writes[-3:] == SETTINGS_WRITES


def test_without_template_sync_workflows_may_not_approve_pull_requests(
    run: Run, github: FakeGitHub, bake: Bake
) -> None:
    result = run(baked=bake(template_sync=False))

    assert result.returncode == 0, result.stderr
    assert "template-sync" not in demo(github).environments
    assert demo(github).workflow_permissions == {
        "default_workflow_permissions": "read",
        "can_approve_pull_request_reviews": False,
    }


# -- running again: idempotent, updates in place ---------------------------------------------


def test_second_run_changes_nothing(run: Run, github: FakeGitHub) -> None:
    assert run().returncode == 0
    before = snapshot(github)
    first_writes = len(github.writes())

    result = run()

    assert result.returncode == 0, result.stderr
    assert snapshot(github) == before
    again = github.writes()[first_writes:]
    # Found by name and updated in place: no new ruleset, no new or removed policy.
    # The label is found as it is and left alone; enabling reporting again is a no-op PUT.
    assert {call.operation_id for call in again} == {UPDATE, PUT_ENVIRONMENT, WORKFLOW_PERMISSIONS, REPORTING}
    ids = {ruleset["id"] for ruleset in demo(github).rulesets}
    assert {int(call.path.rsplit("/", 1)[1]) for call in again if call.operation_id == UPDATE} == ids
    assert "updated ruleset" in result.stdout


def test_reviews_option_updates_the_same_ruleset(run: Run, github: FakeGitHub) -> None:
    assert run().returncode == 0
    created = ruleset_named(github, BRANCH_RULESET)["id"]

    result = run("--reviews", "2")

    assert result.returncode == 0, result.stderr
    assert len(github.calls_to(CREATE)) == 2  # the first run's two, no more
    ruleset = ruleset_named(github, BRANCH_RULESET)
    assert ruleset["id"] == created
    review = rules_by_type(ruleset)["pull_request"]
    assert review["required_approving_review_count"] == 2
    # Raising the count is all it takes: the data keeps code-owner and last-push approval on,
    # which the solo default (0) switched off because nobody could give them.
    assert review["require_code_owner_review"] is True
    assert review["require_last_push_approval"] is True


def test_solo_maintainer_needs_no_approval_of_any_kind(run: Run, github: FakeGitHub) -> None:
    result = run("--reviews", "0")

    assert result.returncode == 0, result.stderr
    review = rules_by_type(ruleset_named(github, BRANCH_RULESET))["pull_request"]
    assert review["required_approving_review_count"] == 0
    assert review["require_code_owner_review"] is False
    assert review["require_last_push_approval"] is False


def test_code_owner_review_needs_a_codeowners_file(
    run: Run, github: FakeGitHub, project: Project, tmp_path: Path
) -> None:
    baked = project.copy_to(tmp_path / "project")
    (baked.path / ".github" / "CODEOWNERS").unlink()

    result = run(*TEAM, baked=baked)

    assert result.returncode == 0, result.stderr
    review = rules_by_type(ruleset_named(github, BRANCH_RULESET))["pull_request"]
    assert review["require_code_owner_review"] is False
    assert review["require_last_push_approval"] is True


# -- CODEOWNERS: code-owner review needs owners GitHub can resolve --------------------------

UNKNOWN_OWNER = {
    "line": 2,
    "column": 3,
    "kind": "Unknown owner",
    "source": "* @octo",
    "suggestion": None,
    "message": "Unknown owner on line 2: make sure @octo exists and has write access to the "
    "repository\n\n  * @octo\n    ^",
    "path": ".github/CODEOWNERS",
}


def codeowners_warnings(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in warnings(result) if "CODEOWNERS" in line]


def test_a_valid_codeowners_file_is_checked_and_passes(run: Run, github: FakeGitHub) -> None:
    result = run(*TEAM)

    assert result.returncode == 0, result.stderr
    [check] = github.calls_to(CODEOWNERS_ERRORS)
    assert check.query == {"ref": ["main"]}
    assert "CODEOWNERS: GitHub reports no errors" in result.stdout


def test_codeowners_errors_warn_line_by_line_and_fail_after_everything_is_applied(
    run: Run, github: FakeGitHub
) -> None:
    second = {
        **UNKNOWN_OWNER,
        "line": 4,
        "source": "docs/ @octo/missing-team",
        "suggestion": "Did you mean @octo/docs?",
    }
    demo(github).codeowners_errors = [UNKNOWN_OWNER, second]

    result = run(*TEAM)

    line = error_line(result, CODEOWNERS, "2 CODEOWNERS problem(s)", "@org/team or user logins")
    # The default bake lets workflows approve pull requests (template sync).
    assert "github-actions[bot]" in line
    first_warning, second_warning = codeowners_warnings(result)
    assert ".github/CODEOWNERS line 2: Unknown owner in '* @octo'" in first_warning
    assert ".github/CODEOWNERS line 4" in second_warning
    assert "Did you mean @octo/docs?" in second_warning
    assert all("use @org/team or user logins" in w for w in (first_warning, second_warning))
    # Read after the rulesets, and nothing was held back because of it.
    writes = [call.operation_id for call in github.writes()]
    assert writes[-3:] == SETTINGS_WRITES
    assert len(demo(github).rulesets) == 2
    assert demo(github).workflow_permissions["default_workflow_permissions"] == "read"


def test_an_organization_named_as_owner_is_caught_even_if_github_reports_nothing(
    run: Run, github: FakeGitHub, project: Project, tmp_path: Path
) -> None:
    baked = project.copy_to(tmp_path / "project")
    (baked.path / ".github" / "CODEOWNERS").write_text("# maintainers\n* @Octo\n", encoding="utf-8")
    demo(github).owner_type = "Organization"

    result = run(*TEAM, baked=baked)

    error_line(result, CODEOWNERS, "1 CODEOWNERS problem(s)")
    [warning] = codeowners_warnings(result)
    assert "CODEOWNERS line 2: @octo is the organization itself" in warning
    assert "use @org/team or user logins" in warning


def test_a_codeowners_file_that_names_nobody_fails(
    run: Run, github: FakeGitHub, project: Project, tmp_path: Path
) -> None:
    baked = project.copy_to(tmp_path / "project")
    (baked.path / ".github" / "CODEOWNERS").write_text("# nobody yet\n*\n", encoding="utf-8")

    result = run(*TEAM, baked=baked)

    error_line(result, CODEOWNERS, "1 CODEOWNERS problem(s)")
    [warning] = codeowners_warnings(result)
    assert "names no owner" in warning


def test_no_codeowners_on_the_default_branch_fails(run: Run, github: FakeGitHub) -> None:
    demo(github).codeowners_errors = None  # GitHub answers 404: no file on the branch

    result = run(*TEAM)

    error_line(result, CODEOWNERS, "CODEOWNERS problem(s)")
    [warning] = codeowners_warnings(result)
    assert "finds no CODEOWNERS file on branch 'main'" in warning


def test_without_template_sync_the_error_does_not_blame_the_bot(
    run: Run, github: FakeGitHub, bake: Bake
) -> None:
    demo(github).codeowners_errors = [UNKNOWN_OWNER]

    result = run(*TEAM, baked=bake(template_sync=False))

    line = error_line(result, CODEOWNERS, "1 CODEOWNERS problem(s)")
    assert "github-actions[bot]" not in line


def test_a_token_that_may_not_read_codeowners_only_warns(run: Run, github: FakeGitHub) -> None:
    github.force(CODEOWNERS_ERRORS, 403, {"message": "Resource not accessible by personal access token"})

    result = run(*TEAM)

    assert result.returncode == 0, result.stderr
    [warning] = codeowners_warnings(result)
    assert "not checked" in warning
    assert "Contents: read" in warning


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--reviews", "0"], id="no-reviews"),
        pytest.param(["--mode", "classic", "--reviews", "0"], id="classic"),
    ],
)
def test_codeowners_is_not_checked_without_code_owner_review(
    run: Run, github: FakeGitHub, args: list[str]
) -> None:
    demo(github).codeowners_errors = [UNKNOWN_OWNER]

    result = run(*args)

    assert result.returncode == 0, result.stderr
    assert github.calls_to(CODEOWNERS_ERRORS) == []
    assert codeowners_warnings(result) == []


def test_a_dry_run_prints_codeowners_errors_and_exits_0(
    run: Run, github: FakeGitHub, description: Description
) -> None:
    demo(github).codeowners_errors = [UNKNOWN_OWNER]

    result = run("--dry-run", *TEAM)

    assert result.returncode == 0, result.stderr
    assert github.writes() == []
    assert_valid_plan(json.loads(result.stdout), description)
    [warning] = codeowners_warnings(result)
    assert "line 2: Unknown owner" in warning


def test_policies_not_in_the_data_are_removed(run: Run, github: FakeGitHub) -> None:
    stale = {"id": 7, "node_id": "BP_7", "name": "release/*", "type": "branch"}
    kept = {"id": 8, "node_id": "BP_8", "name": "v*", "type": "tag"}
    custom = {"deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True}}
    demo(github).environments["pypi"] = Environment(6, dict(custom), {7: stale, 8: kept})

    result = run()

    assert result.returncode == 0, result.stderr
    assert demo(github).environments["pypi"].policies == {8: kept}
    [deleted] = github.calls_to(DELETE_POLICY)
    assert deleted.path == "/repos/octo/demo/environments/pypi/deployment-branch-policies/7"
    assert all("/environments/pypi/" not in call.path for call in github.calls_to(CREATE_POLICY))


def test_finds_its_ruleset_on_a_later_page(run: Run, github: FakeGitHub) -> None:
    github.max_per_page = 2
    names = ["docs", "nightly", "other", BRANCH_RULESET]
    demo(github).rulesets = [
        {"id": n, "name": name, "target": "branch", "enforcement": "disabled"}
        for n, name in enumerate(names, start=1)
    ]

    result = run()

    assert result.returncode == 0, result.stderr
    assert len(github.calls_to(RULESETS)) == 2
    assert [call.path for call in github.calls_to(UPDATE)] == ["/repos/octo/demo/rulesets/4"]
    assert [call.body["name"] for call in github.calls_to(CREATE)] == [TAG_RULESET]
    assert demo(github).rulesets[3]["enforcement"] == "active"


def test_uses_the_default_branch_github_names(run: Run, github: FakeGitHub) -> None:
    github.repos["octo/demo"] = Repository(default_branch="trunk", branches={"trunk"})

    result = run()

    assert result.returncode == 0, result.stderr
    assert len(github.calls_to("repos/get")) == 1
    assert refs(demo(github).environments["repository-admin"]) == {("branch", "trunk")}


def test_a_ruleset_exported_from_github_is_applied_as_it_is(
    run: Run, github: FakeGitHub, project: Project, tmp_path: Path
) -> None:
    baked = project.copy_to(tmp_path / "project")
    exported = {
        "id": 42,
        "name": "no-force-push-anywhere",
        "target": "branch",
        "source_type": "Repository",
        "source": "someone/else",
        "enforcement": "evaluate",
        "conditions": {"ref_name": {"exclude": [], "include": ["~ALL"]}},
        "rules": [{"type": "non_fast_forward"}],
        "bypass_actors": [],
        "created_at": "2026-01-01T00:00:00.000Z",
        "_links": {"self": {"href": "https://api.github.com/repos/someone/else/rulesets/42"}},
    }
    (baked.path / ".github" / "rulesets" / "exported.json").write_text(json.dumps(exported))

    result = run(baked=baked)

    assert result.returncode == 0, result.stderr
    added = ruleset_named(github, "no-force-push-anywhere")
    assert added["id"] != 42
    assert added["enforcement"] == "evaluate"
    assert "created_at" not in added
    assert "_links" not in added


def test_gh_token_wins_over_github_token(run: Run, github: FakeGitHub) -> None:
    result = run(token="admin-token", env={"GITHUB_TOKEN": "reader-token"})

    assert result.returncode == 0, result.stderr
    assert len(demo(github).rulesets) == 2


# -- reviewers ---------------------------------------------------------------------------


def test_reviewer_options_replace_the_actor(run: Run, github: FakeGitHub) -> None:
    demo(github).roles["hubot"] = "admin"

    result = run("--reviewer", "hubot", "--reviewer", "octocat")

    assert result.returncode == 0, result.stderr
    expected = [{"type": "User", "id": github.users[login]} for login in ("hubot", "octocat")]
    assert demo(github).environments["pypi"].settings["reviewers"] == expected
    checked = [call.path.rsplit("/", 2)[1] for call in github.calls_to(PERMISSION)]
    assert checked == ["hubot", "octocat"]


@pytest.mark.parametrize("role", ["maintain", "write", "triage", "read", None])
def test_a_reviewer_who_is_no_admin_is_refused_before_any_write(
    run: Run, github: FakeGitHub, role: str | None
) -> None:
    """Approving a collaborator's setup run must not make them the gatekeeper."""
    if role is not None:
        demo(github).roles["hubot"] = role

    result = run("--reviewer", "octocat", "--reviewer", "hubot")

    base = {"maintain": "write", "triage": "read", None: "none"}.get(role, role)
    fails_cleanly(result, NOT_ADMIN, "refusing to apply", "'hubot'", f"{base!r} permission", "admin")
    assert github.writes() == []
    assert demo(github).environments == {}
    assert demo(github).rulesets == []


def test_the_triggering_actor_is_the_default_reviewer(run: Run, github: FakeGitHub) -> None:
    """A re-run: GITHUB_ACTOR stays the first attempt's starter, who is no admin."""
    demo(github).roles["hubot"] = "write"

    result = run(env={"GITHUB_ACTOR": "hubot", "GITHUB_TRIGGERING_ACTOR": "octocat"})

    assert result.returncode == 0, result.stderr
    octocat = [{"type": "User", "id": github.users["octocat"]}]
    assert demo(github).environments["repository-admin"].settings["reviewers"] == octocat


def test_a_collaborator_who_triggers_the_run_is_refused(run: Run, github: FakeGitHub) -> None:
    demo(github).roles["hubot"] = "write"

    result = run(env={"GITHUB_ACTOR": "octocat", "GITHUB_TRIGGERING_ACTOR": "hubot"})

    fails_cleanly(result, NOT_ADMIN, "'hubot'", "'write' permission")
    assert github.writes() == []


def test_a_dry_run_with_a_token_refuses_a_reviewer_who_is_no_admin(run: Run, github: FakeGitHub) -> None:
    """The plan predicts the real run: the same refusal, and still nothing written."""
    demo(github).roles["hubot"] = "write"

    result = run("--dry-run", "--reviewer", "hubot")

    fails_cleanly(result, NOT_ADMIN, "'hubot'", "'write' permission")
    assert github.writes() == []


def test_a_dry_run_without_a_token_cannot_check_reviewers_and_leaves_them_out(
    run: Run, github: FakeGitHub
) -> None:
    result = run("--dry-run", "--default-branch", "main", "--reviewer", "hubot", token=None)

    assert result.returncode == 0, result.stderr
    assert github.calls == []
    plan = json.loads(result.stdout)
    assert all("reviewers" not in (step["body"] or {}) for step in plan)
    assert "reviewers left out" in result.stderr


def test_the_setup_workflow_names_who_triggered_the_run(project: Project) -> None:
    workflow = (project.path / ".github" / "workflows" / "repo-setup.yml").read_text(encoding="utf-8")
    assert '--reviewer "$GITHUB_TRIGGERING_ACTOR"' in workflow
    assert '"$GITHUB_ACTOR"' not in workflow


def test_reviewers_are_needed_where_the_data_asks_for_them(run: Run, github: FakeGitHub) -> None:
    result = run(env={"GITHUB_ACTOR": ""})

    fails_cleanly(result, USAGE, "repository-admin", "pypi", "--reviewer")
    assert github.writes() == []


def test_an_app_cannot_be_a_reviewer(run: Run, github: FakeGitHub) -> None:
    result = run(env={"GITHUB_ACTOR": "dependabot[bot]"})

    fails_cleanly(result, USAGE, "'dependabot[bot]'", "--reviewer")
    assert github.calls == []


def test_an_unknown_reviewer_stops_before_any_write(run: Run, github: FakeGitHub) -> None:
    result = run("--reviewer", "nobody-here")

    fails_cleanly(result, NOT_FOUND, "'nobody-here'", "404")
    assert github.writes() == []


# -- the token from any branch --------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="default"),
        pytest.param({"publish": "private-index"}, id="private-index"),
        pytest.param({"publish": "none", "template_sync": False}, id="no-publish-no-sync"),
        pytest.param({"publish": "pypi", "template_sync": False}, id="pypi-no-sync"),
    ],
)
def test_no_baked_environment_is_left_open_to_any_branch(
    run: Run, github: FakeGitHub, bake: Bake, overrides: dict[str, Any]
) -> None:
    """Anyone who can push a branch could name an open environment and read its secrets."""
    baked = bake(**overrides)
    named = environments_named_by_workflows(baked.path)
    assert "repository-admin" in named

    result = run(baked=baked)

    assert result.returncode == 0, result.stderr
    environments = demo(github).environments
    for name, workflows in named.items():
        assert name in environments, f"{name} (used by {sorted(workflows)}) was never set up"
        environment = environments[name]
        assert environment.settings["deployment_branch_policy"] == {
            "protected_branches": False,
            "custom_branch_policies": True,
        }, name
        publishing = workflows == {"release.yml"}
        expected = {("tag", "v*")} if publishing else {("branch", "main")}
        assert refs(environment) == expected, name
    # Every environment the data sets up is one a workflow uses.
    assert set(environments) == set(named)


# -- classic protection and the fallback --------------------------------------------------


def test_classic_mode_derives_branch_protection_from_the_ruleset(run: Run, github: FakeGitHub) -> None:
    result = run("--mode", "classic", *TEAM)

    assert result.returncode == 0, result.stderr
    assert github.calls_to(RULESETS) == []
    protection = demo(github).protection["main"]
    assert protection == {
        "required_status_checks": {"strict": True, "checks": [{"context": "ci-passed", "app_id": 15368}]},
        "enforce_admins": True,
        "required_pull_request_reviews": {
            "dismiss_stale_reviews": True,
            "require_code_owner_reviews": True,
            "required_approving_review_count": 1,
            "require_last_push_approval": True,
        },
        "restrictions": None,
        "required_linear_history": True,
        "allow_force_pushes": False,
        "allow_deletions": False,
        "required_conversation_resolution": True,
    }
    [tag_warning] = warnings(result)
    assert TAG_RULESET in tag_warning
    assert "no equivalent for tag rulesets" in tag_warning


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
    assert demo(github).protection["main"]["required_linear_history"] is True
    [tag_warning] = warnings(result)
    assert f"{TAG_RULESET!r}" in tag_warning
    assert "no equivalent for tag rulesets" in tag_warning


def test_ruleset_mode_does_not_fall_back(run: Run, github: FakeGitHub) -> None:
    demo(github).rulesets_available = False

    result = run("--mode", "ruleset")

    fails_cleanly(result, NOT_FOUND, "rulesets", "--mode auto")
    assert github.calls_to(CLASSIC) == []


def test_auto_never_falls_back_on_401(run: Run, github: FakeGitHub) -> None:
    github.force(RULESETS, 401, {"message": "Bad credentials"})

    result = run()

    fails_cleanly(result, AUTH, "Bad credentials", "GH_TOKEN")
    assert github.calls_to(CLASSIC) == []


def test_auto_does_not_fall_back_on_a_rate_limit(run: Run, github: FakeGitHub) -> None:
    github.force(
        RULESETS, 403, {"message": "API rate limit exceeded"}, headers={"X-RateLimit-Remaining": "0"}
    )

    result = run()

    fails_cleanly(result, UNAVAILABLE, "rate limit")
    assert github.calls_to(CLASSIC) == []


# -- private repositories and GitHub's plans ----------------------------------------------


def test_private_repository_on_a_paid_plan_gets_restrictions_without_reviewers(
    run: Run, github: FakeGitHub
) -> None:
    github.repos["octo/demo"] = Repository(private=True, plan="pro")

    result = run()

    assert result.returncode == 0, result.stderr
    environments = demo(github).environments
    for name in ("repository-admin", "pypi"):
        assert "reviewers" not in environments[name].settings
    assert refs(environments["repository-admin"]) == {("branch", "main")}
    assert refs(environments["pypi"]) == {("tag", "v*")}
    *lines, reporting = warnings(result)
    assert len(lines) == 2
    for name, line in zip(("pypi", "repository-admin"), lines, strict=True):
        assert f"environment {name!r}: reviewers not applied" in line
        assert "GitHub Enterprise" in line
        assert "billing plan" in line  # GitHub's own words are shown
    # Not offered to private repositories: a warning, and the run still succeeds.
    assert "private vulnerability reporting not enabled" in reporting
    assert "e-mail address in SECURITY.md" in reporting
    assert len(demo(github).rulesets) == 2


def test_free_private_repository_applies_what_it_can_and_exits_8(run: Run, github: FakeGitHub) -> None:
    github.repos["octo/demo"] = Repository(private=True, plan="free")

    result = run()

    # Four environments and the default branch's protection.
    error_line(result, PLAN, "5 required setting(s) not applied", "plan")
    lines = warnings(result)
    not_restricted = [line for line in lines if "not restricted" in line]
    assert len(not_restricted) == 4
    assert all("GitHub Free" in line and "public" in line for line in not_restricted)
    assert any(
        f"ruleset {BRANCH_RULESET!r} not applied" in line and "Upgrade to GitHub Pro" in line
        for line in lines
    )
    assert any(TAG_RULESET in line and "no equivalent for tag rulesets" in line for line in lines)
    assert demo(github).environments == {}
    assert demo(github).protection == {}
    # What the plan allows is still applied.
    assert demo(github).workflow_permissions["default_workflow_permissions"] == "read"
    assert result.stderr.count("\n") == len(lines) + 1


def test_a_422_on_a_public_repository_is_an_error(run: Run, github: FakeGitHub) -> None:
    github.force(PUT_ENVIRONMENT, 422, {"message": "Validation Failed: wait_timer is too long"})

    result = run()

    fails_cleanly(result, INVALID, "environment 'pypi'", "wait_timer is too long")
    assert github.calls_to(CREATE) == []


def test_workflow_permissions_an_organization_decides_only_warn(run: Run, github: FakeGitHub) -> None:
    github.force(WORKFLOW_PERMISSIONS, 409, {"message": "Conflict"})

    result = run()

    assert result.returncode == 0, result.stderr
    [line] = warnings(result)
    assert "organization" in line
    assert "409" in line


# -- dry run ------------------------------------------------------------------------------


def assert_valid_plan(plan: list[dict[str, Any]], description: Description) -> None:
    for step in plan:
        found = description.match(step["method"], step["path"].split("?")[0])
        assert found is not None, step
        assert description.body_errors(found[0], step["body"]) == [], step


def test_dry_run_needs_no_token_and_sends_nothing(
    run: Run, github: FakeGitHub, description: Description
) -> None:
    result = run("--dry-run", "--default-branch", "main", "--reviews", "0", token=None)

    assert result.returncode == 0, result.stderr
    assert github.calls == []
    plan = json.loads(result.stdout)
    assert_valid_plan(plan, description)
    rulesets = [step["body"] for step in plan if step["path"] == "/repos/octo/demo/rulesets"]
    assert [ruleset["name"] for ruleset in rulesets] == [BRANCH_RULESET, TAG_RULESET]
    assert rules_by_type(rulesets[0])["pull_request"]["required_approving_review_count"] == 0
    assert "reviewers left out" in result.stderr


def test_dry_run_with_a_token_plans_updates_and_writes_nothing(
    run: Run, github: FakeGitHub, description: Description
) -> None:
    assert run().returncode == 0
    writes = len(github.writes())

    result = run("--dry-run")

    assert result.returncode == 0, result.stderr
    assert len(github.writes()) == writes
    plan = json.loads(result.stdout)
    assert_valid_plan(plan, description)
    assert {step["method"] for step in plan} == {"PUT"}  # everything exists already


def test_dry_run_of_classic_mode_prints_a_valid_body(
    run: Run, github: FakeGitHub, description: Description
) -> None:
    result = run("--dry-run", "--mode", "classic", "--default-branch", "main", token=None)

    assert result.returncode == 0, result.stderr
    assert github.calls == []
    plan = json.loads(result.stdout)
    assert_valid_plan(plan, description)
    assert "/repos/octo/demo/branches/main/protection" in [step["path"] for step in plan]


def test_dry_run_without_branch_or_token_says_what_to_pass(run: Run, github: FakeGitHub) -> None:
    fails_cleanly(run("--dry-run", token=None), AUTH, "--default-branch")
    assert github.calls == []


# -- the token never leaves GITHUB_API_URL's origin ---------------------------------------


@pytest.mark.parametrize(
    ("operation_id", "status"),
    [
        pytest.param("repos/get", 301, id="301-on-a-read"),
        pytest.param(PUT_ENVIRONMENT, 307, id="307-on-a-write"),
    ],
)
def test_a_redirect_to_another_host_is_refused(
    run: Run, github: FakeGitHub, operation_id: str, status: int
) -> None:
    with other_host() as elsewhere:
        github.force(operation_id, status, None, headers={"Location": f"{elsewhere.url}/steal"})

        result = run()

    fails_cleanly(result, OTHER_HOST, str(status), elsewhere.url, "not sent")
    assert elsewhere.requests == []


def test_plain_urllib_would_have_sent_the_token(github: FakeGitHub) -> None:
    """The trap is real: without the script's guard, the other host gets the token."""
    with other_host() as elsewhere:
        github.force("repos/get", 301, None, headers={"Location": f"{elsewhere.url}/steal"})
        request = urllib.request.Request(
            f"{github.url}/repos/octo/demo", headers={"Authorization": "Bearer admin-token"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    assert [headers.get("authorization") for headers in elsewhere.requests] == ["Bearer admin-token"]


@pytest.mark.parametrize(
    ("operation_id", "status"),
    [
        pytest.param("repos/get", 301, id="301-on-a-read"),
        pytest.param(PUT_ENVIRONMENT, 307, id="307-on-a-write"),
    ],
)
def test_a_redirect_on_the_same_host_is_followed(
    run: Run, github: FakeGitHub, operation_id: str, status: int
) -> None:
    target = "/repos/octo/demo" if operation_id == "repos/get" else "/repos/octo/demo/environments/pypi"
    github.force(operation_id, status, None, headers={"Location": f"{github.url}{target}"}, times=1)

    result = run()

    assert result.returncode == 0, result.stderr
    assert len(github.calls_to(operation_id)) >= 2
    assert refs(demo(github).environments["pypi"]) == {("tag", "v*")}


def test_a_pagination_link_to_another_host_is_refused(run: Run, github: FakeGitHub) -> None:
    with other_host() as elsewhere:
        github.force(RULESETS, 200, [], headers={"Link": f'<{elsewhere.url}/page2>; rel="next"'})

        result = run()

    fails_cleanly(result, OTHER_HOST, elsewhere.url, "not sent")
    assert elsewhere.requests == []


# -- failures: one actionable line, a documented exit code, no traceback ----------------


def test_missing_token(run: Run, github: FakeGitHub) -> None:
    fails_cleanly(run(token=None), AUTH, "GH_TOKEN", "GITHUB_TOKEN")
    assert github.calls == []


def test_rejected_token(run: Run) -> None:
    fails_cleanly(run(token="expired-token"), AUTH, "Bad credentials")


@pytest.mark.parametrize("mode", ["auto", "ruleset", "classic"])
def test_token_without_admin_rights(run: Run, github: FakeGitHub, mode: str) -> None:
    result = run("--mode", mode, token="reader-token")

    fails_cleanly(result, FORBIDDEN, "Administration: write", "403")
    assert github.writes()[0].status == 403
    assert demo(github).environments == {}
    assert demo(github).rulesets == []
    assert demo(github).protection == {}


def test_unknown_repository(run: Run) -> None:
    fails_cleanly(run("--repo", "octo/missing"), NOT_FOUND, "octo/missing", "404")


def test_unknown_default_branch(run: Run, github: FakeGitHub) -> None:
    result = run("--default-branch", "mian")

    fails_cleanly(result, NOT_FOUND, "'mian'", "Branch not found")
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

    fails_cleanly(result, INVALID, "Validation Failed", "Ruleset.rules: Required status check")


def test_server_errors_are_retried_a_bounded_number_of_times(run: Run, github: FakeGitHub) -> None:
    github.force("repos/get-branch", 502, {"message": "Server Error"})

    result = run("--retries", "2")

    fails_cleanly(result, UNAVAILABLE, "502", "3 time(s)")
    assert len(github.calls_to("repos/get-branch")) == 3


@pytest.mark.parametrize("operation_id", [CREATE, CREATE_POLICY, DELETE_POLICY])
def test_a_failed_create_or_delete_is_not_blindly_repeated(
    run: Run, github: FakeGitHub, operation_id: str
) -> None:
    custom = {"deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True}}
    stale = {"id": 7, "node_id": "BP_7", "name": "release/*", "type": "branch"}
    demo(github).environments["pypi"] = Environment(6, custom, {7: stale})
    github.force(operation_id, 500, {"message": "Server Error"})

    result = run("--retries", "3")

    fails_cleanly(result, UNAVAILABLE, "500")
    assert len(github.calls_to(operation_id)) == 1


def test_a_passing_server_error_is_survived(run: Run, github: FakeGitHub) -> None:
    github.force(RULESETS, 503, {"message": "Service Unavailable"}, times=1)
    github.force(PUT_ENVIRONMENT, 502, {"message": "Bad Gateway"}, times=1)

    result = run("--retries", "1")

    assert result.returncode == 0, result.stderr
    assert len(demo(github).rulesets) == 2


def test_unreachable_api(run: Run) -> None:
    result = run("--retries", "1", api_url=closed_port_url())

    fails_cleanly(result, UNAVAILABLE, "cannot reach 127.0.0.1", "2 attempt(s)")


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
    fails_cleanly(run("--repo", repo), USAGE, "OWNER/NAME", repr(repo))
    assert github.calls == []


def test_no_repository_at_all(run: Run, github: FakeGitHub) -> None:
    fails_cleanly(run(env={"GITHUB_REPOSITORY": ""}), USAGE, "--repo", "GITHUB_REPOSITORY")
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
    fails_cleanly(run(api_url=api_url), USAGE, "GITHUB_API_URL")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--reviews", "11"], id="too-many-reviews"),
        pytest.param(["--mode", "both"], id="unknown-mode"),
        pytest.param(["--default-branch", " "], id="blank-branch"),
        pytest.param([f"--reviewer=user{n}" for n in range(7)], id="seven-reviewers"),
    ],
)
def test_bad_options_get_one_line(run: Run, github: FakeGitHub, args: list[str]) -> None:
    fails_cleanly(run(*args), USAGE, "see --help")
    assert github.calls == []


@pytest.mark.parametrize(
    ("relative", "content", "says"),
    [
        pytest.param(
            ".github/rulesets/default-branch.json", "{not json", "is not JSON", id="ruleset-not-json"
        ),
        pytest.param(
            ".github/rulesets/extra.json", '{"target": "branch"}', '"name"', id="ruleset-without-name"
        ),
        pytest.param(
            ".github/environments/pypi.json",
            '{"environment": {}, "reviewers": []}',
            "holds only",
            id="environment-unknown-key",
        ),
        pytest.param(
            ".github/environments/pypi.json",
            '{"deployment_branch_policies": [{"name": "v*", "type": "tag"}]}',
            "custom_branch_policies",
            id="policies-without-custom-policy",
        ),
        pytest.param(
            ".github/repository.json", '{"merge": {}}', "actions_workflow_permissions", id="unknown-setting"
        ),
        pytest.param(
            ".github/repository.json",
            '{"pages": {"build_type": "legacy"}}',
            '"pages" must be {"build_type": "workflow"}',
            id="pages-from-a-branch",
        ),
    ],
)
def test_broken_data_is_refused_before_any_request(
    run: Run, github: FakeGitHub, project: Project, tmp_path: Path, relative: str, content: str, says: str
) -> None:
    baked = project.copy_to(tmp_path / "project")
    (baked.path / relative).write_text(content, encoding="utf-8")

    fails_cleanly(run(baked=baked), DATA, says)
    assert github.calls == []


# -- the script and its data as template files, and the stand-in itself ------------------


def test_script_and_data_are_copied_unrendered(template_dir: Path) -> None:
    github_dir = template_dir / "{{cookiecutter.__project_dir}}" / ".github"
    for path in [
        github_dir / SCRIPT.relative_to(".github"),
        *github_dir.glob("rulesets/*"),
        *github_dir.glob("environments/*"),
    ]:
        text = path.read_text(encoding="utf-8")
        assert "{{" not in text, path
        assert "{%" not in text, path


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
        pytest.param(
            PUT_ENVIRONMENT,
            "/repos/octo/demo/environments/pypi",
            {"deployment_branch_policy": {"protected_branches": False, "custom_branch_policy": True}},
            "custom_branch_policy",
            id="misspelt-environment-key",
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


# -- labels and private vulnerability reporting ------------------------------------------------


def test_the_changelog_label_and_vulnerability_reporting_are_applied(run: Run, github: FakeGitHub) -> None:
    """The label the changelog rule reads, and the form SECURITY.md links to: no hand steps."""
    result = run()

    assert result.returncode == 0, result.stderr
    [label] = demo(github).labels.values()
    assert (label["name"], label["color"]) == ("skip-changelog", "ededed")
    assert label["description"] == "This pull request needs no CHANGELOG.md entry"
    assert demo(github).private_vulnerability_reporting is True
    assert "label 'skip-changelog': created" in result.stdout
    assert "private vulnerability reporting: enabled" in result.stdout


def test_a_label_changed_by_hand_is_brought_back_and_one_of_another_case_is_found(
    run: Run, github: FakeGitHub
) -> None:
    demo(github).labels["Skip-Changelog"] = {"name": "Skip-Changelog", "color": "ff0000", "description": None}

    result = run()

    assert result.returncode == 0, result.stderr
    assert github.calls_to(CREATE_LABEL) == []
    [update] = github.calls_to(UPDATE_LABEL)
    assert update.body == {"color": "ededed", "description": "This pull request needs no CHANGELOG.md entry"}
    assert "colour and description updated" in result.stdout


def test_without_the_changelog_rule_no_label_is_made(run: Run, github: FakeGitHub, bake: Bake) -> None:
    result = run(baked=bake(require_changelog=False))

    assert result.returncode == 0, result.stderr
    assert github.calls_to(GET_LABEL) == github.calls_to(CREATE_LABEL) == []
    assert demo(github).private_vulnerability_reporting is True


def test_a_token_that_may_not_write_labels_only_warns(run: Run, github: FakeGitHub) -> None:
    github.force(CREATE_LABEL, 403, {"message": "Resource not accessible by personal access token"})

    result = run()

    assert result.returncode == 0, result.stderr
    [line] = warnings(result)
    assert "label 'skip-changelog' not checked or changed: the token may not create labels" in line
    assert "Issues: write" in line
    assert demo(github).private_vulnerability_reporting is True


def test_a_token_that_may_not_read_labels_only_warns(run: Run, github: FakeGitHub) -> None:
    """An admin token made before the label was data (Administration and Contents only)."""
    github.force(GET_LABEL, 403, {"message": "Resource not accessible by personal access token"})

    result = run()

    assert result.returncode == 0, result.stderr
    [line] = warnings(result)
    assert "the token may not read labels" in line
    assert github.calls_to(CREATE_LABEL) == []
    assert demo(github).private_vulnerability_reporting is True


def test_a_dry_run_plans_the_label_and_the_reporting_form(
    run: Run, github: FakeGitHub, description: Description
) -> None:
    result = run("--dry-run")

    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert_valid_plan(plan, description)
    assert [(step["method"], step["path"]) for step in plan[-2:]] == [
        ("POST", "/repos/octo/demo/labels"),
        ("PUT", "/repos/octo/demo/private-vulnerability-reporting"),
    ]
    assert github.writes() == []


@pytest.mark.parametrize(
    "labels",
    [
        '{"name": "x"}',
        '[{"name": "x", "color": "#ededed", "description": ""}]',
        '[{"name": " ", "color": "ededed", "description": ""}]',
        '[{"name": "..", "color": "ededed", "description": ""}]',
        '[{"name": "x", "color": "ededed", "description": "", "default": true}]',
        '[{"name": "x", "color": "ededed", "description": ""},'
        ' {"name": "X", "color": "ededed", "description": ""}]',
    ],
)
def test_a_malformed_label_list_is_a_data_error(
    run: Run, project: Project, tmp_path: Path, labels: str
) -> None:
    copy_ = project.copy_to(tmp_path / "project")
    settings = copy_.path / ".github" / "repository.json"
    data = json.loads(settings.read_text(encoding="utf-8"))
    data["labels"] = json.loads(labels)
    settings.write_text(json.dumps(data), encoding="utf-8")

    result = run(baked=copy_)

    error_line(result, DATA, '"labels" must be a list of')


# -- GitHub Pages, for the documentation site (docs=github-pages) ------------------------------

GET_PAGES = "repos/get-pages"
CREATE_PAGES = "repos/create-pages-site"
UPDATE_PAGES = "repos/update-information-about-pages-site"
GET_VARIABLE = "actions/get-repo-variable"
CREATE_VARIABLE = "actions/create-repo-variable"
UPDATE_VARIABLE = "actions/update-repo-variable"
DOCS = {"docs": "github-pages"}


def test_pages_and_its_variable_are_switched_on_once(run: Run, github: FakeGitHub, bake: Bake) -> None:
    """Pages published by workflows, then PAGES_ENABLED for ci.yml's publish-docs; a second
    run finds both as the data says and writes neither again."""
    docs = bake(**DOCS)
    result = run(baked=docs)

    assert result.returncode == 0, result.stderr
    assert demo(github).pages is not None
    assert demo(github).pages["build_type"] == "workflow"
    assert demo(github).variables["PAGES_ENABLED"]["value"] == "true"
    assert "GitHub Pages: on, published by workflows" in result.stdout
    assert "variable PAGES_ENABLED: created, true" in result.stdout
    # The environment the publish job deploys to: the default branch only, no reviewers.
    pages_environment = demo(github).environments["github-pages"]
    assert [p["name"] for p in pages_environment.policies.values()] == ["main"]

    again = run(baked=docs)
    assert again.returncode == 0, again.stderr
    assert "GitHub Pages: as in the data" in again.stdout
    assert "variable PAGES_ENABLED: as in the data" in again.stdout
    assert len(github.calls_to(CREATE_PAGES)) == len(github.calls_to(CREATE_VARIABLE)) == 1
    assert github.calls_to(UPDATE_PAGES) == github.calls_to(UPDATE_VARIABLE) == []


def test_a_changed_variable_is_brought_back(run: Run, github: FakeGitHub, bake: Bake) -> None:
    demo(github).variables["PAGES_ENABLED"] = {"value": "false", "created_at": "", "updated_at": ""}

    result = run(baked=bake(**DOCS))

    assert result.returncode == 0, result.stderr
    [variable] = github.calls_to(UPDATE_VARIABLE)
    assert variable.body == {"name": "PAGES_ENABLED", "value": "true"}
    assert "variable PAGES_ENABLED: set to true" in result.stdout


def test_a_site_published_from_a_branch_is_left_alone(run: Run, github: FakeGitHub, bake: Bake) -> None:
    """A hand-made gh-pages site, maybe on a custom domain: the owner switches, not the script."""
    demo(github).pages = {
        "build_type": "legacy",
        "url": "",
        "status": "built",
        "cname": "docs.example.org",
        "custom_404": False,
        "public": True,
        "html_url": "https://docs.example.org/",
    }

    result = run(baked=bake(**DOCS))

    assert result.returncode == 0, result.stderr
    [line] = warnings(result)
    assert "GitHub Pages left as it is" in line
    assert "https://docs.example.org/" in line
    assert "Source: GitHub Actions" in line
    assert github.calls_to(UPDATE_PAGES) == []
    assert github.calls_to(GET_VARIABLE) == github.calls_to(CREATE_VARIABLE) == []
    assert demo(github).pages["build_type"] == "legacy"


@pytest.mark.parametrize("online", [False, True], ids=["no-site", "site-online"])
def test_a_private_repository_gets_no_public_site(
    run: Run, github: FakeGitHub, bake: Bake, online: bool
) -> None:
    """Made private after the site went up, the owner hears that it is still online."""
    demo(github).private = True
    demo(github).plan = "team"
    if online:
        demo(github).pages = {"build_type": "workflow", "url": "", "status": "built", "cname": None,
                              "custom_404": False, "public": True,
                              "html_url": "https://octo.github.io/demo/"}  # fmt: skip

    result = run(baked=bake(**DOCS))

    assert result.returncode == 0, result.stderr
    pages = [line for line in warnings(result) if "Pages" in line]
    assert "is private" in pages[0]
    assert len(pages) == (2 if online else 1)
    if online:
        assert "is online at https://octo.github.io/demo/" in pages[1]
    assert github.calls_to(CREATE_PAGES) == github.calls_to(UPDATE_PAGES) == []
    assert github.calls_to(CREATE_VARIABLE) == github.calls_to(UPDATE_VARIABLE) == []


@pytest.mark.parametrize(
    ("refused", "says"),
    [(CREATE_PAGES, "Pages: write"), (CREATE_VARIABLE, "Variables: write")],
)
def test_a_token_without_pages_or_variables_rights_only_warns(
    run: Run, github: FakeGitHub, bake: Bake, refused: str, says: str
) -> None:
    github.force(refused, 403, {"message": "Resource not accessible by personal access token"})

    result = run(baked=bake(**DOCS))

    assert result.returncode == 0, result.stderr
    [line] = warnings(result)
    assert says in line
    # Without Pages on, the variable that would make publish-docs deploy is left alone.
    if refused == CREATE_PAGES:
        assert github.calls_to(GET_VARIABLE) == []


def test_a_dry_run_plans_pages_and_the_variable(
    run: Run, github: FakeGitHub, bake: Bake, description: Description
) -> None:
    result = run("--dry-run", baked=bake(**DOCS))

    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert_valid_plan(plan, description)
    assert [(step["method"], step["path"]) for step in plan[-2:]] == [
        ("POST", "/repos/octo/demo/pages"),
        ("POST", "/repos/octo/demo/actions/variables"),
    ]
    assert github.writes() == []


def test_a_bake_without_the_site_never_touches_pages(run: Run, github: FakeGitHub) -> None:
    result = run()

    assert result.returncode == 0, result.stderr
    assert github.calls_to(GET_PAGES) == github.calls_to(GET_VARIABLE) == []
