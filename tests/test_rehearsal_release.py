"""Rehearsal of the baked release workflow: tag pushes run end to end with act, on this host.

Each scenario is a private, committed copy of a bake with a release tag. Two local pypiservers
stand in for TestPyPI and PyPI; the pypi-publish stand-in uploads to them with twine (through
REHEARSAL_INDEX_MAP), the attest-build-provenance stand-in records its subjects, and a `gh`
stand-in (tests/rehearsal/bin) records the GitHub release instead of creating it.

The smoke-test job installs from the URL hard-coded in release.yml,
`https://test.pypi.org/simple/`. uv gives `--index-url` on the command line precedence over
every setting and environment variable, and no proxy can answer for test.pypi.org over HTTPS
offline, so the rehearsal puts a `uv` wrapper (tests/rehearsal/bin/uv) in front of the real uv
that rewrites exactly the mapped URLs to the local TestPyPI stand-in and logs each rewrite: a
rehearsal-only network redirect, like a hosts-file entry. The workflow and the scripts run
byte for byte as baked. The setup-uv stand-in puts its own wrapper first on PATH and execs
$REHEARSAL_REAL_UV, so that variable points at the redirect, which then runs the real uv.

Each test prints its wall time and the jobs executed and not executed (run with -s or -rP).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Bake, Project
from support.local_index import LocalIndex, local_index, pypiserver_available
from support.rehearsal import (
    Rehearsal,
    UnknownInput,
    act_binary,
    commit_all,
    follow_steps,
    git,
    local_python_dirs,
    not_executed,
    prepare_repository,
    rehearse,
)

pytestmark = pytest.mark.rehearsal

TESTS = Path(__file__).resolve().parent
BIN = TESTS / "rehearsal" / "bin"
STANDINS = TESTS / "rehearsal" / "standins"
RELEASE = "release.yml"
RELEASE_DATE = "2026-11-22"
TESTPYPI_UPLOAD = "https://test.pypi.org/legacy/"
TESTPYPI_SIMPLE = "https://test.pypi.org/simple/"
PYPI_UPLOAD = "https://upload.pypi.org/legacy/"  # the action's default repository URL
PYPI_SIMPLE = "https://pypi.org/simple/"
PUBLISH = "pypa/gh-action-pypi-publish"
ATTEST = "actions/attest-build-provenance"
GH = "cli/cli"  # the gh stand-in's record
PRIVATE_TOKEN = "rehearsal-private-index-token"


@dataclass(frozen=True)
class Indexes:
    testpypi: LocalIndex
    pypi: LocalIndex

    def index_map(self) -> dict[str, str]:
        return {
            TESTPYPI_UPLOAD: self.testpypi.url,
            TESTPYPI_SIMPLE: self.testpypi.simple_url,
            PYPI_UPLOAD: self.pypi.url,
            PYPI_SIMPLE: self.pypi.simple_url,
        }


@pytest.fixture
def indexes(tmp_path: Path) -> Iterator[Indexes]:
    """Fresh, empty TestPyPI and PyPI stand-ins for one scenario."""
    if not pypiserver_available():
        pytest.fail("pypiserver is not importable from the test environment", pytrace=False)
    with local_index(tmp_path / "testpypi") as testpypi, local_index(tmp_path / "pypi") as pypi:
        yield Indexes(testpypi, pypi)


# --- preparing a release --------------------------------------------------------------------------


def release_copy(project: Project, destination: Path, version: str) -> Project:
    """A private copy whose version is `version` with the Unreleased entries moved under it.

    What a maintainer does before tagging, as the runbook says: set the version, then the
    baked `changelog.py cut` puts a `## [version] - date` heading over the [Unreleased]
    entries ([Unreleased] stays, empty) and points the links at the tag.
    """
    copy = project.copy_to(destination)
    pyproject = copy.path / "pyproject.toml"
    text, count = re.subn(
        r'^version = ".*"$', f'version = "{version}"', pyproject.read_text("utf-8"), count=1, flags=re.M
    )
    assert count == 1
    pyproject.write_text(text, encoding="utf-8")
    cut = subprocess.run(
        [sys.executable, ".github/scripts/changelog.py", "cut", version, "--date", RELEASE_DATE],
        cwd=copy.path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert cut.returncode == 0, cut.stderr
    released = (copy.path / "CHANGELOG.md").read_text("utf-8")
    assert f"## [Unreleased]\n\n## [{version}] - {RELEASE_DATE}\n" in released
    return copy


def tag(project: Project, name: str) -> str:
    prepare_repository(project.path)
    commit_all(project.path, f"Release {name}")
    git(project.path, "tag", name)
    return git(project.path, "rev-parse", "HEAD")


def real_uv() -> str:
    found = shutil.which("uv")
    assert found, "uv is not on PATH"
    return str(Path(found).resolve())


def release_env(index_map: dict[str, str]) -> dict[str, str]:
    """REHEARSAL_* for this file's stand-ins, and PATH with tests/rehearsal/bin first.

    The harness builds the rest of PATH the same way (uv, act, local interpreters, ours);
    an `env` PATH replaces it, so it is rebuilt here with the redirect directory in front.
    """
    uv = real_uv()
    path = [str(BIN), str(Path(uv).parent), str(Path(act_binary()).parent), *local_python_dirs()]
    return {
        "PATH": os.pathsep.join([*path, os.environ.get("PATH", "")]),
        "REHEARSAL_INDEX_MAP": json.dumps(index_map),
        # setup-uv's stand-in execs REHEARSAL_REAL_UV: make that the redirect, in front of the real uv.
        "REHEARSAL_REAL_UV": str(BIN / "uv"),
        "REHEARSAL_REDIRECTED_UV": uv,
        "NO_COLOR": "1",
    }


def release(
    project: Project,
    tag_name: str,
    index_map: dict[str, str],
    *,
    label: str,
    variables: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
) -> Rehearsal:
    sha = tag(project, tag_name)
    return run_release(
        project,
        "push",
        {"ref": f"refs/tags/{tag_name}", "head_commit": {"id": sha}},
        index_map,
        label=label,
        variables=variables,
        secrets=secrets,
    )


def run_release(
    project: Project,
    event: str,
    payload: dict[str, Any],
    index_map: dict[str, str],
    *,
    label: str,
    variables: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
) -> Rehearsal:
    """One run of release.yml for `event` (push of a tag, or workflow_dispatch) as it is."""
    started = time.monotonic()
    rehearsal = rehearse(
        project.path,
        event,
        workflow=RELEASE,
        event_payload=payload,
        env=release_env(index_map),
        variables=variables,
        secrets=secrets,
        timeout=600,
    )
    print(f"\n{rehearsal.report(label)}  (wall {time.monotonic() - started:.1f}s)")
    for line in not_executed(rehearsal):
        print(f"    not executed: {line}")
    return rehearsal


# --- reading the results --------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def served(index: LocalIndex) -> dict[str, str]:
    """name -> sha256 of every file the local index holds."""
    return {path.name: sha256(path) for path in sorted(index.packages.iterdir()) if path.is_file()}


def files_of(record: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["sha256"] for item in record["files"]}


def extract_notes(project: Project, version: str) -> str:
    done = project.run(sys.executable, ".github/scripts/changelog.py", "extract", version)
    return done.stdout


def executed(rehearsal: Rehearsal) -> list[str]:
    """Ids of the jobs act started (by id: Rehearsal.result() also matches names by substring,
    and "publish" is part of "publish to TestPyPI")."""
    return sorted(job.job_id for job in rehearsal.jobs.values())


def assert_jobs(rehearsal: Rehearsal, expected: dict[str, str]) -> None:
    for job, result in expected.items():
        rehearsal.assert_job(job, result)


def assert_released(rehearsal: Rehearsal, project: Project, version: str, dist: dict[str, str]) -> None:
    """The one GitHub release: the tag, the CHANGELOG section as notes, the built files."""
    (release_record,) = rehearsal.records(GH)
    assert release_record["tag"] == f"v{version}"
    assert release_record["title"] == version
    assert release_record["verify_tag"] is True
    assert release_record["body"] == extract_notes(project, version)
    assert files_of(release_record) == dist


# --- scenarios ------------------------------------------------------------------------------------


def test_tag_release_publishes_staging_then_production(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """Scenario 5: v0.1.0 is checked, built once, staged, smoke-tested, published and released."""
    project = release_copy(bake(), tmp_path / "project", "0.1.0")

    rehearsal = release(project, "v0.1.0", indexes.index_map(), label="tag v0.1.0 (publish=pypi)")

    assert_jobs(
        rehearsal,
        {
            "check": "success",
            "build": "success",
            "attest": "success",
            "publish-testpypi": "success",
            "smoke-test": "success",
            "publish": "success",
            "github-release": "success",
        },
    )
    assert rehearsal.returncode == 0, rehearsal.tail()
    # Built once: one build job, and the artifact it uploaded is what every later stage used.
    assert len(rehearsal.matching("build")) == 1
    dist = {
        path.name: sha256(path)
        for path in sorted((rehearsal.artifacts / "dist").rglob("*"))
        if path.is_file()
    }
    assert sorted(dist) == [
        "example_pipeline_package-0.1.0-py3-none-any.whl",
        "example_pipeline_package-0.1.0.tar.gz",
    ]
    (attested,) = rehearsal.records(ATTEST)
    subjects = {s["name"]: s["digest"].removeprefix("sha256:") for s in attested["subjects"]}
    # Only the release files: dist/.gitignore (written by `uv build`) must not be attested.
    assert subjects == dist
    # Both publish jobs uploaded the very same files, to the URL each stage names.
    uploads = {record["job"]: record for record in rehearsal.records(PUBLISH)}
    assert sorted(uploads) == ["publish", "publish-testpypi"]
    assert uploads["publish-testpypi"]["repository_url"] == TESTPYPI_UPLOAD
    assert uploads["publish"]["repository_url"] == PYPI_UPLOAD
    assert files_of(uploads["publish-testpypi"]) == files_of(uploads["publish"]) == dist
    assert all(record["trusted_publishing"] for record in uploads.values())
    # Each index serves them: staging first, production after the smoke test.
    assert served(indexes.testpypi) == dist
    assert served(indexes.pypi) == dist
    page = indexes.pypi.page("example-pipeline-package")
    assert all(name in page for name in dist), page
    # The smoke test installed the wheel from the TestPyPI stand-in, through the redirect.
    smoke = rehearsal.job("smoke-test").text()
    assert f"{TESTPYPI_SIMPLE} -> {indexes.testpypi.simple_url}" in smoke
    assert f"installed example-pipeline-package==0.1.0 from {TESTPYPI_SIMPLE}" in smoke
    assert "example_pipeline_package 0.1.0 imported from" in smoke
    wheel = next(name for name in dist if name.endswith(".whl"))
    assert f"/packages/{wheel}" in indexes.testpypi.log.read_text(errors="replace")
    assert_released(rehearsal, project, "0.1.0", dist)
    (release_record,) = rehearsal.records(GH)
    assert release_record["prerelease"] is False
    # The output says which stand-ins only record what they were asked to do.
    report = rehearsal.report()
    assert f"stand-in {ATTEST}: records the subjects and their digests only" in report
    assert "stand-in cli/cli: `gh release create` records the release only" in report


def test_tag_not_matching_the_version_publishes_nothing(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """Scenario 6: v9.9.9 on a 0.1.0 project stops at the check; nothing goes anywhere."""
    project = release_copy(bake(), tmp_path / "project", "0.1.0")

    rehearsal = release(project, "v9.9.9", indexes.index_map(), label="tag v9.9.9 on version 0.1.0")

    rehearsal.assert_job("check", "failure")
    assert "tag v9.9.9 does not match version 0.1.0" in rehearsal.job("check").text()
    assert rehearsal.returncode != 0
    assert executed(rehearsal) == ["check"], rehearsal.summary()
    assert served(indexes.testpypi) == {}
    assert served(indexes.pypi) == {}
    assert rehearsal.records(PUBLISH) == []
    assert rehearsal.records(ATTEST) == []
    assert rehearsal.records(GH) == []


def test_prerelease_tag_is_marked_prerelease(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """Scenario 7: v0.2.0rc1 goes the whole way and its GitHub release is a pre-release."""
    project = release_copy(bake(), tmp_path / "project", "0.2.0rc1")

    rehearsal = release(project, "v0.2.0rc1", indexes.index_map(), label="tag v0.2.0rc1 (pre-release)")

    assert_jobs(rehearsal, {"check": "success", "smoke-test": "success", "github-release": "success"})
    dist = served(indexes.pypi)
    assert sorted(dist) == [
        "example_pipeline_package-0.2.0rc1-py3-none-any.whl",
        "example_pipeline_package-0.2.0rc1.tar.gz",
    ]
    assert_released(rehearsal, project, "0.2.0rc1", dist)
    (release_record,) = rehearsal.records(GH)
    assert release_record["prerelease"] is True


def test_private_index_release(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """Scenario 8 (release, private-index bake): twine uploads to PRIVATE_INDEX_URL with the token.

    The private index is the pypiserver standing in for PyPI, without authentication (it takes
    any credentials): what is checked is that the job reads the variable and the secret and
    uploads there, not the server's password handling.
    """
    project = release_copy(bake(publish="private-index"), tmp_path / "project", "0.1.0")

    # The upload action's stand-in refuses a URL no local index stands for: the "private
    # index" URL is the local one itself.
    index_map = {**indexes.index_map(), indexes.pypi.url: indexes.pypi.url}

    rehearsal = release(
        project,
        "v0.1.0",
        index_map,
        label="tag v0.1.0 (publish=private-index)",
        variables={"PRIVATE_INDEX_URL": indexes.pypi.url},
        secrets={"PRIVATE_INDEX_TOKEN": PRIVATE_TOKEN},
    )

    assert_jobs(
        rehearsal, {"check": "success", "build": "success", "publish": "success", "github-release": "success"}
    )
    dist = served(indexes.pypi)
    assert sorted(dist) == [
        "example_pipeline_package-0.1.0-py3-none-any.whl",
        "example_pipeline_package-0.1.0.tar.gz",
    ]
    assert served(indexes.testpypi) == {}
    # The pinned upload action with the environment's token, not trusted publishing.
    (upload,) = rehearsal.records(PUBLISH)
    assert upload["repository_url"] == indexes.pypi.url
    assert upload["trusted_publishing"] is False
    assert upload["user"] == "__token__"
    assert upload["skip_existing"] is False
    assert files_of(upload) == dist
    assert PRIVATE_TOKEN not in rehearsal.log  # act masks the secret
    assert_released(rehearsal, project, "0.1.0", dist)


def test_private_repository_release_skips_only_the_attestation(
    bake: Bake, tmp_path: Path, indexes: Indexes
) -> None:
    """Scenario 5 (release): a private repository without GitHub Enterprise Cloud cannot store
    artifact attestations, so that one job is skipped, by its own condition, and the release
    still reaches the index and GitHub."""
    project = release_copy(bake(publish="private-index"), tmp_path / "project", "0.1.0")
    sha = tag(project, "v0.1.0")

    rehearsal = run_release(
        project,
        "push",
        {"ref": "refs/tags/v0.1.0", "head_commit": {"id": sha}, "repository": {"private": True}},
        {**indexes.index_map(), indexes.pypi.url: indexes.pypi.url},
        label="tag v0.1.0 in a private repository (publish=private-index)",
        variables={"PRIVATE_INDEX_URL": indexes.pypi.url},
        secrets={"PRIVATE_INDEX_TOKEN": PRIVATE_TOKEN},
    )

    assert_jobs(rehearsal, {"check": "success", "publish": "success", "github-release": "success"})
    assert "attest" not in executed(rehearsal)
    assert any(
        line.startswith("attest (if: ${{ !github.event.repository.private }}")
        for line in not_executed(rehearsal)
    )
    assert rehearsal.records(ATTEST) == []
    assert len(served(indexes.pypi)) == 2


def test_publish_none_makes_a_github_release_only(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """Scenario 8 (release, publish=none bake): check, build and the GitHub release; no index."""
    project = release_copy(bake(publish="none"), tmp_path / "project", "0.1.0")

    rehearsal = release(project, "v0.1.0", indexes.index_map(), label="tag v0.1.0 (publish=none)")

    assert_jobs(rehearsal, {"check": "success", "build": "success", "github-release": "success"})
    assert executed(rehearsal) == ["attest", "build", "check", "github-release"]
    assert served(indexes.testpypi) == served(indexes.pypi) == {}
    assert rehearsal.records(PUBLISH) == []
    dist = {
        path.name: sha256(path)
        for path in sorted((rehearsal.artifacts / "dist").rglob("*"))
        if path.is_file()
    }
    assert_released(rehearsal, project, "0.1.0", dist)


# --- integrity: the release publishes the tagged, merged commit and nothing else ----------------------


def wheel_text(wheel: Path, member_suffix: str) -> str:
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(member_suffix)]
        return archive.read(name).decode("utf-8")


def test_a_branch_named_like_the_tag_is_never_released(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """Release hijack: anyone who can push a branch pushes one called `v0.1.0` with other code.

    actions/checkout resolves a bare `ref: v0.1.0` to that branch before the tag (the
    checkout stand-in follows the same order), so a workflow passing the tag's *name* between
    jobs builds and publishes the branch. Every job must use the tag's commit instead.
    """
    project = release_copy(bake(), tmp_path / "project", "0.1.0")
    tagged = tag(project, "v0.1.0")
    module = project.path / "src" / project.package / "greeting.py"
    git(project.path, "checkout", "--quiet", "-b", "v0.1.0")
    module.write_text(module.read_text("utf-8") + '\nHIJACKED = "code nobody reviewed"\n', "utf-8")
    commit_all(project.path, "Not reviewed, not merged")
    git(project.path, "checkout", "--quiet", "main")
    assert git(project.path, "rev-parse", "HEAD") == tagged

    rehearsal = run_release(
        project,
        "push",
        {"ref": "refs/tags/v0.1.0", "head_commit": {"id": tagged}},
        indexes.index_map(),
        label="tag v0.1.0 beside a branch v0.1.0",
    )

    assert_jobs(rehearsal, {"check": "success", "build": "success", "publish": "success"})
    checkouts = rehearsal.records("actions/checkout")
    assert {record["job"] for record in checkouts} == {"check", "build", "smoke-test"}
    assert {record["commit"] for record in checkouts} == {tagged}
    published = indexes.pypi.packages / "example_pipeline_package-0.1.0-py3-none-any.whl"
    assert "HIJACKED" not in wheel_text(published, "/greeting.py")
    assert served(indexes.pypi) == served(indexes.testpypi)


def test_a_tag_on_an_unmerged_commit_publishes_nothing(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """A release tag must point at a commit on the default branch: a tag pushed on a feature
    branch's commit (unreviewed code with a valid version and changelog) stops at the check."""
    project = release_copy(bake(), tmp_path / "project", "0.1.0")
    prepare_repository(project.path)
    git(project.path, "checkout", "--quiet", "-b", "feature")
    unmerged = tag(project, "v0.1.0")
    merged = subprocess.run(["git", "-C", str(project.path), "merge-base", "--is-ancestor", unmerged, "main"])
    assert merged.returncode == 1

    rehearsal = run_release(
        project,
        "push",
        {"ref": "refs/tags/v0.1.0", "head_commit": {"id": unmerged}},
        indexes.index_map(),
        label="tag v0.1.0 on a commit that is not on main",
    )

    rehearsal.assert_job("check", "failure")
    assert f"tag v0.1.0 points at {unmerged[:12]}, which is not on main" in rehearsal.job("check").text()
    assert executed(rehearsal) == ["check"], rehearsal.summary()
    assert served(indexes.testpypi) == served(indexes.pypi) == {}
    assert rehearsal.records(PUBLISH) == rehearsal.records(ATTEST) == rehearsal.records(GH) == []


def dispatch(project: Project, ref: str, target: str, indexes: Indexes, label: str) -> Rehearsal:
    """Actions > Release > Run workflow, with `ref` chosen under "Use workflow from"."""
    return run_release(
        project,
        "workflow_dispatch",
        {"ref": ref, "inputs": {"target": target}},
        indexes.index_map(),
        label=label,
    )


def test_manual_release_from_a_tag_then_a_rerun(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """Scenario 6: Run workflow from tag v0.1.0 as a rehearsal (staging only), then again as
    `full`: the staging index already holds the files and says so, PyPI gets the same ones."""
    project = release_copy(bake(), tmp_path / "project", "0.1.0")
    tag(project, "v0.1.0")

    first = dispatch(project, "refs/tags/v0.1.0", "rehearsal", indexes, "dispatch v0.1.0 rehearsal")

    assert_jobs(first, {"check": "success", "publish-testpypi": "success", "smoke-test": "success"})
    assert executed(first) == ["attest", "build", "check", "publish-testpypi", "smoke-test"]
    staged = served(indexes.testpypi)
    assert len(staged) == 2
    assert served(indexes.pypi) == {}
    assert first.records(GH) == []

    again = dispatch(project, "refs/tags/v0.1.0", "full", indexes, "dispatch v0.1.0 full (re-run)")

    assert_jobs(
        again,
        {
            "publish-testpypi": "success",
            "smoke-test": "success",
            "publish": "success",
            "github-release": "success",
        },
    )
    uploads = {record["job"]: record for record in again.records(PUBLISH)}
    assert uploads["publish-testpypi"]["skip_existing"] is True
    assert sorted(uploads["publish-testpypi"]["skipped"]) == sorted(staged)
    assert uploads["publish"]["skip_existing"] is False
    # Rebuilt by the second run from the same commit; the staged files stay as first uploaded.
    assert served(indexes.testpypi) == staged
    assert sorted(served(indexes.pypi)) == sorted(staged)
    assert_released(again, project, "0.1.0", served(indexes.pypi))


def test_manual_release_from_a_branch_is_refused(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """Run workflow from `main` names no tag: the check refuses it, as the environments'
    `v*` tag rules would refuse its deployments, and nothing is built or published."""
    project = release_copy(bake(), tmp_path / "project", "0.1.0")
    tag(project, "v0.1.0")

    rehearsal = dispatch(project, "refs/heads/main", "full", indexes, "dispatch from main")

    rehearsal.assert_job("check", "failure")
    assert "releases run from a tag, but this run is for refs/heads/main" in rehearsal.job("check").text()
    assert executed(rehearsal) == ["check"], rehearsal.summary()
    assert served(indexes.testpypi) == served(indexes.pypi) == {}


# --- breaking the workflow on purpose -------------------------------------------------------------


def misspell(project: Project, old: str, new: str) -> None:
    """Break release.yml in a later change: the first commit (its hooks would catch some of
    these, codespell for one) is the bake as the next steps make it."""
    prepare_repository(project.path)
    workflow = project.path / ".github" / "workflows" / RELEASE
    text = workflow.read_text("utf-8")
    assert text.count(old) == 1, old
    workflow.write_text(text.replace(old, new), encoding="utf-8")


def test_misspelled_publish_input_is_refused(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """A misspelled `with:` key of the pypi-publish step fails the rehearsal before anything runs.

    GitHub would only warn about `repostory-url` and upload to the action's default, the real
    PyPI, skipping the staging index. The harness refuses it before act starts, from the
    stand-in's declared inputs (which mirror the real action's).
    """
    project = release_copy(bake(), tmp_path / "project", "0.1.0")
    misspell(
        project,
        "repository-url: https://test.pypi.org/legacy/",
        "repostory-url: https://test.pypi.org/legacy/",
    )
    tag(project, "v0.1.0")

    with pytest.raises(UnknownInput) as refused:
        rehearse(project.path, "push", workflow=RELEASE, env=release_env(indexes.index_map()))

    message = str(refused.value)
    assert (
        ".github/workflows/release.yml: pypa/gh-action-pypi-publish has no input 'repostory-url'" in message
    )
    assert served(indexes.testpypi) == served(indexes.pypi) == {}


def test_publish_standin_refuses_an_unknown_input_itself(tmp_path: Path) -> None:
    """The stand-in's own check, for a run that bypasses the harness's: act hands a node action
    every `with:` key, and the stand-in fails the step on one the real action does not have."""
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "example-0.1.0.tar.gz").write_bytes(b"not uploaded")
    env = {
        **os.environ,
        "GITHUB_WORKSPACE": str(tmp_path),
        "REHEARSAL_RECORDS": str(tmp_path / "records"),
        "REHEARSAL_INDEX_MAP": json.dumps({TESTPYPI_UPLOAD: "http://127.0.0.1:9/"}),
        "INPUT_REPOSTORY-URL": TESTPYPI_UPLOAD,
        "INPUT_REPOSITORY_URL": PYPI_UPLOAD,
        "INPUT_PACKAGES_DIR": "dist",
    }
    done = subprocess.run(
        [sys.executable, STANDINS / "pypa__gh-action-pypi-publish" / "standin.py"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1
    assert "::error title=pypi-publish stand-in::unexpected input(s) repostory-url;" in done.stdout
    assert not (tmp_path / "records").exists()


def test_wrong_staging_url_fails_at_the_publish_step(bake: Bake, tmp_path: Path, indexes: Indexes) -> None:
    """A misspelled repository URL passes every static check; the rehearsal fails at that step,
    and nothing after it (smoke test, PyPI, GitHub release) runs."""
    project = release_copy(bake(), tmp_path / "project", "0.1.0")
    misspell(
        project,
        "repository-url: https://test.pypi.org/legacy/",
        "repository-url: https://test.pypi.org/legasy/",
    )

    rehearsal = release(project, "v0.1.0", indexes.index_map(), label="misspelled TestPyPI URL")

    rehearsal.assert_job("publish-testpypi", "failure")
    failing = rehearsal.job("publish-testpypi").text()
    assert "no local index stands in for https://test.pypi.org/legasy/" in failing
    assert executed(rehearsal) == ["attest", "build", "check", "publish-testpypi"], rehearsal.summary()
    assert served(indexes.testpypi) == served(indexes.pypi) == {}
    assert rehearsal.records(GH) == []


# --- the command-line stand-ins, on their own -------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        pytest.param(["auth", "status"], "only 'gh release create' is rehearsed", id="other-command"),
        pytest.param(
            ["release", "create", "v0.1.0", "--notes", "x", "--title", "0.1.0"],
            "unsupported flag '--notes'",
            id="other-flag",
        ),
        pytest.param(
            ["release", "create", "v0.1.0", "--title", "0.1.0"],
            "expects --title and --notes-file",
            id="no-notes",
        ),
        pytest.param(
            ["release", "create", "v0.2.0", "--verify-tag", "--title", "0.2.0", "--notes-file", "notes.md"],
            "tag v0.2.0 doesn't exist in the repo",
            id="missing-tag",
        ),
    ],
)
def test_gh_standin_refuses_what_it_does_not_rehearse(
    tmp_path: Path, arguments: list[str], error: str
) -> None:
    remote = tmp_path / "remote"
    git_env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "--quiet", str(remote)], check=True, env=git_env)
    (tmp_path / "notes.md").write_text("notes\n", encoding="utf-8")
    env = {
        **os.environ,
        "GH_TOKEN": "placeholder",
        "GH_REPO": "owner/name",
        "REHEARSAL_RECORDS": str(tmp_path / "records"),
        "REHEARSAL_REPOSITORY_DIR": str(remote),
    }

    done = subprocess.run(
        [sys.executable, BIN / "gh", *arguments],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 1
    assert error in done.stderr
    assert not (tmp_path / "records").exists()


def test_uv_redirect_rewrites_only_the_mapped_urls(tmp_path: Path) -> None:
    """The wrapper execs the real uv with mapped index URLs replaced (both option spellings)."""
    fake_uv = tmp_path / "uv"
    fake_uv.write_text("#!/bin/sh\nprintf '%s\\n' \"$@\"\n", encoding="utf-8")
    fake_uv.chmod(0o755)
    env = {
        **os.environ,
        "REHEARSAL_REDIRECTED_UV": str(fake_uv),
        "REHEARSAL_INDEX_MAP": json.dumps({TESTPYPI_SIMPLE: "http://127.0.0.1:1/simple/"}),
    }
    arguments = [
        "pip",
        "install",
        "--index-url",
        TESTPYPI_SIMPLE,
        f"--default-index={TESTPYPI_SIMPLE}",
        PYPI_SIMPLE,
    ]

    done = subprocess.run([BIN / "uv", *arguments], env=env, capture_output=True, text=True, check=True)

    assert done.stdout.splitlines() == [
        "pip",
        "install",
        "--index-url",
        "http://127.0.0.1:1/simple/",
        "--default-index=http://127.0.0.1:1/simple/",
        PYPI_SIMPLE,
    ]
    assert f"uv (rehearsal wrapper): {TESTPYPI_SIMPLE} -> http://127.0.0.1:1/simple/" in done.stderr


# --- the runbook's own commands ---------------------------------------------------------------------


def runbook_block(project: Path, *needles: str) -> list[str]:
    """The one `console` block of the rendered docs/deployment.md that holds every needle."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse((project / "docs" / "deployment.md").read_text("utf-8"))
    blocks = [
        token.content.splitlines()
        for token in tokens
        if token.type == "fence" and token.info == "console" and all(n in token.content for n in needles)
    ]
    assert len(blocks) == 1, f"expected one console block with {needles}, found {len(blocks)}"
    return blocks[0]


def test_the_runbook_dates_the_first_release_on_main_and_tags_it(bake: Bake, tmp_path: Path) -> None:
    """Steps 2 and 6 of the first-release runbook, typed as written into the user's shell after
    the printed next steps (pre-commit hooks installed, so the changelog hook checks the cut):
    the commit reaches `main` on the remote (a local bare repository stands in for GitHub), the
    release's own tag check accepts it, and the tag names it."""
    project = bake().copy_to(tmp_path / "project")
    slug = project.answers["project_slug"]
    prepare_repository(project.path)
    remote = tmp_path / "github.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(project.path, "remote", "set-url", "origin", str(remote))
    print(f"[stand-in] origin -> the bare repository {remote} (GitHub is not reachable here)")
    git(project.path, "push", "--quiet", "-u", "origin", "main")

    step2 = runbook_block(project.path, "changelog.py cut", "Release 0.1.0")
    assert [command.split(" #")[0].strip() for command in step2] == [
        "uv run python .github/scripts/changelog.py cut",
        'git commit -am "Release 0.1.0"',
        "git push",
    ]
    follow_steps(project.path, [f"cd {slug}", *step2], slug=slug)
    head = git(project.path, "rev-parse", "HEAD")
    assert git(remote, "rev-parse", "main") == head
    assert git(project.path, "show", "-s", "--format=%s", head) == "Release 0.1.0"
    checked = subprocess.run(
        [sys.executable, ".github/scripts/changelog.py", "check-release", "v0.1.0"],
        cwd=project.path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == "version=0.1.0\nprerelease=false\n"

    step6 = runbook_block(project.path, "git tag -a v0.1.0", "git push origin v0.1.0")
    follow_steps(project.path, [f"cd {slug}", *step6], slug=slug)
    assert git(remote, "rev-parse", "v0.1.0^{commit}") == head
