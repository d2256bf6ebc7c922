"""The repository policy a bake carries as data, on every render combination.

.github/rulesets, .github/environments and .github/repository.json are what
.github/scripts/setup_repository.py sends to GitHub; here each is checked against the
request schema of the operation it feeds in GitHub's OpenAPI description, and against
the workflows of the same bake: every environment a job names has a file, and no file
names an environment nothing uses.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Bake, Project
from github_api.openapi import Description
from support.github_policy import environments_named_by_workflows
from support.options import render_combinations

pytestmark = pytest.mark.render

COMBINATIONS = [pytest.param(overrides, id=name) for name, overrides in render_combinations()]
# A reviewer as the script sends it, once it has looked the login up.
SAMPLE_REVIEWER = {"type": "User", "id": 583231}


@pytest.fixture(params=COMBINATIONS)
def project(request: pytest.FixtureRequest, bake: Bake) -> Project:
    return bake(**request.param)


def data(project: Project, pattern: str) -> dict[str, Any]:
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((project.path / ".github").glob(pattern))
    }


def body_errors(description: Description, operation_id: str, body: Any) -> list[str]:
    return description.body_errors(description.by_id[operation_id], body)


def test_rulesets_are_valid_request_bodies(project: Project, description: Description) -> None:
    rulesets = data(project, "rulesets/*.json")
    assert set(rulesets) == {"default-branch.json", "release-tags.json"}
    for name, ruleset in rulesets.items():
        for operation_id in ("repos/create-repo-ruleset", "repos/update-repo-ruleset"):
            assert body_errors(description, operation_id, ruleset) == [], name
    assert len({ruleset["name"] for ruleset in rulesets.values()}) == len(rulesets)


DEPLOY_POLICIES = {
    "development": [{"name": "~DEFAULT_BRANCH", "type": "branch"}, {"name": "v*", "type": "tag"}],
    "staging": [{"name": "v*", "type": "tag"}],
    "production": [{"name": "v*", "type": "tag"}],
}


def test_every_environment_a_workflow_names_has_valid_settings(
    project: Project, description: Description
) -> None:
    named = environments_named_by_workflows(project.path)
    environments = {
        name.removesuffix(".json"): env for name, env in data(project, "environments/*.json").items()
    }
    assert set(environments) == set(named)
    for name, environment in environments.items():
        settings = dict(environment["environment"])
        if environment["required_reviewers"]:
            settings["reviewers"] = [SAMPLE_REVIEWER]
        assert body_errors(description, "repos/create-or-update-environment", settings) == [], name
        assert settings["deployment_branch_policy"] == {
            "protected_branches": False,
            "custom_branch_policies": True,
        }
        policies = environment["deployment_branch_policies"]
        assert policies, f"{name} would be open to every branch"
        for policy in policies:
            assert body_errors(description, "repos/create-deployment-branch-policy", policy) == [], name
        publishing = named[name] == {"release.yml"}
        expected = (
            [{"name": "v*", "type": "tag"}] if publishing else [{"name": "~DEFAULT_BRANCH", "type": "branch"}]
        )
        # Deployments: development from main (ci.yml) and from tags (a manual redeploy);
        # staging and production from release tags only, by release.yml or by hand.
        expected = DEPLOY_POLICIES.get(name, expected)
        assert policies == expected, name


def test_environments_holding_release_or_admin_power_need_a_reviewer(project: Project) -> None:
    environments = data(project, "environments/*.json")
    reviewed = {name.removesuffix(".json") for name, env in environments.items() if env["required_reviewers"]}
    expected = {"repository-admin"} | {"pypi", "private-index", "staging", "production"} & {
        name.removesuffix(".json") for name in environments
    }
    assert reviewed == expected


def test_workflow_permissions_follow_the_template_sync_option(
    project: Project, description: Description
) -> None:
    settings = data(project, "repository.json")["repository.json"]
    permissions = settings["actions_workflow_permissions"]
    operation_id = "actions/set-github-actions-default-workflow-permissions-repository"
    assert body_errors(description, operation_id, permissions) == []
    assert permissions["default_workflow_permissions"] == "read"
    # Only the weekly template sync opens pull requests with the workflow token.
    assert permissions["can_approve_pull_request_reviews"] is project.answers["template_sync"]
