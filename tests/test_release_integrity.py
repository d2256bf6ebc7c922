"""What a release publishes, and what the jobs holding a token may run.

- `release_ref.py`, run for real in git repositories shaped like a release job's checkout
  (fetch-depth: 0): only a tag's commit that is on the default branch is released.
- Static rules on every bake that publishes: jobs share the tag's commit SHA, never its name,
  and no job that holds a write permission, an OIDC token or a secret runs a tool that is
  resolved at run time (uvx, pip install, a setup action that fetches the newest uv, ...):
  such a job runs pinned actions, git/gh, or the project's own standard-library scripts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Bake, Project

SCRIPT = Path(".github/scripts/release_ref.py")
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


# --- release_ref.py ---------------------------------------------------------------------------------


class Checkout:
    """A repository as actions/checkout leaves it with fetch-depth: 0: origin/<branch> refs, tags."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "--quiet", "--initial-branch=main")
        self.commit("first")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **GIT_ENV},
        )
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        self.git("commit", "--quiet", "--allow-empty", "--message", message)
        return self.git("rev-parse", "HEAD")

    def publish_branches(self) -> None:
        """What the fetch of every branch gives the job: refs/remotes/origin/<branch>."""
        for branch in self.git("for-each-ref", "--format=%(refname:short)", "refs/heads").split():
            self.git("update-ref", f"refs/remotes/origin/{branch}", f"refs/heads/{branch}")

    def release_ref(self, *args: str) -> subprocess.CompletedProcess[str]:
        output = self.path.parent / "github_output"
        output.write_text("", encoding="utf-8")
        env = {**os.environ, **GIT_ENV, "GITHUB_OUTPUT": str(output)}
        return subprocess.run(
            [sys.executable, str(self.script), *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )

    script: Path


@pytest.fixture
def checkout(tmp_path: Path, bake: Bake) -> Checkout:
    repo = Checkout(tmp_path / "repo")
    repo.script = bake().path / SCRIPT
    return repo


def outputs(tmp_path: Path) -> dict[str, str]:
    text = (tmp_path / "github_output").read_text(encoding="utf-8")
    return dict(line.split("=", 1) for line in text.splitlines() if line)


@pytest.mark.scripts
def test_a_tag_on_the_default_branch_is_released_by_its_commit(checkout: Checkout, tmp_path: Path) -> None:
    sha = checkout.commit("Release 1.0.0")
    checkout.git("tag", "v1.0.0")
    checkout.publish_branches()

    done = checkout.release_ref("--ref", "refs/tags/v1.0.0", "--sha", sha, "--default-branch", "main")

    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs(tmp_path) == {"tag": "v1.0.0", "sha": sha}


@pytest.mark.scripts
def test_an_annotated_tag_names_its_commit_not_the_tag_object(checkout: Checkout, tmp_path: Path) -> None:
    sha = checkout.commit("Release 1.0.0")
    checkout.git("tag", "--annotate", "--message", "1.0.0", "v1.0.0")
    checkout.publish_branches()
    assert checkout.git("rev-parse", "refs/tags/v1.0.0") != sha  # the tag object

    done = checkout.release_ref("--ref", "refs/tags/v1.0.0", "--sha", sha, "--default-branch", "main")

    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs(tmp_path)["sha"] == sha


@pytest.mark.scripts
@pytest.mark.parametrize(
    ("situation", "message"),
    [
        pytest.param(
            "branch-run", "releases run from a tag, but this run is for refs/heads/main", id="branch"
        ),
        pytest.param("unmerged", "which is not on main: release only merged code", id="unmerged"),
        pytest.param("moved", "the tag was moved; release tags must never move", id="moved"),
        pytest.param("elsewhere", "the checkout is at", id="head-elsewhere"),
        pytest.param("shallow", "origin/main is not in this checkout: use fetch-depth: 0", id="no-branches"),
        pytest.param("missing", "refs/tags/v1.0.0 is not in this checkout", id="no-tag"),
    ],
)
def test_what_may_not_be_released_is_refused_in_one_line(
    checkout: Checkout, tmp_path: Path, situation: str, message: str
) -> None:
    on_main = checkout.commit("Release 1.0.0")
    ref, sha = "refs/tags/v1.0.0", on_main
    if situation == "branch-run":
        ref = "refs/heads/main"
    elif situation == "unmerged":
        checkout.git("checkout", "--quiet", "-b", "feature")
        sha = checkout.commit("not reviewed")
    elif situation == "moved":
        checkout.commit("later")
    elif situation == "elsewhere":
        checkout.git("tag", "v1.0.0")
        checkout.commit("later")
    if situation not in {"missing", "elsewhere"}:
        checkout.git("tag", "v1.0.0")
    if situation != "shallow":
        checkout.publish_branches()

    done = checkout.release_ref("--ref", ref, "--sha", sha, "--default-branch", "main")

    assert done.returncode == 1, done.stdout + done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith("::error title=Release refused::")
    assert message in line
    assert "Traceback" not in done.stderr
    assert outputs(tmp_path) == {}


@pytest.mark.scripts
@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param(["--sha", "x", "--default-branch", "main"], id="no-ref"),
        pytest.param(["--ref", "refs/tags/v1", "--default-branch", " "], id="blank-branch"),
    ],
)
def test_usage_errors_exit_2(checkout: Checkout, arguments: list[str]) -> None:
    done = checkout.release_ref(*arguments)

    assert done.returncode == 2
    assert done.stderr.startswith("release_ref: error: ")
    assert len(done.stderr.splitlines()) == 1


# --- static rules over the baked workflows ------------------------------------------------------------

PUBLISHING = [
    pytest.param({}, id="pypi"),
    pytest.param({"publish": "private-index"}, id="private-index"),
    pytest.param({"publish": "none", "template_sync": True, "notifications": "slack+email"}, id="none"),
    pytest.param({"codecov": True, "notifications": "email"}, id="codecov"),
    pytest.param({"container": "ghcr"}, id="container"),
]
# Commands that fetch and run whatever version an index or a URL serves at that moment.
RESOLVED_AT_RUN_TIME = re.compile(
    r"\b(uvx|uv (tool|run|sync|pip|build|add|lock)|pip3? install|python3? -m pip|pipx|npx|npm|curl|wget)\b"
)
# Actions that install a tool, at whatever version is newest unless told otherwise.
INSTALLERS = ("astral-sh/setup-uv", "actions/setup-python", "actions/setup-node")
SECRET = re.compile(r"secrets\.(?!GITHUB_TOKEN\b)[A-Za-z_]+")


def jobs_of(project: Project) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path in sorted((project.path / ".github" / "workflows").glob("*.yml")):
        document = project.yaml(f".github/workflows/{path.name}")
        for job_id, job in (document.get("jobs") or {}).items():
            found.append((path.name, job_id, job))
    return found


def privileges(job: dict[str, Any]) -> list[str]:
    """What the job holds that a malicious tool could use."""
    held = []
    permissions = job.get("permissions") or {}
    if isinstance(permissions, dict):
        held += [f"{scope}: write" for scope, level in permissions.items() if level == "write"]
    held += sorted(set(SECRET.findall(str(job))))
    if job.get("environment"):
        held.append("environment")
    return held


@pytest.mark.render
@pytest.mark.parametrize("answers", PUBLISHING)
def test_jobs_holding_a_token_run_only_pinned_tools(bake: Bake, answers: dict[str, Any]) -> None:
    project = bake(**answers)
    problems = []
    for workflow, job_id, job in jobs_of(project):
        held = privileges(job)
        if not held or "steps" not in job:
            continue
        for step in job["steps"]:
            uses, script = str(step.get("uses", "")), str(step.get("run", ""))
            if uses.startswith(INSTALLERS) or uses.startswith("./"):
                problems.append(f"{workflow}:{job_id} ({', '.join(held)}) uses {uses}")
            if match := RESOLVED_AT_RUN_TIME.search(script):
                problems.append(f"{workflow}:{job_id} ({', '.join(held)}) runs {match.group(0)!r}")
    assert problems == [], "\n".join(problems)


@pytest.mark.render
@pytest.mark.parametrize("answers", PUBLISHING[:3])
def test_release_jobs_share_the_commit_not_the_tag_name(bake: Bake, answers: dict[str, Any]) -> None:
    release = bake(**answers).yaml(".github/workflows/release.yml")
    checkouts = {
        job_id: step.get("with", {}).get("ref")
        for job_id, job in release["jobs"].items()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("actions/checkout@")
    }
    # check resolves the tag itself (the event's ref and SHA); every later checkout uses its SHA.
    assert checkouts.pop("check") is None
    assert checkouts
    assert set(checkouts.values()) == {"${{ needs.check.outputs.sha }}"}
    check_steps = release["jobs"]["check"]["steps"]
    assert check_steps[0]["with"]["fetch-depth"] == 0
    assert any(".github/scripts/release_ref.py" in str(step.get("run", "")) for step in check_steps)


STATUS_FUNCTION = re.compile(r"\b(always|cancelled|success|failure)\(\)")


def ancestors(jobs: dict[str, Any], job_id: str) -> set[str]:
    found: set[str] = set()
    pending = [job_id]
    while pending:
        needs = jobs[pending.pop()].get("needs") or []
        for need in [needs] if isinstance(needs, str) else needs:
            if need not in found:
                found.add(need)
                pending.append(need)
    return found


@pytest.mark.render
@pytest.mark.parametrize("answers", PUBLISHING)
def test_jobs_after_a_conditional_job_name_their_status_check(bake: Bake, answers: dict[str, Any]) -> None:
    """GitHub's implicit `success()` skips a job when *any* job before it was skipped, not only
    the ones it needs directly: on a private repository the skipped attestation would silently
    skip the PyPI upload while the GitHub release still ran. So every job downstream of a job
    that can skip itself says, with a status function, when it runs."""
    problems = []
    for path in sorted((bake(**answers).path / ".github" / "workflows").glob("*.yml")):
        jobs = yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"]
        conditional = {job_id for job_id, job in jobs.items() if "if" in job}
        for job_id, job in jobs.items():
            skippable = ancestors(jobs, job_id) & conditional
            if skippable and not STATUS_FUNCTION.search(str(job.get("if", ""))):
                problems.append(
                    f"{path.name}:{job_id} runs after {sorted(skippable)} with no status function"
                )
    assert problems == [], "\n".join(problems)


@pytest.mark.render
@pytest.mark.parametrize(
    ("url", "has_token", "accepted"),
    [
        pytest.param("https://pypi.example.com/", "true", True, id="https"),
        pytest.param("http://127.0.0.1:8080/", "true", True, id="loopback"),
        pytest.param("http://pypi.example.com/", "true", False, id="plain-http"),
        pytest.param("http://127.0.0.1.example.com/", "true", False, id="loopback-lookalike"),
        pytest.param("", "true", False, id="unset-url"),
        pytest.param("https://pypi.example.com/", "false", False, id="no-token"),
    ],
)
def test_private_index_guard_keeps_the_token_off_pypi_and_plain_http(
    bake: Bake, tmp_path: Path, url: str, has_token: str, accepted: bool
) -> None:
    """The private-index upload action defaults to PyPI and sends the token wherever the URL
    points: the guard step before it (run here as baked) stops an unset or clear-text URL."""
    publish = bake(publish="private-index").yaml(".github/workflows/release.yml")["jobs"][
        "publish-private-index"
    ]
    (guard,) = [step for step in publish["steps"] if step.get("name") == "Check that the index is configured"]
    assert publish["steps"].index(guard) == 0

    done = subprocess.run(
        ["bash", "-e", "-c", guard["run"]],
        env={"PATH": os.environ["PATH"], "INDEX_URL": url, "HAS_TOKEN": has_token},
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )

    assert (done.returncode == 0) is accepted, done.stdout + done.stderr
    if not accepted:
        assert done.stdout.startswith("::error::")
