"""Rehearse the baked template-sync workflow with act: a month in the life of a cruft project.

The project is created the way a user with a private template mirror creates it:
`cruft create <local git path> --checkout v1`, so its `.cruft.json` names a path that cruft,
inside the rehearsed `prepare` job, really clones. The template then moves on with commits whose
subjects are hostile to a pull request body (closing keywords, mentions, links, backticks, a
very long line) and whose changes cover every kind a patch must carry: a new binary file, a
deleted file and a clash with the user's edit (a `.rej` file in a shallow checkout), and one it
must not: a changed workflow, which the patch leaves out and the body lists to be taken by hand.
One of them changes the template's post-gen hook to leave a trace (a canary file) of every
process that runs it, with its environment.

What is real here: act runs the workflow file unchanged; `prepare` runs the baked script, which
runs cruft 2.16.0 (uvx, from PyPI) against the local template; the artifact goes through the
upload/download stand-ins (a per-run folder: act's own artifact server is not used by them);
`propose` runs its patch guard (git), its body check (main's copy of the script) and `git apply`
for real, and its token check asks the local GitHub API stand-in (tests/github_api/) through
GITHUB_API_URL; the create-pull-request stand-in commits and pushes the
branch to the rehearsal repository. What is not: no pull request is opened (GitHub is out of
reach): the stand-in records the one it would open, which the test output says.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from github_api.openapi import Description
from github_api.server import FakeGitHub, Repository, serve
from support.options import TEMPLATE
from support.rehearsal import Rehearsal, commit_all, git, not_executed, prepare_repository, rehearse
from support.template_repo import BASE_TAG, TemplateRepo, cruft, isolated_env, replace_in

pytestmark = pytest.mark.rehearsal

SLUG = "example-pipeline-package"
# The default owner, as cookiecutter.json says: the rehearsed repository is OWNER/SLUG.
OWNER = json.loads((TEMPLATE / "cookiecutter.json").read_text("utf-8"))["github_owner"]
WORKFLOW = "template-sync.yml"
# github.token and the environment's secret: distinct worthless values, so the recorded
# fingerprint says which one the pull request step was given.
GITHUB_TOKEN = "rehearsal-github-token-for-template-sync"  # pragma: allowlist secret
SYNC_TOKEN = "rehearsal-template-sync-token-secret"  # pragma: allowlist secret
# A token GitHub no longer accepts (expired or revoked): the API stand-in answers it 401.
EXPIRED_TOKEN = "rehearsal-expired-template-sync-token"  # pragma: allowlist secret
CONFLICT_LINE = "CI installs from `uv.lock` with `uv sync --locked`, so the lock file must be committed."
PLAN_TIMEOUT = "name: plan the test matrix\n    runs-on: ubuntu-latest\n    timeout-minutes: "
LOGO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00" + bytes(range(256))
HOSTILE_SUBJECTS = (
    "Fixes #12: give the plan job more time (closes owner/repo#3, thanks @org/team)",
    "Add a logo, see [the brief](https://example.com/brief) and `docs/` " + "very " * 40 + "long",
    "Drop .editorconfig (GH-7) @alice",
    "Reword the deployment guide; resolves https://github.com/owner/repo/issues/9",
)
CANARY_HOOK = """

# Rehearsal canary (added by tests/test_rehearsal_template_sync.py to its scratch template):
# every process that runs this hook leaves its job name and environment behind.
if __import__("os").environ.get("REHEARSAL_TEMPLATE_CANARY"):
    _environment = dict(__import__("os").environ)
    with Path(_environment["REHEARSAL_TEMPLATE_CANARY"]).open("a", encoding="utf-8") as _canary:
        _canary.write(json.dumps({"job": _environment.get("GITHUB_JOB", ""), "env": _environment}) + "\\n")
"""
ZWJ = "\u200d"
# The workflow the template's move changes: never in the patch, listed in the body instead.
LEFT_OUT = ".github/workflows/ci.yml"


@pytest.fixture
def template(template_snapshot: TemplateRepo, tmp_path: Path) -> TemplateRepo:
    return template_snapshot.clone(tmp_path / "template", isolated_env(tmp_path / "home"))


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def create_project(template: TemplateRepo, out: Path) -> Path:
    """`cruft create` from the local template at v1, a user edit, committed on main."""
    out.mkdir()
    cruft(
        "create",
        template.url,
        "--checkout",
        BASE_TAG,
        "--no-input",
        "--output-dir",
        out,
        cwd=out,
        env=template.env,
    )
    project = out / SLUG
    assert json.loads((project / ".cruft.json").read_text("utf-8"))["template"] == template.url
    prepare_repository(project)  # git init, uv lock, first commit on main
    replace_in(project / "docs/deployment.md", CONFLICT_LINE, "We commit uv.lock: CI installs from it.")
    commit_all(project, "Say why uv.lock is committed, our way")
    return project


def advance_hostile(template: TemplateRepo) -> list[str]:
    """Four template commits with hostile subjects, covering every kind of change; then the canary."""
    template.replace(".github/workflows/ci.yml", PLAN_TIMEOUT + "5", PLAN_TIMEOUT + "6")
    template.commit(HOSTILE_SUBJECTS[0])
    template.project_file("docs/logo.png").write_bytes(LOGO)
    template.commit(HOSTILE_SUBJECTS[1])
    template.remove(".editorconfig")
    template.commit(HOSTILE_SUBJECTS[2])
    template.replace("docs/deployment.md", CONFLICT_LINE, CONFLICT_LINE.replace("must", "has to"))
    template.commit(HOSTILE_SUBJECTS[3])
    # Before the hook's `sys.exit(main())`, so every run of the hook passes through it.
    main_guard = '\nif __name__ == "__main__":\n'
    replace_in(template.path / "hooks" / "post_gen_project.py", main_guard, CANARY_HOOK + main_guard)
    template.commit("Leave a canary in the post-gen hook")
    return [*HOSTILE_SUBJECTS, "Leave a canary in the post-gen hook"]


def expected_update(project: Path, template: TemplateRepo, destination: Path) -> dict[str, bytes]:
    """What cruft update makes of main in a one-commit checkout (as actions/checkout fetches),
    run here by the template's own cruft 2.16.0, outside act, less what the sync leaves out:
    the workflow stays as it is on main."""
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", "--branch", "main", project.as_uri(), str(destination)],
        check=True,
        capture_output=True,
    )
    cruft("update", "--skip-apply-ask", "--allow-untracked-files", cwd=destination, env=template.env)
    updated = files(destination)
    assert updated[LEFT_OUT] != (project / LEFT_OUT).read_bytes(), "the template's move changes a workflow"
    return {**updated, LEFT_OUT: (project / LEFT_OUT).read_bytes()}


def branch_files(project: Path, branch: str, destination: Path) -> dict[str, bytes]:
    subprocess.run(
        ["git", "clone", "--quiet", "--branch", branch, project.as_uri(), str(destination)],
        check=True,
        capture_output=True,
    )
    return files(destination)


def show(run: Rehearsal, label: str) -> None:
    print(run.report(label))
    for reason in not_executed(run):
        print(f"    skipped: {reason}")
    for record in run.records("peter-evans/create-pull-request"):
        print(
            f"    create-pull-request stand-in: branch {record['branch']} {record['operation']}, "
            f"pushed={record['pushed']} to the rehearsal repository; {record['pull_request']}"
        )


def canary(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def assert_body_is_inert(body: str, subjects: list[str]) -> None:
    """Every subject is listed, as code, and nothing GitHub would act on is left."""
    listed = re.findall(r"^- `[0-9a-f]{7,12}` (`+)(.*?)\1$", body, re.MULTILINE)
    visible = [" ".join(text.replace(ZWJ, "").split()) for _, text in listed]
    for subject in subjects:
        short = subject if len(subject) <= 120 else subject[:100]
        assert any(line.startswith(" ".join(short.split())) for line in visible), (subject, visible)
    assert not re.search(r"@[A-Za-z0-9]", body), body
    assert not re.search(r"#[0-9]|\bGH-[0-9]", body, re.IGNORECASE), body
    assert "://" not in body, body
    outside_code = re.sub(r"(`+).+?\1", "", body)
    assert "](" not in outside_code, outside_code  # no markdown link
    assert "<" not in outside_code, outside_code  # no HTML


@pytest.fixture
def github(description: Description) -> Iterator[FakeGitHub]:
    """The REST API the propose job's token check asks (GITHUB_API_URL, passed to act): it knows
    SYNC_TOKEN only, so any other token gets GitHub's 401."""
    fake = FakeGitHub(description)
    fake.repos = {f"{OWNER}/{SLUG}": Repository()}
    fake.tokens = {SYNC_TOKEN: "admin"}
    with serve(fake):
        yield fake
    assert fake.violations == [], "requests GitHub would refuse"


def test_weekly_sync_then_manual_run_with_the_token(
    template: TemplateRepo, tmp_path: Path, github: FakeGitHub
) -> None:
    """Schedule (workflow token), then workflow_dispatch (TEMPLATE_SYNC_TOKEN) on one branch,
    then a run whose token has expired, then nothing to do once the pull request is merged."""
    project = create_project(template, tmp_path / "out")
    subjects = advance_hostile(template)
    expected = expected_update(project, template, tmp_path / "expected-1")
    main_before = git(project, "rev-parse", "main")

    trace = tmp_path / "canary.jsonl"
    env = {
        "REHEARSAL_TEMPLATE_CANARY": str(trace),
        # The runner's own home on GitHub: cookiecutter's replay files stay out of this machine's.
        "COOKIECUTTER_CONFIG": template.env["COOKIECUTTER_CONFIG"],
        # The token check asks the local stand-in, never api.github.com.
        "GITHUB_API_URL": github.url,
    }
    secrets = {"GITHUB_TOKEN": GITHUB_TOKEN}

    # 1. The weekly schedule, no TEMPLATE_SYNC_TOKEN in the environment: github.token is used.
    weekly = rehearse(project, "schedule", workflow=WORKFLOW, env=env, secrets=secrets)
    show(weekly, "template sync, schedule, workflow token")
    weekly.assert_job("prepare", "success")
    weekly.assert_job("propose", "success")
    assert weekly.returncode == 0, weekly.tail()
    (upload,) = weekly.records("actions/upload-artifact")
    assert (upload["name"], sorted(upload["files"])) == ("template-sync", ["body.md", "changes.patch"])
    assert upload["inputs"]["retention-days"] == "1"
    assert [r["job"] for r in weekly.records("actions/download-artifact")] == ["propose"]
    (pr,) = weekly.records("peter-evans/create-pull-request")
    assert pr["job"] == "propose"
    assert (pr["branch"], pr["title"], pr["labels"], pr["operation"]) == (
        "template-sync",
        "Update from the project template",
        ["template-sync"],
        "created",
    )
    assert pr["token_sha256"] == fingerprint(GITHUB_TOKEN)
    assert pr["base"] == main_before
    assert_body_is_inert(pr["body"], subjects)
    assert "- `docs/deployment.md.rej`" in pr["body"]
    left_out = pr["body"].split("## Left out: workflow and action files to take by hand")[1]
    assert [line for line in left_out.splitlines() if line.startswith("- ")] == [f"- `{LEFT_OUT}`"]
    assert "`uvx cruft diff` on this branch" in left_out
    assert set(pr["changes"]) == {
        "M\t.cruft.json",
        "D\t.editorconfig",
        "A\tdocs/deployment.md.rej",
        "A\tdocs/logo.png",
    }
    # The pushed branch holds exactly what cruft update produced, byte for byte.
    assert branch_files(project, "template-sync", tmp_path / "branch-1") == expected
    assert git(project, "rev-parse", "main") == main_before, "the workflow never touches main"

    # The template's code ran in prepare only, which held no secret.
    traces = canary(trace)
    assert traces, "the canary hook never ran: cruft did not replay the new template commit"
    assert {t["job"] for t in traces} == {"prepare"}
    assert not any(GITHUB_TOKEN in value for t in traces for value in t["env"].values())
    propose_log = weekly.job("propose").text()
    # The only script propose runs is main's copy, checking the body; it ran and passed.
    assert "The pull request body mentions, references and links nothing." in propose_log
    assert "template_sync.py --body" not in propose_log
    assert "uvx" not in propose_log
    assert "::error::" not in propose_log
    assert weekly.records("astral-sh/setup-uv")[0]["job"] == "prepare"
    assert len(weekly.records("astral-sh/setup-uv")) == 1

    # 2. A week later the template has moved again; someone runs it by hand, and the
    # environment now holds TEMPLATE_SYNC_TOKEN: the same branch is updated with that token.
    template.append("SECURITY.md", "\nReport privately; cc @security-team, see #5.\n")
    template.commit("Ask for private reports (@security-team, #5)")
    subjects.append("Ask for private reports (@security-team, #5)")
    expected = expected_update(project, template, tmp_path / "expected-2")
    trace.unlink()
    manual = rehearse(
        project,
        "workflow_dispatch",
        workflow=WORKFLOW,
        env=env,
        secrets={**secrets, "TEMPLATE_SYNC_TOKEN": SYNC_TOKEN},
        event_payload={"ref": "refs/heads/main", "inputs": {}},
    )
    show(manual, "template sync, workflow_dispatch, TEMPLATE_SYNC_TOKEN set")
    manual.assert_job("prepare", "success")
    manual.assert_job("propose", "success")
    (pr,) = manual.records("peter-evans/create-pull-request")
    assert pr["token_sha256"] == fingerprint(SYNC_TOKEN)
    assert (pr["branch"], pr["operation"]) == ("template-sync", "updated")
    assert_body_is_inert(pr["body"], subjects)
    assert f"- `{LEFT_OUT}`" in pr["body"]
    assert "M\t" + LEFT_OUT not in pr["changes"]
    assert branch_files(project, "template-sync", tmp_path / "branch-2") == expected
    assert git(project, "for-each-ref", "--format=%(refname:short)", "refs/heads").splitlines() == [
        "main",
        "template-sync",
    ], "one branch, updated in place"
    traces = canary(trace)
    assert traces
    assert {t["job"] for t in traces} == {"prepare"}
    assert not any(SYNC_TOKEN in value for t in traces for value in t["env"].values())
    assert "TEMPLATE_SYNC_TOKEN is accepted by GitHub." in manual.job("propose").text()
    assert [call.status for call in github.calls_to("repos/get")] == [200]

    # 2b. The token has expired since: a non-empty secret GitHub answers 401. The run fails in
    # the token check, with one line naming the secret, and nothing is pushed.
    branch_before = git(project, "rev-parse", "template-sync")
    expired = rehearse(
        project,
        "workflow_dispatch",
        workflow=WORKFLOW,
        env=env,
        secrets={**secrets, "TEMPLATE_SYNC_TOKEN": EXPIRED_TOKEN},
        event_payload={"ref": "refs/heads/main", "inputs": {}},
    )
    show(expired, "template sync, workflow_dispatch, TEMPLATE_SYNC_TOKEN expired")
    expired.assert_job("prepare", "success")
    expired.assert_job("propose", "failure")
    errors = [line for line in expired.job("propose").text().splitlines() if "::error::" in line]
    assert len(errors) == 1, errors
    assert "TEMPLATE_SYNC_TOKEN is expired or revoked (GitHub answered 401)" in errors[0]
    assert expired.records("peter-evans/create-pull-request") == []
    assert git(project, "rev-parse", "template-sync") == branch_before
    assert [call.status for call in github.calls_to("repos/get")] == [200, 401]

    # 3. The maintainer finishes the conflict and merges: next week there is nothing to propose.
    git(project, "merge", "--quiet", "--ff-only", "template-sync")
    (project / "docs/deployment.md.rej").unlink()
    commit_all(project, "Finish the template update by hand")
    quiet = rehearse(project, "schedule", workflow=WORKFLOW, env=env, secrets=secrets)
    show(quiet, "template sync, schedule, already up to date")
    quiet.assert_job("prepare", "success")
    assert "The project is up to date with its template." in quiet.job("prepare").text()
    assert quiet.result("propose") == "not run"
    assert any(reason.startswith("propose (if:") for reason in not_executed(quiet))
    assert quiet.records("actions/upload-artifact") == []
    assert quiet.records("peter-evans/create-pull-request") == []
