"""Rehearsal of the container image (container=ghcr): ci.yml's `image` job and release.yml's
`publish-image`, run with act on this host against real builds and a real local registry.

No Docker daemon and no reachable registry here, so: the Dockerfile is built byte for byte
by buildah on a local stand-in base (its first FROM replaced with `--from`), in a private
storage (tests/support/containers.py); `docker run` in the workflow is a shim
(tests/rehearsal/bin/docker) over `buildah run`; ghcr.io is Debian's docker-registry on
127.0.0.1 (REHEARSAL_REGISTRY_MAP, tests/support/container_registry.py). The stand-ins are in
tests/rehearsal/standins/_lib/container_actions.py. What cannot run here is printed by every test (NOT_HERE).

Each scenario builds the image once (minutes on the vfs driver, where overlay cannot mount):
run with -s to see timings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Bake
from support.container_registry import (
    LocalRegistry,
    local_registry,
    need_registry_tools,
    pull_by_digest,
    run_in_image,
)
from support.containers import STAND_IN_PYTHON, Storage, cache_dir, temporary_storage
from support.rehearsal import Rehearsal, not_executed, prepare_repository, rehearse
from test_rehearsal_release import release_copy, release_env, tag

pytestmark = pytest.mark.rehearsal

# Fewer jobs: no index to publish to; the base's Python must be one that can stand in here.
ANSWERS = {"container": "ghcr", "python_max": STAND_IN_PYTHON, "publish": "none"}
BUILD_PUSH = "docker/build-push-action"
TRIVY = "aquasecurity/trivy-action"
NOT_HERE = (
    "linux/arm64: no QEMU emulation here; the host platform (linux/amd64) is built alone, so the "
    "pushed digest is a single manifest, not the multi-platform index GHCR gets",
    "Trivy's vulnerability database: not reachable; the scan stand-in checks the image exists and "
    "reports no finding",
    "BuildKit's SBOM and provenance attestations (sbom, provenance inputs): buildah makes none",
    "GHCR itself: a local docker-registry stands in (any credentials); the GitHub attestation "
    "is recorded, not signed or pushed to the registry",
    "the official python base image: a Debian bookworm stand-in with Debian's Python "
    f"{STAND_IN_PYTHON} replaces the pinned digest (buildah bud --from)",
)


@pytest.fixture(scope="module")
def containers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Storage, str]]:
    need_registry_tools("the image rehearsal builds, pushes and runs the baked image")
    started = time.monotonic()
    with temporary_storage(tmp_path_factory.mktemp("containers"), cache_dir()) as (storage, base):
        print(f"\n[image rehearsal] stand-in base {base} ready in {time.monotonic() - started:.1f}s")
        yield storage, base


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[LocalRegistry]:
    with local_registry(tmp_path / "registry") as running:
        yield running


def image_env(containers: tuple[Storage, str], registry: LocalRegistry) -> dict[str, str]:
    """The release rehearsal's environment (tests/rehearsal/bin first: gh, docker) plus the
    container stand-ins' storage, base and registry map."""
    storage, base = containers
    return {
        **release_env({}),
        **storage.env,
        "REHEARSAL_BASE_IMAGE": base,
        "REHEARSAL_REGISTRY_MAP": json.dumps({"ghcr.io": registry.host}),
    }


def show(rehearsal: Rehearsal, label: str, started: float) -> None:
    print(f"\n{rehearsal.report(label)}  (wall {time.monotonic() - started:.1f}s)")
    for line in not_executed(rehearsal):
        print(f"    not executed: {line}")
    for line in NOT_HERE:
        print(f"    not run here: {line}")


def step_outputs(rehearsal: Rehearsal, job_id: str) -> dict[str, str]:
    return {
        str(e["name"]): str(e.get("arg", ""))
        for e in rehearsal.entries
        if e.get("command") == "set-output" and e.get("jobID") == job_id
    }


def need_image_files(project: Path) -> None:
    for name in ("Dockerfile", ".github/workflows/image.yml"):
        if not (project / name).is_file():
            pytest.fail(f"a container=ghcr bake has no {name}", pytrace=False)


def test_pull_request_builds_runs_and_scans_the_image(
    bake: Bake, tmp_path: Path, containers: tuple[Storage, str], registry: LocalRegistry
) -> None:
    """ci.yml `image` on a pull request: built (not pushed), smoke-tested inside, scanned."""
    project = bake(**ANSWERS).copy_to(tmp_path / "project")
    need_image_files(project.path)
    prepare_repository(project.path)
    started = time.monotonic()

    rehearsal = rehearse(
        project.path,
        "pull_request",
        workflow="ci.yml",
        job="image",
        env=image_env(containers, registry),
        timeout=1800,
    )
    show(rehearsal, "pull request: ci.yml image (container=ghcr)", started)

    rehearsal.assert_job("image", "success")
    (build,) = rehearsal.records(BUILD_PUSH)
    assert build["push"] is False
    assert build["load"] is True
    assert build["digest"] == ""
    assert registry_is_empty(registry)
    log = "\n".join(job.text() for job in rehearsal.matching("image"))
    assert "docker (rehearsal stand-in): running ['python', '.github/scripts/smoke_test.py']" in log
    (scan,) = rehearsal.records(TRIVY)
    assert scan["found_in"] == "local storage"
    assert build["tags"] == [scan["image_ref"]]
    (upload,) = rehearsal.records("github/codeql-action/upload-sarif")
    assert upload["category"] == "container-image"
    report = rehearsal.report()
    assert "scanner Trivy: stand-in" in report


def registry_is_empty(registry: LocalRegistry) -> bool:
    import urllib.request

    with urllib.request.urlopen(f"http://{registry.host}/v2/_catalog", timeout=5) as answer:
        return json.load(answer).get("repositories") in ([], None)


def test_release_pushes_the_image_and_names_its_digest(
    bake: Bake, tmp_path: Path, containers: tuple[Storage, str], registry: LocalRegistry
) -> None:
    """release.yml on v0.1.0: pushed as 0.1.0, 0.1 and latest; pulled back by the digest the
    job output, it passes the smoke test; the GitHub release notes name that digest."""
    project = release_copy(bake(**ANSWERS), tmp_path / "project", "0.1.0")
    need_image_files(project.path)
    sha = tag(project, "v0.1.0")
    started = time.monotonic()

    rehearsal = rehearse(
        project.path,
        "push",
        workflow="release.yml",
        event_payload={"ref": "refs/tags/v0.1.0", "head_commit": {"id": sha}},
        env=image_env(containers, registry),
        timeout=1800,
    )
    show(rehearsal, "tag v0.1.0: release.yml (container=ghcr, publish=none)", started)

    rehearsal.assert_job("publish-image", "success")
    rehearsal.assert_job("github-release", "success")
    outputs = step_outputs(rehearsal, "publish-image")
    image, digest = outputs["image"], outputs["digest"]
    assert image.startswith("ghcr.io/")
    assert digest.startswith("sha256:")
    repository = image.removeprefix("ghcr.io/")
    assert registry.tags(repository) == ["0.1", "0.1.0", "latest"]
    assert {registry.digest(f"{repository}:{t}") for t in ("0.1", "0.1.0", "latest")} == {digest}
    (build,) = rehearsal.records(BUILD_PUSH)
    assert build["not_built"] == ["linux/arm64"]
    assert build["digest"] == digest
    # The distributions' attestation (job attest) is recorded beside the image's.
    (attested,) = [
        r for r in rehearsal.records("actions/attest-build-provenance") if r["job"] == "publish-image"
    ]
    assert attested["subjects"] == [{"name": image, "digest": digest}]
    assert attested["push_to_registry"] is True
    # Pulled back by digest, the image passes the project's smoke test.
    storage, _ = containers
    pulled = pull_by_digest(storage, registry, repository, digest)
    smoke = run_in_image(
        storage,
        pulled,
        "python",
        ".github/scripts/smoke_test.py",
        volumes=(f"{project.path}:/src:ro",),
        workdir="/src",
    )
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    print(f"    pulled {image}@{digest}: smoke test passed\n{smoke.stdout}")
    (released,) = rehearsal.records("cli/cli")
    assert f"{image}@{digest}" in released["body"], released["body"]

    # The weekly rescan finds `latest` in the registry and scans it (by name, as users pull it).
    started = time.monotonic()
    # The repository now has the release the rehearsal made (the gh stand-in answers from it).
    releases = {"REHEARSAL_RELEASES": str(rehearsal.run_dir / "records" / "cli__cli.jsonl")}
    rescan = rescan_released_image(project.path, containers, registry, releases)
    show(rescan, "weekly rescan after v0.1.0: security.yml scan-image", started)
    rescan.assert_job("scan-image", "success")
    (scan,) = rescan.records(TRIVY)
    assert scan["image_ref"] == f"{image}:latest"
    assert scan["found_in"] == f"the local registry ({registry.host}/{repository}:latest)"
    (upload,) = rescan.records("github/codeql-action/upload-sarif")
    assert upload["category"] == "released-image"


def rescan_released_image(
    project: Path,
    containers: tuple[Storage, str],
    registry: LocalRegistry,
    releases: dict[str, str] | None = None,
) -> Rehearsal:
    return rehearse(
        project,
        "schedule",
        workflow="security.yml",
        job="scan-image",
        env={**image_env(containers, registry), **(releases or {})},
        timeout=600,
    )


def test_weekly_rescan_before_the_first_release_scans_nothing(
    bake: Bake, tmp_path: Path, containers: tuple[Storage, str], registry: LocalRegistry
) -> None:
    """security.yml scan-image with nothing pushed yet: one notice, no scan, a green job."""
    project = bake(**ANSWERS).copy_to(tmp_path / "project")
    need_image_files(project.path)
    prepare_repository(project.path)
    started = time.monotonic()

    rehearsal = rescan_released_image(project.path, containers, registry)
    show(rehearsal, "weekly rescan before any release: security.yml scan-image", started)

    rehearsal.assert_job("scan-image", "success")
    assert (
        "is not published yet (a final release pushes it): nothing to rescan."
        in rehearsal.job("scan-image").text()
    )
    assert rehearsal.records(TRIVY) == []
    assert rehearsal.records("github/codeql-action/upload-sarif") == []
