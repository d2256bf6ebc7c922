"""The staged deployment's workflows as rendered (container=ghcr+deploy): who runs what, with
which token, from which ref. The rehearsal (test_rehearsal_deploy.py) runs them; this holds
the shape that act cannot judge (permissions, concurrency, what reaches a shell)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import Bake, Project

pytestmark = pytest.mark.render

DEPLOY = {"kind": "service", "container": "ghcr+deploy", "notifications": "slack+email"}
WORKFLOWS = ".github/workflows"
NOTIFY_SECRETS = {"SLACK_WEBHOOK_URL", "SMTP_SERVER", "SMTP_USERNAME", "SMTP_PASSWORD", "NOTIFY_EMAIL_TO"}


@pytest.fixture(scope="module")
def project(bake: Bake) -> Project:
    return bake(**DEPLOY)


def jobs(project: Project, workflow: str) -> dict[str, Any]:
    return dict(project.yaml(f"{WORKFLOWS}/{workflow}")["jobs"])


def one_line(condition: str) -> str:
    return " ".join(condition.split())


def test_deploy_yml_holds_least_privilege_per_job(project: Project) -> None:
    workflow = project.yaml(f"{WORKFLOWS}/deploy.yml")
    assert workflow["permissions"] == {}
    deploy_jobs = workflow["jobs"]
    assert deploy_jobs["resolve"]["permissions"] == {"contents": "read", "deployments": "read"}
    assert deploy_jobs["deploy"]["permissions"] == {"contents": "read", "deployments": "write"}
    assert deploy_jobs["notify"]["permissions"] == {"contents": "read"}
    # Only the deploy job names the environment: its reviewers gate the one job holding the key.
    assert "environment" not in deploy_jobs["resolve"]
    assert deploy_jobs["deploy"]["environment"] == {
        "name": "${{ inputs.environment }}",
        "url": "${{ vars.DEPLOY_URL }}",
    }


def test_one_deployment_per_environment_never_cancelled_half_way(project: Project) -> None:
    deploy = jobs(project, "deploy.yml")["deploy"]
    assert deploy["concurrency"] == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": False}
    assert deploy["timeout-minutes"] <= 30


def test_no_input_or_ref_name_reaches_a_shell(project: Project) -> None:
    """Inputs, refs and outputs go through env:, never into a `run:` line."""
    for name in ("deploy.yml", "ci.yml", "release.yml"):
        for job in jobs(project, name).values():
            for step in job.get("steps", []):
                run = step.get("run", "")
                assert "${{" not in run, f"{name}: {run}"


def test_the_key_is_passed_by_name_and_nothing_is_inherited(project: Project) -> None:
    declared = project.yaml(f"{WORKFLOWS}/deploy.yml")[True]["workflow_call"]["secrets"]
    assert set(declared) == {"DEPLOY_SSH_KEY"} | NOTIFY_SECRETS
    assert all(value == {"required": False} for value in declared.values())
    callers = {
        ("ci.yml", "deploy-development"): "development",
        ("release.yml", "deploy-staging"): "staging",
        ("release.yml", "deploy-production"): "production",
    }
    for (workflow, job_id), environment in callers.items():
        job = jobs(project, workflow)[job_id]
        assert job["uses"] == "./.github/workflows/deploy.yml"
        assert job["with"]["environment"] == environment
        assert job["secrets"] != "inherit"
        assert job["secrets"] == {name: f"${{{{ secrets.{name} }}}}" for name in declared}, (workflow, job_id)
        assert job["permissions"] == {"contents": "read", "deployments": "write"}
    # The stage's step reads the key; nothing else in deploy.yml does.
    text = project.text(f"{WORKFLOWS}/deploy.yml")
    assert text.count("secrets.DEPLOY_SSH_KEY") == 1


def test_main_deploys_development_only_after_a_green_push(project: Project) -> None:
    ci = jobs(project, "ci.yml")
    build, deploy = ci["publish-dev-image"], ci["deploy-development"]
    condition = one_line(build["if"])
    # Not on pull requests, the nightly run or another branch; only after the gate passed. The
    # explicit !cancelled(): the implicit success() would skip it when any earlier job was
    # skipped (the rehearsal found that: codecov is skipped without Codecov).
    assert condition.startswith(
        "${{ !cancelled() && vars.DEPLOY_ENABLED == 'true' && github.event_name == 'push' && github.ref == "
    )
    assert "needs.ci-passed.result == 'success'" in condition
    assert build["needs"] == "ci-passed"
    assert build["permissions"] == {"contents": "read", "packages": "write"}
    (push,) = [s for s in build["steps"] if s.get("uses", "").startswith("docker/build-push-action@")]
    assert push["with"]["push"] is True
    assert push["with"]["tags"] == "${{ steps.version.outputs.image }}:sha-${{ github.sha }}"
    assert deploy["needs"] == "publish-dev-image"
    assert one_line(deploy["if"]) == "${{ !cancelled() && needs.publish-dev-image.result == 'success' }}"
    assert deploy["with"]["digest"] == "${{ needs.publish-dev-image.outputs.digest }}"
    # The gate does not wait for the deployment: a pull request's check stays what it was.
    assert "publish-dev-image" not in ci["ci-passed"]["needs"]


def test_a_release_promotes_one_digest_and_a_pre_release_stops_at_staging(project: Project) -> None:
    release = jobs(project, "release.yml")
    staging, production = release["deploy-staging"], release["deploy-production"]
    digest = "${{ needs.publish-image.outputs.digest }}"
    assert staging["with"]["digest"] == production["with"]["digest"] == digest
    assert staging["with"]["revision"] == production["with"]["revision"] == "${{ needs.check.outputs.sha }}"
    assert "needs.publish-image.result == 'success'" in staging["if"]
    # Off until the maintainer says a host exists: before that, a release is not deployed.
    assert "vars.DEPLOY_ENABLED == 'true'" in staging["if"]
    assert "deploy-staging" in production["needs"]
    assert "needs.deploy-staging.result == 'success'" in production["if"]
    assert "needs.check.outputs.prerelease != 'true'" in production["if"]
    # The GitHub release does not wait for an approval that may take days.
    assert not {"deploy-staging", "deploy-production"} & set(release["github-release"]["needs"])


def test_a_manual_run_offers_the_three_environments_and_nothing_free_form(project: Project) -> None:
    dispatch = project.yaml(f"{WORKFLOWS}/deploy.yml")[True]["workflow_dispatch"]
    assert dispatch["inputs"] == {
        "environment": {
            "description": dispatch["inputs"]["environment"]["description"],
            "type": "choice",
            "options": ["development", "staging", "production"],
            "required": True,
        }
    }


def test_the_smoke_marker_and_file_come_with_the_option(bake: Bake) -> None:
    with_it, without = bake(**DEPLOY), bake(kind="service", container="ghcr")
    assert with_it.exists("tests/test_smoke.py")
    assert not without.exists("tests/test_smoke.py")
    markers = [m.split(":")[0] for m in with_it.toml()["tool"]["pytest"]["ini_options"]["markers"]]
    assert "smoke" in markers
    assert not without.exists(".github/workflows/deploy.yml")
    assert not re.search(r"deploy-(development|staging|production)", without.text(f"{WORKFLOWS}/release.yml"))
