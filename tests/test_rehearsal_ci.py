"""Rehearse the baked CI workflow end to end with act and local stand-ins (issue 4, part A).

Each scenario copies a shared bake to a private git repository, changes it the way a pull
request or a push would, and runs `.github/workflows/ci.yml` unchanged. Every test prints its
wall time and which jobs ran, which were skipped and why (run with -rA to see them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from conftest import Bake, Project
from support import rehearsal
from support.containers import cache_dir, temporary_storage
from support.next_steps import command_of, printed
from support.options import ALL_ON
from support.rehearsal import (
    UnknownInput,
    assert_all_succeeded,
    commit_all,
    git,
    not_executed,
    notification_secrets,
    prepare_repository,
    rehearse,
    replay_downstream,
    show,
)
from support.slack_webhook import slack_webhook
from support.smtp_server import smtp_server
from test_rehearsal_release import release_env

pytestmark = pytest.mark.rehearsal

SKIP_LABEL = {"pull_request": {"labels": [{"name": "skip-changelog"}]}}


def private(bake: Bake, tmp_path: Path, **overrides: Any) -> Path:
    """A committed private copy of a shared bake: main holds the baked project."""
    return prepare_repository(bake(**overrides).copy_to(tmp_path / "project").path)


def open_pull_request(project: Path, *, changelog: bool = True) -> None:
    """Commit a change on the `feature` branch, with or without a CHANGELOG entry."""
    if changelog:
        changelog_file = project / "CHANGELOG.md"
        text = changelog_file.read_text(encoding="utf-8")
        marker = "### Added\n\n"
        assert marker in text
        changelog_file.write_text(text.replace(marker, marker + "- A rehearsed change.\n", 1), "utf-8")
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nRehearsed.\n", encoding="utf-8")
    commit_all(project, "A change under review", branch="feature")


def test_pull_request_on_the_default_bake_is_green(bake: Bake, tmp_path: Path) -> None:
    """Scenario 1: every job a pull request starts succeeds and `ci-passed` passes."""
    project = private(bake, tmp_path)
    open_pull_request(project)
    run = rehearse(project, "pull_request", workflow="ci.yml")
    show(run, "1 pull request, default bake")
    assert_all_succeeded(run)
    for job in (
        "plan",
        "ci-passed",
        "test",
        "code",
        "supply-chain",
        "pre-commit",
        "changelog",
        "build",
        "install",
        "coverage",
    ):
        run.assert_job(job, "success")
    # The lean pull-request matrix: oldest Python only here (the newest, 3.15, is not installed).
    assert [job.name for job in run.matching("test")] == [
        "test on ubuntu-latest with Python 3.11/Tests/test on ubuntu-latest with Python 3.11"
    ]
    assert {r["name"] for r in run.records("actions/upload-artifact")} >= {
        "dist",
        "test-reports-ubuntu-latest-py3.11",
    }
    assert run.records("re-actors/alls-green")[0]["failed"] == {}
    # Each tier's report from the leg, and the gate applied once, to their data combined.
    leg = run.artifacts / "test-reports-ubuntu-latest-py3.11"
    assert sorted(p.name for p in leg.iterdir()) == [".coverage", "junit-e2e.xml", "junit-unit.xml"]
    gate = run.job("coverage").text()
    assert "Combined coverage of 1 data files" in gate, gate
    # The default bake is a command-line tool: one e2e test runs its installed console script.
    e2e = ElementTree.parse(leg / "junit-e2e.xml").getroot().find("testsuite")
    assert e2e is not None
    assert (e2e.get("name"), e2e.get("tests"), e2e.get("failures")) == (
        "e2e on ubuntu-latest, Python 3.11",
        "1",
        "0",
    )


def test_failing_test_fails_the_gate_and_notifies(bake: Bake, tmp_path: Path) -> None:
    """Scenario 2: a failing test fails its job and the gate, and Slack and email hear of it."""
    project = private(bake, tmp_path, notifications="slack+email")
    test_file = project / "tests" / "test_greeting.py"
    test_file.write_text(
        test_file.read_text(encoding="utf-8")
        + '\n\ndef test_broken_on_purpose() -> None:\n    assert __name__ == "another module"\n',
        encoding="utf-8",
    )
    open_pull_request(project)
    with slack_webhook() as slack, smtp_server() as smtp:
        secrets, env = notification_secrets(slack.url, smtp.port)
        run = rehearse(project, "pull_request", workflow="ci.yml", secrets=secrets, env=env)
        show(run, "2 failing test, slack+email bake")
        run.assert_job("test", "failure")
        assert "test_broken_on_purpose" in run.job("test").text()
        assert run.returncode != 0
        # act 0.2.89 ends the run when a job inside a called workflow fails, before the
        # `if: always()` jobs GitHub would still start: replay the recorded results into them.
        assert run.result("ci-passed") == "not run"
        gate = replay_downstream(run, ["ci-passed", "notify"], secrets=secrets, env=env)
        show(gate, "2 failing test, gate and notify replayed")
    assert gate.replayed["tests"] == "failure"
    gate.assert_job("ci-passed", "failure")
    # The messages are written without secrets, then sent by a job that runs no repository code.
    gate.assert_job("write the notifications", "success")
    gate.assert_job("send the notifications", "success")

    assert slack.rejections == []
    assert len(slack.received) == 1, gate.job("send the notifications").text()
    payload = slack.received[0]
    assert "failure" in payload["text"]
    fields = [
        field["text"]
        for block in payload["blocks"]
        if block["type"] == "section"
        for field in block["fields"]
    ]
    assert "❌ *tests*: failure" in fields
    assert "❌ *ci-passed*: failure" in fields
    assert "✅ *quality*: success" in fields

    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.recipients == ["team@example.com"]
    # notify.py names github.workflow, which GitHub sets to the caller's name ("CI") inside a
    # called workflow; act 0.2.89 sets the called workflow's own name ("Notify") instead.
    assert mail.subject in {
        f"[your-github-name/example-pipeline-package] {workflow} failed on feature"
        for workflow in ("CI", "Notify")
    }, mail.subject
    assert "tests: failure" in mail.body
    assert gate.records("dawidd6/action-send-mail")[0]["requested_port"] == "465"


def test_a_failed_nightly_run_reaches_slack_and_email(bake: Bake, tmp_path: Path) -> None:
    """The nightly schedule runs ci.yml on main where nobody watches: the full matrix, every tier,
    and the coverage gate on their data combined. Here every test passes but main gained code no
    test runs, under a 100% gate: the combined gate fails, so does ci-passed, and Slack and email
    hear of it."""
    project = private(bake, tmp_path, notifications="slack+email")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert "fail_under = 85\n" in text
    pyproject.write_text(text.replace("fail_under = 85\n", "fail_under = 100\n"), encoding="utf-8")
    module = project / "src" / "example_pipeline_package" / "greeting.py"
    module.write_text(
        module.read_text(encoding="utf-8") + '\n\ndef untested() -> str:\n    return "nobody calls this"\n',
        encoding="utf-8",
    )
    commit_all(project, "Code that no test runs")
    with slack_webhook() as slack, smtp_server() as smtp:
        secrets, env = notification_secrets(slack.url, smtp.port)
        run = rehearse(project, "schedule", workflow="ci.yml", secrets=secrets, env=env)
        show(run, "nightly schedule, combined coverage under the gate, slack+email bake")
    # The full matrix, as a push to main (the legs this machine can run), every one green.
    legs = sorted(re.sub(r"-\d+$", "", job.name.split("/", 1)[0]) for job in run.matching("test"))
    assert legs == [f"test on ubuntu-latest with Python 3.{minor}" for minor in (11, 12, 13)]
    run.assert_job("test", "success")
    assert run.result("changelog") == "not run"  # pull requests only
    # One gate on three legs' data combined, and it fails.
    run.assert_job("coverage", "failure")
    gate = run.job("coverage").text()
    assert "Combined coverage of 3 data files" in gate, gate
    assert "FAILED" in gate
    run.assert_job("ci-passed", "failure")
    assert run.records("re-actors/alls-green")[0]["failed"] == {"coverage": "failure"}
    run.assert_job("write the notifications", "success")
    run.assert_job("send the notifications", "success")
    assert slack.rejections == []
    assert len(slack.received) == 1, run.job("send the notifications").text()
    fields = [
        field["text"]
        for block in slack.received[0]["blocks"]
        if block["type"] == "section"
        for field in block["fields"]
    ]
    assert "❌ *coverage*: failure" in fields
    assert "✅ *tests*: success" in fields
    [mail] = smtp.messages
    named = [f"] {workflow} failed on main" in mail.subject for workflow in ("CI", "Notify")]
    assert any(named), mail.subject
    assert "coverage: failure" in mail.body


def test_changelog_rule_and_skip_label(bake: Bake, tmp_path: Path) -> None:
    """Scenario 3: no CHANGELOG entry fails the check; the skip label skips it and the gate passes."""
    project = private(bake, tmp_path)
    open_pull_request(project, changelog=False)

    missing = rehearse(project, "pull_request", workflow="ci.yml", job="quality")
    show(missing, "3a pull request without a changelog entry (quality only)")
    missing.assert_job("changelog", "failure")
    assert "Add an entry under [Unreleased]" in missing.job("changelog").text()
    for job in ("code", "supply-chain", "pre-commit"):
        missing.assert_job(job, "success")

    labelled = rehearse(project, "pull_request", workflow="ci.yml", event_payload=SKIP_LABEL)
    show(labelled, "3b the same pull request labelled skip-changelog")
    assert labelled.result("changelog") == "not run"
    assert any(reason.startswith("quality/changelog (if:") for reason in not_executed(labelled))
    assert_all_succeeded(labelled)
    labelled.assert_job("ci-passed", "success")


def test_push_to_main_runs_the_full_matrix_and_install_checks(bake: Bake, tmp_path: Path) -> None:
    """Scenario 4: the full matrix (the legs this machine can run) and the install checks pass."""
    project = private(bake, tmp_path)
    # The first push: exactly the commit the printed next steps make, uv.lock written by `uv sync`.
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    assert git(project, "log", "-1", "--format=%s") == "Start from cookiecutter-python-pipeline"
    assert "uv.lock" in git(project, "ls-files").splitlines()
    run = rehearse(project, "push", workflow="ci.yml")
    show(run, "4 push to main, default bake")
    assert_all_succeeded(run)
    legs = sorted(re.sub(r"-\d+$", "", job.name.split("/", 1)[0]) for job in run.matching("test"))
    assert legs == [f"test on ubuntu-latest with Python 3.{minor}" for minor in (11, 12, 13)]
    run.assert_job("install", "success")
    install = run.job("install").text()
    assert install.count("--version: example-pipeline-package 0.1.0") == 2, install
    assert run.result("changelog") == "not run"  # pull requests only
    run.assert_job("ci-passed", "success")


@pytest.fixture(scope="module")
def image_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The all-options bake has an image: its pull request's image job builds it for real, on
    the stand-in base (tests/support/containers.py), with the docker shim on PATH."""
    with temporary_storage(tmp_path_factory.mktemp("containers"), cache_dir()) as (storage, base):
        yield {**release_env({}), **storage.env, "REHEARSAL_BASE_IMAGE": base}


def test_pull_request_on_the_all_options_bake_is_green(
    bake: Bake, tmp_path: Path, image_env: dict[str, str]
) -> None:
    """Scenario 8 (CI half): the all-options bake's pull request is green, notify included."""
    project = private(bake, tmp_path, **ALL_ON)
    open_pull_request(project)
    run = rehearse(project, "pull_request", workflow="ci.yml", env=image_env)
    run.assert_job("build, run and scan the image", "success")
    show(run, "8 pull request, all-options bake")
    assert_all_succeeded(run)
    run.assert_job("ci-passed", "success")
    # A green pull request is not news: notify writes nothing worth sending, and the job that
    # holds the secrets never starts.
    run.assert_job("write the notifications", "success")
    assert "slack=false" in run.job("write the notifications").text()
    assert run.result("send the notifications") == "not run"
    # The combined coverage gate, then the upload in its own job, on the report the gate checked.
    run.assert_job("coverage", "success")
    run.assert_job("codecov", "success")
    (codecov,) = run.records("codecov/codecov-action")
    assert codecov["job"] == "codecov"
    assert codecov["inputs"]["use_oidc"] == "true"
    assert codecov["inputs"]["token"] == ""
    assert codecov["missing"] == [], codecov
    assert [Path(f).name for f in codecov["files"]] == ["coverage.xml"]


def test_breaking_a_workflow_turns_the_rehearsal_red(bake: Bake, tmp_path: Path) -> None:
    """A misspelled action input and a broken script each turn a rehearsal red."""
    project = private(bake, tmp_path)
    build = project / ".github" / "workflows" / "build.yml"
    original = build.read_text(encoding="utf-8")
    build.write_text(original.replace("if-no-files-found: error", "if-no-file-found: error"), "utf-8")
    commit_all(project, "Misspell an action input")
    with pytest.raises(UnknownInput, match="if-no-file-found"):
        rehearse(project, "push", workflow="ci.yml", job="build")

    build.write_text(original, encoding="utf-8")
    smoke = project / ".github" / "scripts" / "smoke_test.py"
    smoke.write_text(
        smoke.read_text(encoding="utf-8").replace('project["version"]:', 'project["version"] + "x":', 1),
        encoding="utf-8",
    )
    commit_all(project, "Break the smoke test script")
    run = rehearse(project, "push", workflow="ci.yml", job="build")
    show(run, "broken smoke test script")
    run.assert_job("build", "success")
    run.assert_job("install", "failure")
    assert "smoke_test: error" in run.job("install").text()


def test_security_workflow_runs_with_recorded_scanners(bake: Bake, tmp_path: Path) -> None:
    """security.yml on a pull request: the audit really runs (local OSV service), the
    GitHub-hosted scanners (dependency review, CodeQL, TruffleHog) are recorded stand-ins."""
    project = private(bake, tmp_path)
    open_pull_request(project)
    run = rehearse(project, "pull_request", workflow="security.yml")
    show(run, "security workflow, pull request, default bake")
    assert_all_succeeded(run)
    for job in ("audit", "dependency-review", "codeql", "secrets"):
        run.assert_job(job, "success")
    assert "Found no known vulnerabilities" in run.job("audit").text()
    assert run.records("actions/dependency-review-action")[0]["inputs"]["fail-on-severity"] == "moderate"
    assert {r["inputs"]["languages"] for r in run.records("github/codeql-action/init")} == {"python"}
    assert run.records("github/codeql-action/analyze")
    trufflehog = run.records("trufflesecurity/trufflehog")
    assert trufflehog[0]["inputs"]["extra_args"] == "--results=verified,unknown"
    # The secrets scan needs the full history: fetch-depth 0 gave the checkout every branch.
    checkouts = [r for r in run.records("actions/checkout") if r["job"] == "secrets"]
    assert checkouts[0]["inputs"]["fetch-depth"] == "0"


def test_a_failed_weekly_security_scan_reaches_slack_and_email(bake: Bake, tmp_path: Path) -> None:
    """The weekly scan runs where nobody looks: with notifications on, its failure (here the
    audit's, replayed into the notify job) is posted to Slack and mailed, like CI's."""
    project = private(bake, tmp_path, notifications="slack+email")
    with slack_webhook() as slack, smtp_server() as smtp:
        secrets, env = notification_secrets(slack.url, smtp.port)
        audit = rehearse(project, "schedule", workflow="security.yml", job="audit", secrets=secrets, env=env)
        show(audit, "security workflow, schedule, slack+email bake (audit only)")
        audit.assert_job("audit", "success")
        # A new advisory for a locked package: what the weekly audit exists to meet.
        results = {"audit": "failure", "dependency-review": "skipped", "codeql": "success"}
        results["secrets"] = "success"
        notified = replay_downstream(audit, ["notify"], results=results, secrets=secrets, env=env)
        show(notified, "security workflow, failed audit replayed into notify")
    notified.assert_job("write the notifications", "success")
    notified.assert_job("send the notifications", "success")
    assert len(slack.received) == 1, notified.job("send the notifications").text()
    sections = [block for block in slack.received[0]["blocks"] if block["type"] == "section"]
    fields = [field["text"] for block in sections for field in block["fields"]]
    assert "❌ *audit*: failure" in fields
    assert "✅ *codeql*: success" in fields
    [mail] = smtp.messages
    # github.workflow inside the called workflow: the caller's name on GitHub, its own under act.
    named = [f"] {workflow} failed on main" in mail.subject for workflow in ("Security", "Notify")]
    assert any(named), mail.subject
    assert "audit: failure" in mail.body


def skipping_uv_steps(project: Project, destination: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy committed by a user who typed every printed step except the uv ones.

    `uv run pre-commit install` is a uv step too, so this user has no hooks: nothing local stops
    the commit. The harness is handed the printed text minus those lines and must add nothing.
    """
    answers = {
        "project_slug": project.answers["project_slug"],
        "github_owner": project.answers["github_owner"],
    }
    text = printed(answers)
    without_uv = "\n".join(line for line in text.splitlines() if not command_of(line).startswith("uv "))
    assert without_uv.count("\n") == text.count("\n") - 3, without_uv
    with monkeypatch.context() as patched:
        patched.setattr(rehearsal, "printed", lambda answers: without_uv)
        return prepare_repository(project.copy_to(destination).path)


def test_the_harness_commits_only_what_the_next_steps_make(
    bake: Bake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rehearsal never repairs a project: uv.lock is committed only when a printed step wrote it."""
    baked = bake()
    assert not baked.exists("uv.lock")
    as_printed = prepare_repository(baked.copy_to(tmp_path / "as-printed").path)
    assert set(git(as_printed, "ls-files").splitlines()) == {*baked.files(), "uv.lock"}

    skipped = skipping_uv_steps(baked, tmp_path / "skipped-uv", monkeypatch)
    assert set(git(skipped, "ls-files").splitlines()) == set(baked.files())
    assert not (skipped / "uv.lock").exists()


def test_first_push_without_a_lock_names_the_fix_in_every_failing_job(
    bake: Bake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without hooks, CI is the backstop: each job that needs the lock fails at the lock, on one
    error line naming `uv lock`, and nothing else fails. (The gate, ci-passed, only lists them.)"""
    project = skipping_uv_steps(bake(), tmp_path / "project", monkeypatch)
    run = rehearse(project, "push", workflow="ci.yml")
    show(run, "first push of a commit made without the uv steps")
    needs_lock = {
        "audit dependencies and workflows",
        "lint, format and type check",
        "run the other pre-commit hooks",
        *(f"test on ubuntu-latest with Python 3.{minor}" for minor in (11, 12, 13)),
    }
    results = run.summary()
    failed = {name for name, result in results.items() if result == "failure"}
    # act 0.2.89 ends the run once a job in a called workflow fails, so jobs still running then
    # report no result ("unknown"); every job that did finish is accounted for.
    assert failed, results
    assert {name.split("/")[-1] for name in failed} <= needs_lock, results
    assert not {name for name, result in results.items() if result == "success"} & {
        name for name in results if name.split("/")[-1] in needs_lock
    }, results
    assert set(results.values()) <= {"success", "failure", "unknown"}, results
    seen = []
    for name in failed:
        failed_steps = {
            entry.get("step")
            for entry in run.entries
            if entry.get("stepResult") == "failure" and " ".join(str(entry.get("job")).split()) == name
        }
        # The composite setup (its lock check), or `uv audit --locked` in the job without it.
        assert failed_steps in ({"./.github/actions/setup-python-uv"}, {"Audit the locked dependencies"}), (
            name,
            failed_steps,
        )
        text = " ".join(run.job(name).text().split())  # uv wraps its message at 80 columns
        errors = [line.strip() for line in run.job(name).text().splitlines() if "error" in line.lower()]
        assert len(errors) <= 1, (name, errors)
        if errors:
            assert "uv.lock" in errors[0], (name, errors)
            assert "run 'uv lock'" in text or "run `uv lock`" in text, (name, text[-2000:])
            seen.append(name)
    # act 0.2.89 now and then drops the output of a step that fails within milliseconds (the
    # step result above is always there); the line itself must show up.
    assert seen, "no job printed the lock error"
    run.assert_job("plan", "success")
