"""Rehearse what a project meets in its first weeks, beyond the first push (issue 8).

Each scenario runs the baked workflows unchanged with act (tests/support/rehearsal.py): a
Dependabot pull request, a superseded run that GitHub cancels, a private repository without
GitHub Advanced Security, and every job that calls a network scanner. Every test prints its
wall time, the jobs that ran or were skipped and why, which scanner verdicts come from
stand-ins, and what is simulated because act cannot do it (run with -rA to see them).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Bake
from support.rehearsal import (
    SCANNERS,
    STANDINS,
    Rehearsal,
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

pytestmark = pytest.mark.rehearsal

DEPENDABOT = "dependabot[bot]"
DEPENDABOT_BRANCH = "dependabot/uv/python-dependencies-abc123"
# A direct test dependency the warm uv cache holds in two versions (tests/test_rehearsal_*
# resolve the newest; the older one is fetched once from PyPI, then read from the cache).
BUMPED, OLD, NEW = "pytest", "9.1.0", "9.2.0"
PRIVATE = {"repository": {"private": True, "visibility": "private"}}


def private(bake: Bake, tmp_path: Path, **overrides: Any) -> Path:
    """A committed private copy of a shared bake: main holds the baked project."""
    return prepare_repository(bake(**overrides).copy_to(tmp_path / "project").path)


def skipped_because(rehearsal: Rehearsal, job: str) -> str:
    """The `if:` a job of the run was skipped by, as not_executed() reports it."""
    (reason,) = [
        r
        for r in not_executed(rehearsal)
        if r.split(" ", 1)[0].endswith(f"/{job}") or r.startswith(f"{job} ")
    ]
    return reason


def uv_lock(project: Path, *args: str) -> str:
    """`uv lock` as a developer (or Dependabot) runs it: from the warm cache when it can."""
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    for offline in (["--offline"], []):
        done = subprocess.run(
            ["uv", "lock", *offline, *args], cwd=project, capture_output=True, text=True, check=False, env=env
        )
        if done.returncode == 0:
            return "offline" if offline else "online (PyPI)"
    raise AssertionError(f"uv lock {' '.join(args)} failed:\n{done.stderr}")


def locked_version(project: Path, name: str) -> str:
    text = (project / "uv.lock").read_text(encoding="utf-8")
    found = re.search(rf'^name = "{re.escape(name)}"\nversion = "([^"]+)"', text, re.MULTILINE)
    assert found, f"{name} is not in uv.lock"
    return found.group(1)


def dependabot_pull_request(project: Path) -> str:
    """Main locked OLD weeks ago; Dependabot's branch re-locks with the newer release, uv.lock only."""
    how = uv_lock(project, "--upgrade-package", f"{BUMPED}=={OLD}")
    assert locked_version(project, BUMPED) == OLD
    commit_all(project, f"Lock {BUMPED} {OLD}")
    uv_lock(project, "--upgrade-package", BUMPED)
    assert locked_version(project, BUMPED) == NEW
    assert git(project, "status", "--porcelain") == "M uv.lock"
    commit_all(
        project,
        f"Bump {BUMPED} from {OLD} to {NEW} in the python-dependencies group",
        branch=DEPENDABOT_BRANCH,
    )
    assert git(project, "diff", "--name-only", "main...HEAD") == "uv.lock"
    return how


def pull_request_by(login: str) -> dict[str, Any]:
    labels = [{"name": "dependencies"}, {"name": "python:uv"}] if login == DEPENDABOT else []
    return {
        "pull_request": {
            "user": {"login": login, "type": "Bot" if login == DEPENDABOT else "User"},
            "labels": labels,
            "title": f"Bump {BUMPED} from {OLD} to {NEW} in the python-dependencies group",
        },
        "sender": {"login": login},
    }


# ----------------------------------------------------------------------------- 1. Dependabot


def test_dependabot_lock_bump_is_green_without_secrets_or_changelog(bake: Bake, tmp_path: Path) -> None:
    """A Dependabot pull request (uv.lock only, no repository secrets, no CHANGELOG entry) is
    green, ci-passed included; the same change from a person still needs its changelog entry."""
    project = private(bake, tmp_path)
    how = dependabot_pull_request(project)
    print(f"[scenario] {DEPENDABOT_BRANCH}: uv.lock re-locked {BUMPED} {OLD} -> {NEW} ({how})")

    # No `secrets=`: a Dependabot pull request gets Dependabot secrets only, and this project has none.
    run = rehearse(
        project,
        "pull_request",
        workflow="ci.yml",
        actor=DEPENDABOT,
        event_payload=pull_request_by(DEPENDABOT),
    )
    show(run, "first weeks 1a: Dependabot pull request, ci.yml")
    assert_all_succeeded(run)
    run.assert_job("ci-passed", "success")
    assert run.result("changelog") == "not run"
    assert "github.event.pull_request.user.login != 'dependabot[bot]'" in skipped_because(run, "changelog")
    # The lean matrix tested the bumped lock.
    assert f"{BUMPED}=={NEW}" in run.job("test").text()

    security = rehearse(
        project,
        "pull_request",
        workflow="security.yml",
        actor=DEPENDABOT,
        event_payload=pull_request_by(DEPENDABOT),
    )
    show(security, "first weeks 1b: Dependabot pull request, security.yml (uv.lock changed)")
    assert_all_succeeded(security)
    assert (BUMPED, NEW) in security.osv_queries

    human = rehearse(
        project,
        "pull_request",
        workflow="ci.yml",
        job="quality",
        actor="octocat",
        event_payload=pull_request_by("octocat"),
    )
    show(human, "first weeks 1c: the same change from a person (quality only)")
    human.assert_job("changelog", "failure")
    assert "Add an entry under [Unreleased]" in human.job("changelog").text()


def test_changelog_rule_reads_the_pull_request_author_not_the_actor() -> None:
    """A re-run by a maintainer changes github.actor, never pull_request.user.login."""
    template = Path(__file__).parents[1] / "{{cookiecutter.__project_dir}}" / ".github" / "workflows"
    condition = yaml.safe_load((template / "quality.yml").read_text(encoding="utf-8"))["jobs"]["changelog"][
        "if"
    ]
    assert "github.event.pull_request.user.login != 'dependabot[bot]'" in condition
    assert "github.actor" not in condition


def test_the_template_sync_pull_request_passes_the_changelog_rule_but_a_fork_branch_does_not(
    bake: Bake, tmp_path: Path
) -> None:
    """cruft never touches CHANGELOG.md, so the sync pull request is let through by its branch,
    `template-sync` of this repository; a fork's branch of the same name still needs an entry."""
    project = private(bake, tmp_path)
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nTemplate update.\n", encoding="utf-8")
    commit_all(project, "Update from the project template", branch="template-sync")
    # owner/name from the remote the next steps printed, HTTPS or SSH.
    origin = git(project, "remote", "get-url", "origin").removesuffix(".git")
    own = "/".join(origin.replace(":", "/").split("/")[-2:])
    print(f"[scenario] template-sync: README.md changed, CHANGELOG.md not (repository {own})")

    def opened_from(head_repository: str) -> Rehearsal:
        payload = {
            "repository": {"full_name": own},
            "pull_request": {
                "user": {"login": "github-actions[bot]", "type": "Bot"},
                "head": {"repo": {"full_name": head_repository}},
            },
        }
        run = rehearse(
            project, "pull_request", workflow="ci.yml", job="quality", actor="github-actions[bot]",
            event_payload=payload,
        )  # fmt: skip
        show(run, f"first weeks 1d: template-sync pull request from {head_repository} (quality only)")
        return run

    sync = opened_from(own)
    assert sync.result("changelog") == "not run"
    assert "github.event.pull_request.head.repo.full_name == github.repository" in skipped_because(
        sync, "changelog"
    )
    fork = opened_from("someone/example-pipeline-package")
    fork.assert_job("changelog", "failure")
    assert "Add an entry under [Unreleased]" in fork.job("changelog").text()


# ----------------------------------------------------------------------------- 2. cancelled


def test_superseded_run_is_cancelled_not_failed_and_notifies_nobody(bake: Bake, tmp_path: Path) -> None:
    """A newer push cancels the pull request's run: the gate reports cancelled (it never
    runs), notify never runs, and Slack and SMTP receive nothing. The contrast, the same
    results as a failure in a run nobody cancelled, fails the gate and notifies both."""
    project = private(bake, tmp_path, notifications="slack+email")
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nSuperseded soon.\n", encoding="utf-8")
    commit_all(project, "A change a newer push will supersede", branch="feature")

    with slack_webhook() as slack, smtp_server() as smtp:
        secrets, env = notification_secrets(slack.url, smtp.port)
        # The plan job really runs (notify needs its channels); what it gates is replayed.
        plan = rehearse(project, "pull_request", workflow="ci.yml", job="plan", secrets=secrets, env=env)
        show(plan, "first weeks 2a: the plan of the run that will be superseded")
        plan.assert_job("plan", "success")

        upstream = {"tests": "cancelled", "coverage": "cancelled", "codecov": "skipped"}
        upstream |= {"quality": "cancelled", "build": "success"}
        cancelled = replay_downstream(
            plan, ["ci-passed", "notify"], results=upstream, cancelled_run=True, secrets=secrets, env=env
        )
        show(cancelled, "first weeks 2b: the run cancelled by a newer push (gate and notify replayed)")
        assert cancelled.simulated, "the output must say what is simulated"
        assert cancelled.result("ci-passed") == "not run"
        # ci-passed's `${{ !cancelled() }}`, as the server evaluates it in a cancelled run.
        assert skipped_because(cancelled, "ci-passed").endswith("(simulated), if: ${{ !always() }})")
        assert cancelled.result("notify") == "not run"
        assert slack.received == []
        assert smtp.messages == []

        failed = replay_downstream(
            plan, ["ci-passed", "notify"], results={**upstream, "tests": "failure"}, secrets=secrets, env=env
        )
        show(failed, "first weeks 2c: contrast, the same run failing without a cancellation")
        failed.assert_job("ci-passed", "failure")
        failed.assert_job("send the notifications", "success")
        assert len(slack.received) == 1
        assert len(smtp.messages) == 1


# ----------------------------------------------------------------------------- 3. private


def test_private_repository_without_advanced_security_is_green(bake: Bake, tmp_path: Path) -> None:
    """repository.private: every job of ci.yml and security.yml succeeds, except dependency
    review and CodeQL, which need GitHub Advanced Security there and skip with their reason
    in the `if:`; the ADVANCED_SECURITY variable turns them back on."""
    project = private(bake, tmp_path)
    changelog = project / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    changelog.write_text(text.replace("### Added\n\n", "### Added\n\n- A private change.\n", 1), "utf-8")
    commit_all(project, "A change in a private repository", branch="feature")

    ci = rehearse(project, "pull_request", workflow="ci.yml", event_payload=PRIVATE)
    show(ci, "first weeks 3a: private repository, pull request, ci.yml")
    assert_all_succeeded(ci)
    ci.assert_job("ci-passed", "success")

    security = rehearse(project, "pull_request", workflow="security.yml", event_payload=PRIVATE)
    show(security, "first weeks 3b: private repository, pull request, security.yml")
    assert_all_succeeded(security)
    for job in ("audit", "secrets"):
        security.assert_job(job, "success")
    for job in ("dependency-review", "codeql"):
        assert security.result(job) == "not run"
        assert "github.event.repository.private" in skipped_because(security, job)
    assert security.records("actions/dependency-review-action") == []
    assert security.records("github/codeql-action/init") == []

    pushed = rehearse(project, "push", workflow="security.yml", event_payload=PRIVATE)
    show(pushed, "first weeks 3c: private repository, push to main, security.yml")
    assert_all_succeeded(pushed)
    assert pushed.result("codeql") == "not run"

    ghas = rehearse(
        project,
        "pull_request",
        workflow="security.yml",
        event_payload=PRIVATE,
        variables={"ADVANCED_SECURITY": "true"},
    )
    show(ghas, "first weeks 3d: private repository with ADVANCED_SECURITY=true, security.yml")
    assert_all_succeeded(ghas)
    for job in ("dependency-review", "codeql"):
        ghas.assert_job(job, "success")


# ----------------------------------------------------------------------------- 4. scanners


def standin_kinds() -> dict[str, str]:
    """owner/repo[/subpath] -> what its stand-in runs: 'record' (records only) or another kind."""
    kinds = {}
    for path in sorted(STANDINS.rglob("action.yml")):
        parts = path.parent.relative_to(STANDINS).parts
        action = "/".join([*parts[0].split("__", 1), *parts[1:]])
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        runs = " ".join(str(step.get("run", "")) for step in (document["runs"].get("steps") or []))
        found = re.search(r"standin\.py\" (\S+)", runs)
        kinds[action] = found.group(1) if found else document["runs"]["using"]
    return kinds


def test_scanner_notes_say_what_each_stand_in_really_does() -> None:
    """The report's scanner lines are only honest if a stand-in that only records is described
    as 'records only', and one that decides something is not."""
    kinds = standin_kinds()
    for scanner in SCANNERS:
        if scanner.action is None:
            assert scanner.step, scanner
            assert "real" in scanner.verdict, scanner
            continue
        records_only = kinds[scanner.action] == "record"
        assert ("records only" in scanner.verdict) is (
            records_only or "then records only" in scanner.verdict
        ), scanner
        if records_only:
            assert "always success" in scanner.verdict, scanner


def test_every_network_scanner_job_is_rehearsed(bake: Bake, tmp_path: Path) -> None:
    """Each job that calls a network scanner runs (ci.yml's supply-chain job, security.yml's
    four jobs), and the output names which verdicts come from stand-ins."""
    project = private(bake, tmp_path)
    changelog = project / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    changelog.write_text(text.replace("### Added\n\n", "### Added\n\n- A scanned change.\n", 1), "utf-8")
    commit_all(project, "A change the scanners look at", branch="feature")

    quality = rehearse(project, "pull_request", workflow="ci.yml", job="quality")
    show(quality, "first weeks 4a: quality.yml's scanners (ci.yml, quality only)")
    quality.assert_job("supply-chain", "success")
    security = rehearse(project, "pull_request", workflow="security.yml")
    show(security, "first weeks 4b: security.yml's scanners")
    assert_all_succeeded(security)

    ran = {s.name for s, done in [*quality.scanners(), *security.scanners()] if done}
    # Codecov: the all-options bake (test_rehearsal_ci); Trivy: container bakes (test_rehearsal_image).
    assert ran == {s.name for s in SCANNERS} - {"Codecov", "Trivy"}
    assert quality.osv_queries
    assert security.osv_queries
    report = quality.report() + "\n" + security.report()
    for name in ("CodeQL", "dependency review", "TruffleHog"):
        assert re.search(rf"scanner {name}: stand-in, records only", report), report
    assert "scanner zizmor: real zizmor, offline audits only" in report
