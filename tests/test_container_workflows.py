"""The container image's workflows (container=ghcr): what each job holds, tags, scans and says.

Parsed YAML, not substrings; the shell steps that decide something (the release notes, the
weekly rescan before the first release) are run here as baked. actionlint and zizmor run over
container bakes in test_workflows.py (the render combinations and ALL_ON include one).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Bake, Project
from support.options import TEMPLATE

pytestmark = pytest.mark.render

CONTAINER = {"container": "ghcr"}
WORKFLOWS = ".github/workflows"
CONTAINER_JOBS = {"ci.yml": "image", "release.yml": "publish-image", "security.yml": "scan-image"}
SCANNER = "aquasecurity/trivy-action@ed142fd0673e97e23eac54620cfb913e5ce36c25"
PUBLIC_OR_ADVANCED_SECURITY = "(!github.event.repository.private || vars.ADVANCED_SECURITY == 'true')"


@pytest.fixture(scope="module")
def container(bake: Bake) -> Project:
    return bake(**CONTAINER)


def jobs(project: Project, workflow: str) -> dict[str, Any]:
    return project.yaml(f"{WORKFLOWS}/{workflow}")["jobs"]


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if str(step.get("uses", "")).startswith(f"{action}@")]


def step_named(job: dict[str, Any], name: str) -> dict[str, Any]:
    (step,) = [step for step in job["steps"] if step.get("name") == name]
    return step


def one_line(condition: str) -> str:
    return " ".join(str(condition).split())


def test_each_container_job_holds_exactly_what_it_needs(container: Project) -> None:
    assert jobs(container, "ci.yml")["image"]["permissions"] == {
        "contents": "read",
        "security-events": "write",
    }
    assert jobs(container, "image.yml")["image"]["permissions"] == {
        "contents": "read",
        "security-events": "write",
    }
    assert jobs(container, "release.yml")["publish-image"]["permissions"] == {
        "contents": "read",
        "packages": "write",
        "id-token": "write",
        "attestations": "write",
    }
    assert jobs(container, "security.yml")["scan-image"]["permissions"] == {
        "contents": "read",
        "packages": "read",
        "security-events": "write",
    }


@pytest.mark.parametrize("answers", [pytest.param(CONTAINER, id="container"), pytest.param({}, id="default")])
def test_only_the_image_push_may_write_packages(bake: Bake, answers: dict[str, Any]) -> None:
    project = bake(**answers)
    writers = []
    for path in sorted((project.path / WORKFLOWS).glob("*.yml")):
        document = project.yaml(f"{WORKFLOWS}/{path.name}")
        assert "packages" not in (document.get("permissions") or {}), path.name
        for job_id, job in document["jobs"].items():
            if (job.get("permissions") or {}).get("packages") == "write":
                writers.append(f"{path.name}:{job_id}")
    assert writers == (["release.yml:publish-image"] if answers else [])


def test_the_gate_needs_the_image_and_the_pull_request_builds_it(container: Project) -> None:
    ci = jobs(container, "ci.yml")
    assert "image" in ci["ci-passed"]["needs"]
    assert ci["image"]["uses"] == "./.github/workflows/image.yml"
    image = container.yaml(f"{WORKFLOWS}/image.yml")
    assert list(image[True]) == ["workflow_call"]  # PyYAML reads `on:` as True
    assert image["permissions"] == {}
    job = image["jobs"]["image"]
    (build,) = steps_using(job, "docker/build-push-action")
    assert build["with"]["push"] is False
    assert build["with"]["load"] is True
    assert build["with"]["no-cache"] is True
    assert not {"cache-from", "cache-to"} & set(build["with"])
    assert set(build["with"]["build-args"].splitlines()) == {
        "VERSION=${{ steps.version.outputs.version }}",
        "REVISION=${{ github.sha }}",
        "SOURCE=${{ github.server_url }}/${{ github.repository }}",
    }
    smoke = step_named(job, "Run the smoke test inside the image")
    assert smoke["run"] == (
        'docker run --rm --volume "$PWD:/src:ro" --workdir /src --entrypoint python "$IMAGE"'
        " .github/scripts/smoke_test.py"
    )
    assert build["with"]["tags"] == "${{ env.IMAGE }}"  # the name the smoke test and the scan use


def scans(container: Project) -> list[tuple[str, dict[str, Any]]]:
    image = jobs(container, "image.yml")["image"]
    weekly = jobs(container, "security.yml")["scan-image"]
    return [("image.yml", image), ("security.yml", weekly)]


def test_both_scans_fail_on_fixable_high_and_critical_with_nothing_cached(container: Project) -> None:
    for workflow, job in scans(container):
        (scan,) = steps_using(job, SCANNER.split("@")[0])
        assert scan["uses"] == SCANNER, workflow
        settings = scan["with"]
        assert settings["version"] == "v0.70.0", workflow  # the Trivy binary, pinned too
        assert settings["cache"] is False, workflow  # no Actions cache another branch can write
        assert settings["ignore-unfixed"] is True, workflow
        assert settings["severity"] == "HIGH,CRITICAL", workflow
        assert settings["exit-code"] == "1", workflow
        assert settings["format"] == "sarif", workflow
        # Without it the action drops `severity` for SARIF and exit-code fires on any finding.
        assert settings["limit-severities-for-sarif"] is True, workflow
        (upload,) = steps_using(job, "github/codeql-action/upload-sarif")
        assert upload["with"]["sarif_file"] == settings["output"], workflow
        condition = one_line(upload["if"])
        assert condition.startswith("${{ !cancelled() &&"), workflow  # after a failing scan too
        assert PUBLIC_OR_ADVANCED_SECURITY in condition, workflow
        for step in job["steps"]:
            assert not str(step.get("uses", "")).startswith("actions/cache@"), workflow


def test_the_release_pushes_once_by_digest_after_the_package(container: Project) -> None:
    release = jobs(container, "release.yml")
    job = release["publish-image"]
    # After the build and the package; publish-private-index is not in this bake.
    assert job["needs"] == ["check", "build", "publish"]
    condition = one_line(job["if"])
    assert condition.startswith("${{ !cancelled() && !failure()")
    assert "needs.check.outputs.target == 'full'" in condition  # a rehearsal pushes nothing
    (checkout,) = steps_using(job, "actions/checkout")
    assert checkout["with"] == {"persist-credentials": False, "ref": "${{ needs.check.outputs.sha }}"}
    (qemu,) = steps_using(job, "docker/setup-qemu-action")
    (buildx,) = steps_using(job, "docker/setup-buildx-action")
    # Both run beside the token: pinned by digest, not restored from a cache.
    assert "@sha256:" in qemu["with"]["image"]
    assert qemu["with"]["cache-image"] is False
    assert "@sha256:" in buildx["with"]["driver-opts"]
    assert buildx["with"]["cache-binary"] is False
    (login,) = steps_using(job, "docker/login-action")
    assert login["with"] == {
        "registry": "ghcr.io",
        "username": "${{ github.actor }}",
        "password": "${{ github.token }}",
    }
    (build,) = steps_using(job, "docker/build-push-action")
    settings = build["with"]
    assert settings["platforms"] == "linux/amd64,linux/arm64"
    assert settings["push"] is True
    assert settings["sbom"] is True
    assert settings["provenance"] == "mode=max"
    assert settings["no-cache"] is True
    assert not {"cache-from", "cache-to"} & set(settings)
    assert "REVISION=${{ needs.check.outputs.sha }}" in settings["build-args"].splitlines()
    (attest,) = steps_using(job, "actions/attest-build-provenance")
    assert attest["with"] == {
        "subject-name": "${{ steps.name.outputs.image }}",
        "subject-digest": "${{ steps.build.outputs.digest }}",
        "push-to-registry": True,
    }
    # As the `attest` job: attestations need a public repository (or Enterprise Cloud).
    assert attest["if"] == "${{ !github.event.repository.private }}"
    steps = job["steps"]
    refuse = step_named(job, "Refuse to replace a published version")
    assert steps.index(refuse) < steps.index(step_named(job, "Build and push the image"))
    assert 'imagetools inspect "$IMAGE:$VERSION"' in refuse["run"]
    name = step_named(job, "Name the image after the repository")
    assert name["run"] == """printf 'image=ghcr.io/%s\\n' "${GITHUB_REPOSITORY,,}" >> "$GITHUB_OUTPUT\""""
    assert job["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
    assert "publish-image" in release["github-release"]["needs"]


def metadata_tags(job: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The metadata action's tag rules, one dict per line, keyed by their value."""
    (meta,) = steps_using(job, "docker/metadata-action")
    assert meta["with"]["flavor"] == "latest=false"  # `latest` comes only from the rule below
    rules = {}
    for line in meta["with"]["tags"].splitlines():
        fields = dict(field.split("=", 1) for field in line.split(","))
        rules[fields["value"] if fields["type"] == "raw" else f"{fields['type']}:{fields['pattern']}"] = (
            fields
        )
    return rules


def test_latest_and_the_minor_tag_move_only_for_final_versions(container: Project) -> None:
    rules = metadata_tags(jobs(container, "release.yml")["publish-image"])
    final_only = "${{ needs.check.outputs.prerelease != 'true' }}"
    assert rules == {
        "${{ needs.check.outputs.version }}": {"type": "raw", "value": "${{ needs.check.outputs.version }}"},
        "match:^\\d+\\.\\d+": {
            "type": "match",
            "pattern": "^\\d+\\.\\d+",
            "value": "${{ needs.check.outputs.version }}",
            "enable": final_only,
        },
        "latest": {"type": "raw", "value": "latest", "enable": final_only},
    }


def run_step(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_the_release_notes_name_the_image_by_digest_once_after_a_rerun(
    container: Project, tmp_path: Path
) -> None:
    job = jobs(container, "release.yml")["publish-image"]
    step = step_named(job, "Add the image, by digest, to the release notes")
    notes = tmp_path / "release-notes.md"
    notes.write_text("### Added\n\n- A feature.\n", encoding="utf-8")
    digest = "sha256:" + "ab" * 32
    for attempt_digest in ("sha256:" + "00" * 32, digest):  # the re-run rebuilt the image
        done = run_step(
            step["run"], tmp_path, IMAGE="ghcr.io/owner/repo", DIGEST=attempt_digest, NOTES=str(notes)
        )
        assert done.returncode == 0, done.stderr
    assert notes.read_text(encoding="utf-8") == (
        "### Added\n\n- A feature.\n<!-- container-image -->\n\n## Container image\n\n"
        f"~~~\ndocker pull ghcr.io/owner/repo@{digest}\n~~~\n"
    )
    # The amended notes replace check's under the same name, which the release job downloads.
    (upload,) = steps_using(job, "actions/upload-artifact")
    assert upload["with"]["name"] == "release-notes"
    assert upload["with"]["overwrite"] is True
    release = jobs(container, "release.yml")["github-release"]
    downloads = [step["with"]["name"] for step in steps_using(release, "actions/download-artifact")]
    assert "release-notes" in downloads


@pytest.mark.parametrize(
    ("release", "image", "found", "code"),
    [
        pytest.param((0, "v1.0.0"), (0, ""), "true", 0, id="released-and-pushed"),
        pytest.param((1, "gh: Not Found (HTTP 404)"), None, "false", 0, id="no-release-yet"),
        # GHCR can answer "denied" for a package that does not exist yet: the release decides.
        pytest.param(
            (1, "gh: Not Found (HTTP 404)"), (1, "ERROR: denied"), "false", 0, id="no-release-denied"
        ),
        pytest.param((1, "gh: Bad credentials (HTTP 401)"), None, None, 1, id="api-error"),
        pytest.param(
            (0, "v1.0.0"), (1, "ERROR: denied: permission_denied"), None, 1, id="released-unreadable"
        ),
        pytest.param((0, "v1.0.0"), (1, "ERROR: manifest unknown"), None, 1, id="released-missing"),
    ],
)
def test_the_weekly_rescan_skips_in_one_line_until_the_first_release(
    container: Project,
    tmp_path: Path,
    release: tuple[int, str],
    image: tuple[int, str] | None,
    found: str | None,
    code: int,
) -> None:
    job = jobs(container, "security.yml")["scan-image"]
    assert one_line(job["if"]) == (
        "${{ github.event_name == 'schedule' || github.event_name == 'workflow_dispatch' }}"
    )
    step = step_named(job, "Find the released image")
    assert step["env"]["GH_TOKEN"] == "${{ github.token }}"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for name, (status, text) in {"gh": release, "docker": image or (0, "")}.items():
        stand_in = bin_dir / name
        stream = ">&2" if status else ""
        stand_in.write_text(
            f"#!/bin/sh\necho {name} \"$@\" >> '{calls}'\necho '{text}' {stream}\nexit {status}\n",
            encoding="utf-8",
        )
        stand_in.chmod(0o755)
    output = tmp_path / "output"
    output.write_text("", encoding="utf-8")
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
        env={
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "IMAGE": "ghcr.io/owner/repo:latest",
            "GITHUB_REPOSITORY": "Owner/Repo",
            "GITHUB_OUTPUT": str(output),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stdout + done.stderr
    written = output.read_text(encoding="utf-8").splitlines()
    assert written == ([f"found={found}"] if found else [])
    called = calls.read_text(encoding="utf-8").splitlines()
    assert called[0] == "gh api repos/Owner/Repo/releases/latest --jq .tag_name"
    if found == "false":
        assert called == called[:1], "no registry question before a release exists"
        [line] = done.stdout.splitlines()
        assert line.startswith("::notice::ghcr.io/owner/repo:latest is not published yet")
    if found is None and image is not None and image[0] != 0:
        assert "::error::ghcr.io/owner/repo:latest cannot be read though v1.0.0 is released" in done.stdout
    scan = steps_using(job, SCANNER.split("@")[0])[0]
    assert scan["if"] == "${{ steps.released.outputs.found == 'true' }}"


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({}, id="default"),
        pytest.param({"publish": "none", "notifications": "slack"}, id="no-publish"),
    ],
)
def test_without_a_container_no_job_or_need_mentions_the_image(bake: Bake, answers: dict[str, Any]) -> None:
    project = bake(**answers)
    assert not (project.path / WORKFLOWS / "image.yml").exists()
    for workflow, job_id in CONTAINER_JOBS.items():
        workflow_jobs = jobs(project, workflow)
        assert job_id not in workflow_jobs, workflow
        for other_id, job in workflow_jobs.items():
            needs = job.get("needs") or []
            assert job_id not in ([needs] if isinstance(needs, str) else needs), f"{workflow}:{other_id}"
        assert "needs.publish-image" not in project.text(f"{WORKFLOWS}/{workflow}"), workflow


def test_the_pull_request_cost_counts_the_image_job(container: Project) -> None:
    """ci_cost.py follows ci.yml's call into image.yml, so a container bake's figures hold it;
    the weekly rescan costs nothing on a pull request."""
    sys.path.insert(0, str(TEMPLATE / "benchmarks"))
    try:
        ci_cost = importlib.import_module("ci_cost")
    finally:
        sys.path.remove(str(TEMPLATE / "benchmarks"))
    (pull_request,) = ci_cost.measure(container.path, [ci_cost.EVENTS["pull_request"]], private=False)
    assert "ci/image/image" in [job.path for job in pull_request.ran.ran]
    for _trigger, outcome in pull_request.filtered:
        assert not any(job.path.endswith("scan-image") for job in outcome.ran)


@pytest.mark.parametrize(
    ("exists", "code"), [pytest.param(0, 1, id="published"), pytest.param(1, 0, id="new")]
)
def test_a_version_is_pushed_once(container: Project, tmp_path: Path, exists: int, code: int) -> None:
    """A manual run on an older tag must not replace that version's image or move latest back."""
    step = step_named(
        jobs(container, "release.yml")["publish-image"], "Refuse to replace a published version"
    )
    docker = tmp_path / "docker"
    docker.write_text(f"#!/bin/sh\nexit {exists}\n", encoding="utf-8")
    docker.chmod(0o755)
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
        env={
            "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}",
            "IMAGE": "ghcr.io/o/r",
            "VERSION": "1.0.0",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stdout + done.stderr
    if code:
        assert (
            done.stdout.strip()
            == "::error::ghcr.io/o/r:1.0.0 is published already; release a new version instead."
        )


SARIF_SUMMARY = TEMPLATE / "{{cookiecutter.__project_dir}}" / ".github" / "scripts" / "sarif_summary.py"


def test_a_failed_scan_lists_its_findings_without_code_scanning(tmp_path: Path) -> None:
    """Private repositories without GHAS get no code scanning: the log and summary must say it."""
    report = tmp_path / "trivy.sarif"
    message = (
        "Package: openssl\nInstalled Version: 3.0.1\nVulnerability CVE-2026-0001\n"
        "Severity: HIGH\nFixed Version: 3.0.2\nLink: [CVE-2026-0001](https://avd.example/CVE-2026-0001)"
    )
    report.write_text(
        json.dumps(
            {
                "version": "2.1.0",
                "runs": [{"results": [{"ruleId": "CVE-2026-0001", "message": {"text": message}}]}],
            }
        ),
        encoding="utf-8",
    )
    summary = tmp_path / "summary.md"
    done = subprocess.run(
        [sys.executable, str(SARIF_SUMMARY), str(report)],
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "1 vulnerabilities with a fix available:",
        "  CVE-2026-0001  openssl  3.0.1  3.0.2  HIGH",
    ]
    assert "| CVE-2026-0001 | openssl | 3.0.1 | 3.0.2 | HIGH |" in summary.read_text(encoding="utf-8")
    report.write_text(json.dumps({"version": "2.1.0", "runs": [{"results": []}]}), encoding="utf-8")
    empty = subprocess.run(
        [sys.executable, str(SARIF_SUMMARY), str(report)], capture_output=True, text=True, check=False
    )
    assert (empty.returncode, empty.stdout.splitlines()[0]) == (
        0,
        "No vulnerability with a fix available at the severities the scan checks.",
    )
    broken = subprocess.run(
        [sys.executable, str(SARIF_SUMMARY), str(tmp_path / "missing.sarif")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert broken.returncode == 1
    assert broken.stderr.startswith("sarif_summary.py: error: cannot read")
    assert len(broken.stderr.splitlines()) == 1
