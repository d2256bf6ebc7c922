"""The generated .github tree on every render combination: linters, schemas and structure."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Bake, Project
from support import validators
from support.options import TEMPLATE, render_combinations

pytestmark = pytest.mark.render

TOOLS = validators.TOOLS
PINS_FILE = TEMPLATE.parent / "shared" / "actions-pins.json"
COMBINATIONS = [pytest.param(overrides, id=name) for name, overrides in render_combinations()]
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$", re.MULTILINE)
IGNORE = re.compile(r"zizmor: ignore\[[a-z-]+\](?P<reason>.*)")


@pytest.fixture(params=COMBINATIONS)
def project(request: pytest.FixtureRequest, bake: Bake) -> Project:
    return bake(**request.param)


def workflows(project: Project) -> dict[str, dict[str, Any]]:
    return {
        p.name: project.yaml(f".github/workflows/{p.name}")
        for p in (project.path / ".github/workflows").glob("*.yml")
    }


def test_actionlint_with_shellcheck_finds_nothing(project: Project) -> None:
    assert validators.failures(validators.actionlint(project.path)) == []


def test_zizmor_regular_persona_finds_nothing(project: Project) -> None:
    (outcome,) = validators.zizmor(project.path)
    assert outcome.ok, str(outcome)
    assert "No findings to report" in outcome.output


def test_zizmor_pedantic_findings_are_only_reasoned_ignores(project: Project) -> None:
    assert validators.failures(validators.zizmor(project.path, "pedantic")) == []
    for relative in project.files():
        if relative.startswith(".github/"):
            for match in IGNORE.finditer(project.text(relative)):
                assert len(match.group("reason").strip()) > 10, f"{relative}: ignore without a reason"


def test_files_match_their_schemas(project: Project) -> None:
    outcomes = validators.schemas(project.path)
    assert validators.failures(outcomes) == []
    assert len(outcomes) >= 5  # workflows, actions, dependabot, issue forms, issue config


def test_every_job_is_least_privilege_and_bounded(project: Project) -> None:
    for name, workflow in workflows(project).items():
        assert workflow["permissions"] == {}, f"{name}: top-level permissions must be {{}}"
        assert "pull_request_target" not in workflow[True], name  # PyYAML reads `on:` as True
        for job_id, job in workflow["jobs"].items():
            assert "permissions" in job, f"{name}:{job_id} must state its permissions"
            if "uses" not in job:
                assert isinstance(job.get("timeout-minutes"), int), f"{name}:{job_id} needs timeout-minutes"


def test_every_permission_grant_says_why(project: Project) -> None:
    grant = re.compile(
        r"^\s+(contents|id-token|attestations|security-events|pull-requests|actions|packages):"
        r" (read|write)(.*)$"
    )
    for relative in project.files():
        if relative.startswith(".github/workflows/"):
            for line in project.text(relative).splitlines():
                if match := grant.match(line):
                    assert match.group(3).strip().startswith("#"), f"{relative}: {line.strip()}"


def test_actions_are_pinned_by_sha_with_a_version_comment(project: Project) -> None:
    pins = json.loads(PINS_FILE.read_text("utf-8")) if PINS_FILE.exists() else None
    for relative in project.files():
        if not relative.startswith(".github/") or not relative.endswith(".yml"):
            continue
        for match in USES.finditer(project.text(relative)):
            ref = match.group("ref")
            if ref.startswith("./"):
                continue
            action, _, sha = ref.partition("@")
            assert re.fullmatch(r"[0-9a-f]{40}", sha), f"{relative}: {ref} is not pinned to a commit"
            version = re.fullmatch(r"\s*#\s*(v?\d[\w.]*)\s*", match.group("comment"))
            assert version, f"{relative}: {ref} needs a '# vX.Y.Z' comment"
            if pins is not None:
                entry = pins[action]
                known = {entry["sha"]: entry["tag"]}
                if newer := entry.get("newer_seen_elsewhere"):
                    known[newer["sha"]] = newer["tag"]
                assert known.get(sha) == version.group(1), f"{relative}: {ref} is not a known pin"


def test_checkouts_do_not_keep_credentials(project: Project) -> None:
    for name, workflow in workflows(project).items():
        for job_id, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, f"{name}:{job_id}"


def test_no_expression_is_expanded_inside_a_shell_script(project: Project) -> None:
    for relative in project.files():
        if relative.startswith(".github/") and relative.endswith(".yml"):
            document = project.yaml(relative)
            jobs = document.get("jobs", {}) if isinstance(document, dict) else {}
            steps = [s for job in jobs.values() for s in job.get("steps", [])]
            if isinstance(document, dict) and "runs" in document:
                steps += document["runs"].get("steps", [])
            for step in steps:
                assert "${{" not in str(step.get("run", "")), (
                    f"{relative}: {step.get('name', step['run'][:40])}"
                )


SECRET = re.compile(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)")
# `secrets.X != ''` (or ==, joined by &&/||) gives "true" or "false", never the value itself.
PRESENCE_TEST = re.compile(
    r"\$\{\{\s*secrets\.\w+\s*[!=]=\s*''(?:\s*(?:&&|\|\|)\s*secrets\.\w+\s*[!=]=\s*'')*\s*\}\}"
)


def secrets_in(value: Any) -> set[str]:
    """Names of the secrets (other than GITHUB_TOKEN) an expression anywhere in value reads."""
    return {name for name in SECRET.findall(json.dumps(value)) if name != "GITHUB_TOKEN"}


def test_no_secret_shares_a_job_with_code_from_the_branch(project: Project) -> None:
    """A job that reads a secret runs no `run:` step, local action or checkout before its last
    use of it: only SHA-pinned remote actions, so nothing a pull request's branch brings (its
    scripts, its tests, the dependencies they import) can read or tamper with the secret. Jobs
    bound to an environment are guarded by the environment's deployment-branch rules instead."""
    offenders = []
    for name, workflow in workflows(project).items():
        for job_id, job in workflow["jobs"].items():
            if "environment" in job or "steps" not in job:
                continue  # a reusable-workflow call is checked in the workflow it calls
            outside_steps = {key: value for key, value in job.items() if key != "steps"}
            if not secrets_in(job):
                continue
            exposed = [
                str(value)
                for value in (outside_steps.get("env") or {}).values()
                if secrets_in(value) and not PRESENCE_TEST.fullmatch(str(value).strip())
            ]
            other = {key: value for key, value in outside_steps.items() if key != "env"}
            if exposed or secrets_in(other):
                offenders.append(f"{name}:{job_id}: a job-level secret reaches every step")
                continue
            steps = job["steps"]
            last = max(index for index, step in enumerate(steps) if secrets_in(step))
            for step in steps[: last + 1]:
                uses = str(step.get("uses", ""))
                label = step.get("name") or uses or str(step.get("run", ""))[:40]
                if "run" in step:
                    offenders.append(f"{name}:{job_id}: runs `{label}` before its last secret")
                elif uses.startswith("./"):
                    offenders.append(f"{name}:{job_id}: runs local action {uses} before its last secret")
                elif uses.startswith("actions/checkout@"):
                    offenders.append(f"{name}:{job_id}: checks out the branch before its last secret")
                elif not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses):
                    offenders.append(f"{name}:{job_id}: {uses} is not a SHA-pinned remote action")
    assert offenders == []


def test_the_coverage_upload_runs_no_code_from_the_branch(project: Project) -> None:
    """The job that can mint an OIDC token for Codecov runs only pinned actions."""
    job = project.yaml(".github/workflows/ci.yml")["jobs"]["codecov"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert "environment" not in job
    assert [step["uses"].split("@")[0] for step in job["steps"]] == [
        "actions/checkout",
        "actions/download-artifact",
        "codecov/codecov-action",
    ]
    # It uploads the report the coverage gate checked, not each leg's.
    assert job["needs"] == ["plan", "coverage"]
    assert job["steps"][1]["with"]["name"] == "coverage-combined"
    upload = job["steps"][-1]["with"]
    assert upload["use_oidc"] is True
    assert "token" not in upload
    assert upload["plugins"] == "noop"  # the CLI's report generators would run coverage tools
    assert upload["fail_ci_if_error"] is False
    assert re.fullmatch(r"v\d+\.\d+\.\d+", upload["version"])  # the CLI, pinned
    # Whether the project uploads at all is decided by codecov.yml, read by ci_plan.py.
    assert "needs.plan.outputs.codecov == 'true'" in job["if"]
    tests = project.yaml(".github/workflows/tests.yml")
    assert "secrets" not in tests[True]["workflow_call"]


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def test_the_gate_needs_every_other_ci_job(project: Project) -> None:
    jobs = project.yaml(".github/workflows/ci.yml")["jobs"]
    gate = jobs["ci-passed"]
    # Runs after failures, but is cancelled with a cancelled (superseded) run.
    assert gate["if"] == "${{ !cancelled() }}"
    # The results and the verdict are recorded after a failing verdict too.
    verdict, record = gate["steps"]
    assert record["if"] == "${{ !cancelled() }}"
    assert record["env"] == {"NEEDS": "${{ toJSON(needs) }}", "VERDICT": "${{ steps.verdict.outcome }}"}
    assert gate["outputs"] == {"results": "${{ steps.results.outputs.results }}"}
    # Codecov is not a merge gate: its job may fail or be skipped. The combined coverage gate
    # (the `coverage` job) is, so it is not in the allowed list.
    assert verdict["uses"].startswith("re-actors/alls-green@")
    assert verdict["with"]["allowed-failures"] == verdict["with"]["allowed-skips"] == "codecov"
    assert "coverage" in gate["needs"]
    # Every job but those after the gate (the development deployment runs after it passed).
    after_gate = {"ci-passed"}
    while grown := {
        job_id for job_id, job in jobs.items() if job_id not in after_gate and after_gate & set(_needs(job))
    }:
        after_gate |= grown
    assert set(gate["needs"]) == set(jobs) - after_gate
    assert ("deploy-development" in after_gate) is (project.answers["container"] == "ghcr+deploy")
    assert ("notify" in jobs) is (project.answers["notifications"] != "none")


@pytest.mark.parametrize("channels", ["slack", "email", "slack+email"])
def test_the_notification_reads_the_gate_instead_of_listing_the_jobs(bake: Bake, channels: str) -> None:
    notify = bake(notifications=channels).yaml(".github/workflows/ci.yml")["jobs"]["notify"]
    assert notify["needs"] == ["plan", "ci-passed"]
    assert notify["with"]["results"] == "${{ needs.ci-passed.outputs.results }}"


def test_each_test_leg_runs_the_tiers_and_uploads_their_reports(project: Project) -> None:
    """tests.yml runs unit then e2e through the tier script and uploads every tier's JUnit file
    and the coverage data file (hidden: asked for) as a `test-reports-*` artifact."""
    steps = project.yaml(".github/workflows/tests.yml")["jobs"]["test"]["steps"]
    run = next(step for step in steps if step.get("id") == "tests")
    assert run["run"].startswith("uv run --no-sync python .github/scripts/test_tiers.py run unit e2e ")
    assert "--cov-fail-under" not in run["run"]  # no gate per leg: it is applied once, combined
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["with"]["name"].startswith("test-reports-")
    assert upload["with"]["path"].split() == ["junit-*.xml", ".coverage"]
    assert upload["with"]["include-hidden-files"] is True
    assert upload["with"]["if-no-files-found"] == "error"
    assert (project.path / ".github/scripts/test_tiers.py").is_file()


def test_the_coverage_gate_combines_every_test_report_once(project: Project) -> None:
    jobs = project.yaml(".github/workflows/ci.yml")["jobs"]
    job = jobs["coverage"]
    # The database option's integration job uploads a report too, so the gate waits for it.
    database = project.answers.get("database") == "postgresql"
    assert job["needs"] == ["plan", "tests", *(["integration"] if database else [])]
    assert "!cancelled()" in job["if"]
    assert job["permissions"] == {"contents": "read"}
    uses = [str(step.get("uses", "")).split("@")[0] for step in job["steps"]]
    download = job["steps"][uses.index("actions/download-artifact")]
    assert download["with"] == {"pattern": "test-reports-*", "path": "${{ runner.temp }}/test-reports"}
    assert "merge-multiple" not in download["with"]  # each artifact keeps its own folder
    gate = next(s for s in job["steps"] if "test_tiers.py combine" in s.get("run", ""))
    assert "if" not in gate  # its failure is the job's, and so the gate's
    settings = project.toml()["tool"]["coverage"]
    assert settings["run"]["relative_files"] is True
    assert "src/" in settings["paths"]["source"]


def test_the_tiers_are_registered_markers(project: Project) -> None:
    pytest_settings = project.toml()["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in pytest_settings["addopts"]
    names = [marker.split(":")[0] for marker in pytest_settings["markers"]]
    # smoke: deploy.yml's checks of a deployed environment, not a tier of the test run.
    smoke = ["smoke"] if project.answers["container"] == "ghcr+deploy" else []
    assert names == ["integration", "e2e", *smoke]


def test_a_nightly_run_tests_everything_and_notifies_on_failure(project: Project) -> None:
    ci = project.yaml(".github/workflows/ci.yml")
    [nightly] = ci[True]["schedule"]
    minute, hour, *rest = nightly["cron"].split()
    assert rest == ["*", "*", "*"]  # daily
    assert minute not in {"0", "00"}  # GitHub delays runs queued on the hour
    assert 0 <= int(hour) <= 23
    # Its own concurrency group: a waiting push to main must not replace it, nor it the push.
    group = ci["concurrency"]["group"]
    assert "github.event_name == 'schedule'" in group
    assert ci["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"

    # The full matrix, as a push to main.
    def plan(event: str) -> str:
        return project.run(
            sys.executable, ".github/scripts/ci_plan.py", "--event", event, env={"GITHUB_OUTPUT": ""}
        ).stdout

    assert plan("schedule") == plan("push")
    # Whatever fails at night reaches the channels: notify runs on every run not cancelled.
    jobs = ci["jobs"]
    assert ("notify" in jobs) is (project.answers["notifications"] != "none")
    if "notify" in jobs:
        assert jobs["notify"]["if"] == "${{ !cancelled() }}"


def test_release_jobs_hold_only_what_publishing_needs(project: Project) -> None:
    jobs = project.yaml(".github/workflows/release.yml")["jobs"]
    publishing = {job_id: job for job_id, job in jobs.items() if "environment" in job}
    expected = {
        "pypi": {"publish-testpypi": "testpypi", "publish": "pypi"},
        "private-index": {"publish-private-index": "private-index"},
        "none": {},
    }[project.answers["publish"]]
    assert {job_id: job["environment"]["name"] for job_id, job in publishing.items()} == expected
    for job_id, job in publishing.items():
        grants = {"id-token": "write"} if project.answers["publish"] == "pypi" else {}
        assert job["permissions"] == grants, job_id
    for job_id, job in jobs.items():
        for step in job.get("steps", []):
            uses = str(step.get("uses", ""))
            if uses.startswith(("astral-sh/setup-uv@", "actions/cache@")):
                assert step["with"]["enable-cache"] is False, f"release.yml:{job_id} must not cache"
            assert "setup-python-uv" not in uses, f"release.yml:{job_id} must not use the caching setup"


def test_pull_requests_get_the_lean_matrix(project: Project) -> None:
    def plan(event: str) -> dict[str, Any]:
        output = project.run(
            sys.executable, ".github/scripts/ci_plan.py", "--event", event, env={"GITHUB_OUTPUT": ""}
        )
        return {
            key: json.loads(value)
            for key, value in (line.split("=", 1) for line in output.stdout.splitlines())
        }

    oldest, newest = project.answers["python_min"], project.answers["python_max"]
    every = [f"3.{m}" for m in range(int(oldest[2:]), int(newest[2:]) + 1)]
    systems = json.loads(project.answers["__os_json"])
    full, lean = plan("push"), plan("pull_request")
    assert full["python"] == every
    assert full["os"] == systems
    assert lean["python"] == sorted({oldest, newest})
    assert lean["os"] == systems[:1]
    assert full["require-changelog"] is project.answers["require_changelog"]
    assert full["notify"] == json.loads(project.answers["__notify_json"])
    assert full["codecov"] is project.answers["codecov"]


def test_a_channel_without_the_notify_workflow_fails_the_plan(bake: Bake, tmp_path: Path) -> None:
    """A project baked without notifications has no notify job: listing a channel would do
    nothing, silently. The plan says so instead."""
    project = bake(notifications="none").copy_to(tmp_path / "project")
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text("utf-8").replace("notify = []", 'notify = ["slack"]'), "utf-8")
    done = project.run(sys.executable, ".github/scripts/ci_plan.py", check=False, env={"GITHUB_OUTPUT": ""})
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert "notify = ['slack'], but the project has no .github/workflows/notify.yml" in line


def test_optional_workflows_follow_the_options(project: Project) -> None:
    names = set(workflows(project))
    assert {
        "ci.yml",
        "tests.yml",
        "quality.yml",
        "build.yml",
        "release.yml",
        "security.yml",
        "repo-setup.yml",
    } <= names
    dependabot = project.yaml(".github/dependabot.yml")
    # The docker ecosystem moves the base image's digest, in a bake that has a Dockerfile.
    docker = {"docker"} if project.exists("Dockerfile") else set()
    assert {u["package-ecosystem"] for u in dependabot["updates"]} == {
        "uv",
        "github-actions",
        "pre-commit",
        *docker,
    }
    assert all("cooldown" in u and "groups" in u for u in dependabot["updates"])


def test_the_templates_own_workflows_are_clean(template_dir: Path) -> None:
    """The template's CI is held to the same rules as the workflows it generates."""
    import subprocess

    files = sorted(str(p) for p in (template_dir / ".github" / "workflows").glob("*.yml"))
    assert files
    for command in (
        [TOOLS / "actionlint", "-shellcheck", TOOLS / "shellcheck", "-no-color", *files],
        [TOOLS / "zizmor", "--offline", "--no-progress", "--persona", "pedantic", template_dir / ".github"],
        [TOOLS / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files],
    ):
        result = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_gate_is_cancelled_with_its_run_never_skipped(project: Project) -> None:
    """`ci-passed` is the required check. A job whose only condition is `!cancelled()` ends as
    cancelled when its run is cancelled; with any other condition added it can end *skipped*,
    which GitHub counts as a passing required check. So the condition stays exactly this."""
    gate = project.yaml(".github/workflows/ci.yml")["jobs"]["ci-passed"]
    assert gate["if"] == "${{ !cancelled() }}"
    # The verdict fails the job: nothing may mark it allowed to fail.
    [verdict] = [
        step for step in gate["steps"] if str(step.get("uses", "")).startswith("re-actors/alls-green@")
    ]
    assert "continue-on-error" not in verdict
    assert "continue-on-error" not in gate


def test_mail_never_reads_a_file_named_by_the_branch(bake: Bake) -> None:
    """dawidd6/action-send-mail reads a subject or body of `file://PATH` (after trimming) from
    disk, and both come from the job that ran the branch's notify.py: the send step must refuse
    any that holds `file://`, wherever it stands."""
    send = bake(notifications="email").yaml(".github/workflows/notify.yml")["jobs"]["send"]
    (mail,) = [step for step in send["steps"] if str(step.get("uses", "")).startswith("dawidd6/")]
    condition = " ".join(str(mail["if"]).split())
    assert "!contains(needs.write.outputs.subject, 'file://')" in condition
    assert "!contains(fromJSON(needs.write.outputs.email-body), 'file://')" in condition
    assert mail["with"]["subject"] == "${{ needs.write.outputs.subject }}"


def test_the_template_sync_pull_request_is_spared_the_changelog_rule_only_from_this_repository(
    project: Project,
) -> None:
    """cruft never touches CHANGELOG.md, so the sync pull request would always fail the rule. It
    is let through by its branch, and only when that branch is this repository's (which takes
    write access to push): a fork's `template-sync` branch still needs its entry."""
    condition = " ".join(project.yaml(".github/workflows/quality.yml")["jobs"]["changelog"]["if"].split())
    exemption = (
        "!(github.event.pull_request.head.ref == 'template-sync'"
        " && github.event.pull_request.head.repo.full_name == github.repository)"
    )
    assert condition.endswith("&& " + exemption)
    assert "github.head_ref" not in condition  # the same value, but the pair reads as one rule
    if project.answers["template_sync"]:
        propose = project.yaml(".github/workflows/template-sync.yml")["jobs"]["propose"]
        (opener,) = [s for s in propose["steps"] if str(s.get("uses", "")).startswith("peter-evans/")]
        assert opener["with"]["branch"] == "template-sync"


UNWATCHED = tuple(f".github/workflows/{name}.yml" for name in ("release", "security", "template-sync"))


def test_failures_nobody_watches_reach_the_notification_channels(project: Project) -> None:
    """Release, the weekly security scan and template sync run on tags and schedules, where no
    pull request shows a red cross. With notifications on, each ends in the same reusable
    notify.yml as CI, on failure only, holding nothing but read access and the notification
    secrets, passed by name."""
    notifications_on = project.answers["notifications"] != "none"
    declared = {}
    if notifications_on:
        declared = project.yaml(".github/workflows/notify.yml")[True]["workflow_call"]["secrets"]
    present = [relative for relative in UNWATCHED if (project.path / relative).exists()]
    assert (".github/workflows/template-sync.yml" in present) is project.answers["template_sync"]
    for relative in present:
        jobs = project.yaml(relative)["jobs"]
        assert ("notify" in jobs) is notifications_on, relative
        if not notifications_on:
            continue
        notify = jobs["notify"]
        assert notify["uses"] == "./.github/workflows/notify.yml", relative
        assert notify["if"] == "${{ failure() }}", relative
        # Deployments notify through deploy.yml's own notify job, of every outcome: once.
        deployments = {"deploy-staging", "deploy-production"}
        assert set(notify["needs"]) == set(jobs) - {"notify"} - deployments, (
            f"{relative}: notify must need every job"
        )
        assert notify["permissions"] == {"contents": "read"}, relative
        assert notify["with"] == {"results": "${{ toJSON(needs) }}", "channels": ""}, relative
        assert notify["secrets"] == {name: f"${{{{ secrets.{name} }}}}" for name in declared}, relative
