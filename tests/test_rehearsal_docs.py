"""Rehearsal of the documentation site (docs=github-pages): ci.yml's `docs` and `publish-docs`
jobs run with act, with stand-ins for the two Pages actions.

The upload stand-in packs the built site as actions/upload-pages-artifact does and records the
tar's sha256; the deploy stand-in refuses an artifact this run did not upload, unpacks it and
outputs the page URL GitHub would give. Nothing reaches GitHub Pages (NOT_HERE is printed).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Bake
from support.machine import need_python
from support.rehearsal import (
    Rehearsal,
    assert_all_succeeded,
    commit_all,
    prepare_repository,
    rehearse,
    replay_downstream,
    show,
)
from test_docs_site import BUILD, SITE

pytestmark = pytest.mark.rehearsal

# A library keeps the full run short; two Pythons keep main's matrix short.
ANSWERS = {"kind": "library", "docs": "github-pages", "python_max": "3.12"}
ENABLED = {"PAGES_ENABLED": "true"}
UPLOAD = "actions/upload-pages-artifact"
DEPLOY = "actions/deploy-pages"
NOT_HERE = (
    "GitHub Pages itself: the deploy stand-in checks and unpacks the artifact, nothing is published",
    "the OIDC token deploy-pages exchanges: act has none; the job's `id-token: write` and "
    "`pages: write` are checked from the workflow file (tests/test_workflows.py)",
    "the github-pages environment's branch rule: act does not enforce environments",
)


def private(bake: Bake, tmp_path: Path) -> Path:
    return prepare_repository(bake(**ANSWERS).copy_to(tmp_path / "project").path)


def report(run: Rehearsal, label: str) -> None:
    show(run, label)
    print("not rehearsed here:\n  " + "\n  ".join(NOT_HERE))


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file the Pages artifact takes (no hidden files: the action leaves them)."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    }


def test_a_push_to_main_publishes_the_site_it_built(bake: Bake, tmp_path: Path) -> None:
    """With Pages set up: the whole ci.yml, then the exact files the docs job built, deployed."""
    project = private(bake, tmp_path)
    run = rehearse(project, "push", workflow="ci.yml", variables=ENABLED)
    report(run, "push to main, docs=github-pages, PAGES_ENABLED=true")
    assert_all_succeeded(run)
    run.assert_job("publish the documentation site", "success")
    (upload,) = run.records(UPLOAD)
    (deploy,) = run.records(DEPLOY)
    # One artifact name per attempt (act's run_attempt is 1), handed to deploy-pages.
    assert upload["name"] == deploy["artifact_name"] == "github-pages-1"
    assert upload["path"] == SITE
    assert upload["site"] == {"index.html": True, "api.html": True, "searchindex.js": True}
    # The stand-in refuses an artifact other than the one uploaded; the real deploy-pages takes
    # the run's artifact of that name, which only this run's jobs can upload.
    assert deploy["sha256"] == upload["sha256"]
    assert deploy["page_url"] == "https://your-github-name.github.io/example-pipeline-package/"
    publish_log = run.job("publish the documentation site").text()
    assert "nothing was published" in publish_log

    # The deployed files are the site this commit builds: the test's own strict build matches
    # them file for file.
    python = need_python("3.11", "the bake's docs Python")
    shutil.rmtree(project / ".venv", ignore_errors=True)
    own = [*BUILD[:-1], str(tmp_path / "own-site")]
    subprocess.run(
        ["uv", "sync", "--python", python, "--no-default-groups", "--group", "docs"], cwd=project, check=True
    )
    subprocess.run(own, cwd=project, check=True, capture_output=True)
    assert hashes(Path(deploy["unpacked"])) == hashes(tmp_path / "own-site")


def test_a_broken_link_fails_the_docs_job_and_the_gate(bake: Bake, tmp_path: Path) -> None:
    """A pull request whose guide links to a heading that is not there: red, naming the place."""
    project = private(bake, tmp_path)
    guide = project / "CONTRIBUTING.md"
    guide.write_text(
        guide.read_text(encoding="utf-8").replace("#later-releases", "#later-release"), encoding="utf-8"
    )
    commit_all(project, "A link to a heading that does not exist", branch="feature")
    run = rehearse(project, "pull_request", workflow="ci.yml", job="docs", variables=ENABLED)
    report(run, "pull request with a broken anchor, docs job")
    run.assert_job("build the site", "failure")
    log = run.job("build the site").text()
    assert "CONTRIBUTING.md:" in log
    assert "later-release" in log
    assert run.records(UPLOAD) == []
    gate = replay_downstream(run, ["ci-passed", "publish-docs"], variables=ENABLED)
    show(gate, "pull request with a broken anchor, gate replayed")
    assert gate.replayed["docs"] == "failure"
    gate.assert_job("ci-passed", "failure")
    assert gate.result("publish-docs") in {"skipped", "not run"}


PRIVATE = {"repository": {"private": True}}


@pytest.mark.parametrize(
    ("event", "variables", "payload"),
    [
        pytest.param("pull_request", ENABLED, {}, id="pull-request"),
        pytest.param("push", {}, {}, id="push-before-pages-is-set-up"),
        pytest.param("push", ENABLED, PRIVATE, id="push-in-a-private-repository"),
        pytest.param("schedule", ENABLED, {}, id="nightly"),
    ],
)
def test_the_site_is_built_everywhere_and_published_from_main_pushes_only(
    bake: Bake, tmp_path: Path, event: str, variables: dict[str, str], payload: dict[str, Any]
) -> None:
    """Every event builds and attaches the site; publishing is skipped for all of these."""
    project = private(bake, tmp_path)
    if event == "pull_request":
        commit_all(project, "A change under review", branch="feature")
    run = rehearse(project, event, workflow="ci.yml", job="docs", variables=variables, event_payload=payload)
    report(run, f"{event}, docs job, variables {sorted(variables)}")
    run.assert_job("build the site", "success")
    (upload,) = run.records(UPLOAD)
    assert upload["site"] == {"index.html": True, "api.html": True, "searchindex.js": True}
    assert upload["retention_days"] == "7"
    notice = "The site was built but not published: GitHub Pages is not set up yet, or the"
    assert (notice in run.job("build the site").text()) == (event == "push")
    gate = replay_downstream(run, ["publish-docs"], results={"ci-passed": "success"}, variables=variables)
    show(gate, f"{event}: publish-docs replayed after a green gate")
    assert gate.result("publish-docs") in {"skipped", "not run"}
    assert gate.records(DEPLOY) == []
