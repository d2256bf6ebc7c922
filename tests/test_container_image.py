"""The baked Dockerfile, built for real: buildah builds it byte for byte on a stand-in base.

No registry is reachable here, so the `base` stage's FROM (the official python image, pinned by
digest) is replaced with `buildah bud --from` by a local stand-in (tests/support/containers.py:
Debian bookworm with Debian's CPython 3.11; hence python_max=3.11, whose image Python is 3.11).
Everything else in the file runs as written: uv from PyPI, the locked sync, the runtime stage.
Then, inside the image: the project's own smoke test, the user, the labels, no build tools, and
the dependency layer's reuse after a change under src/.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Bake, Project
from support.containers import (
    CACHED_LINE,
    STAND_IN_PYTHON,
    STEP_LINE,
    Storage,
    cache_dir,
    mount_points,
    private_storage,
    shared_storage,
)

CONTAINER_BAKE = {"container": "ghcr", "python_max": STAND_IN_PYTHON}
BUILD_ARGS = {
    "VERSION": "1.2.3",
    "REVISION": "0123456789abcdef0123456789abcdef01234567",
    "SOURCE": "https://github.com/example-owner/example-repo",
}
NON_ROOT_UID = 10001


def _shared_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every xdist worker of the session: their builds share layers."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Storage, str]]:
    with shared_storage(_shared_tmp(tmp_path_factory) / "containers", cache_dir()) as made:
        yield made


def locked_copy(bake: Bake, destination: Path) -> Project:
    """A private copy of the container bake with the uv.lock the user's first steps write."""
    project = bake(**CONTAINER_BAKE).copy_to(destination)
    project.run("uv", "lock", "--quiet", env={"UV_PYTHON_DOWNLOADS": "never"})
    return project


@dataclass(frozen=True)
class Built:
    project: Project
    storage: Storage
    image: str
    output: str


@pytest.fixture(scope="module")
def built(bake: Bake, storage: tuple[Storage, str], tmp_path_factory: pytest.TempPathFactory) -> Built:
    store, base = storage
    project = locked_copy(bake, tmp_path_factory.mktemp("image") / "project")
    image = f"localhost/{project.answers['project_slug']}:test"
    done = store.build(project.path, image, base, BUILD_ARGS)
    print(f"built {image} on the stand-in base {base} (not the official python image)")
    return Built(project, store, image, done.stdout + done.stderr)


def cached_steps(output: str) -> dict[str, bool]:
    """Each RUN/COPY instruction buildah printed -> whether its layer came from the cache."""
    steps: dict[str, bool] = {}
    current = None
    for line in output.splitlines():
        if found := STEP_LINE.match(line):
            current = found["instruction"] or found["single"]
            steps.setdefault(current, False)
        elif current and CACHED_LINE.match(line):
            steps[current] = True
    return steps


def step(steps: dict[str, bool], *words: str) -> bool:
    [match] = [cached for instruction, cached in steps.items() if all(word in instruction for word in words)]
    return match


@pytest.mark.project
def test_the_smoke_test_passes_inside_the_image(built: Built) -> None:
    """The project's own check (import, version, console scripts), run by the image's Python."""
    with built.storage.container(built.image) as container:
        done = built.storage.run(
            container,
            "python",
            ".github/scripts/smoke_test.py",
            volumes=[f"{built.project.path}:/project:ro"],
            workdir="/project",
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported from /opt/venv/" in done.stdout, done.stdout
    assert f"{built.project.answers['project_slug']} --version: " in done.stdout


@pytest.mark.project
def test_the_image_runs_as_a_fixed_non_root_user(built: Built) -> None:
    config = built.storage.config(built.image)
    assert config["User"] == f"{NON_ROOT_UID}:{NON_ROOT_UID}"
    with built.storage.container(built.image) as container:
        done = built.storage.run(container, "python", "-c", "import os; print(os.getuid(), os.getgid())")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(NON_ROOT_UID), str(NON_ROOT_UID)]


@pytest.mark.project
def test_the_entry_point_is_the_console_script(built: Built) -> None:
    config = built.storage.config(built.image)
    assert config["Entrypoint"] == [built.project.answers["project_slug"]]
    assert config["Cmd"] == ["--help"]
    assert "/opt/venv/bin" in next(value for value in config["Env"] if value.startswith("PATH="))


@pytest.mark.project
def test_the_labels_carry_the_build_arguments_and_the_bake(built: Built) -> None:
    answers = built.project.answers
    labels = {
        key.removeprefix("org.opencontainers.image."): value
        for key, value in built.storage.labels(built.image).items()
        if key.startswith("org.opencontainers.image.")
    }
    assert labels == {
        "version": BUILD_ARGS["VERSION"],
        "revision": BUILD_ARGS["REVISION"],
        "source": BUILD_ARGS["SOURCE"],
        "title": answers["project_slug"],
        "description": answers["description"],
        "licenses": answers["__license_spdx"],
    }


@pytest.mark.project
def test_the_runtime_image_has_no_build_tools(built: Built) -> None:
    """uv stays in the build stage: no uv binary or distribution anywhere in the image."""
    with built.storage.container(built.image) as container:
        mounted = Path(built.storage.buildah("mount", container).stdout.strip())
        try:
            found = [
                str(Path(folder, name).relative_to(mounted))
                for folder, subfolders, files in os.walk(mounted)
                for name in files + subfolders
                if name in {"uv", "uvx"} or (name.startswith("uv-") and name.endswith(".dist-info"))
            ]
            source_tree = (mounted / "src").exists()
        finally:
            built.storage.buildah("umount", container, check=False)
    assert found == []
    assert not source_tree


@pytest.mark.project
def test_a_source_change_rebuilds_without_the_dependency_layer(
    bake: Bake, built: Built, storage: tuple[Storage, str], tmp_path: Path
) -> None:
    store, base = storage
    project = built.project.copy_to(tmp_path / "project")
    init = project.path / "src" / project.package / "__init__.py"
    init.write_text(init.read_text("utf-8") + '\nREBUILT = "from the edited source"\n', encoding="utf-8")

    done = store.build(project.path, "localhost/rebuilt:test", base, BUILD_ARGS)

    steps = cached_steps(done.stdout + done.stderr)
    assert step(steps, "uv sync", "--no-install-project"), steps
    assert not step(steps, "COPY src/"), steps
    with store.container("localhost/rebuilt:test") as container:
        shown = store.run(
            container, "python", "-c", f"import {project.package}; print({project.package}.REBUILT)"
        )
    assert shown.stdout.strip() == "from the edited source", shown.stdout + shown.stderr


@pytest.mark.project
def test_a_removed_storage_leaves_no_mount_and_no_file(tmp_path: Path) -> None:
    """The suite's disk stays bounded (vfs storages once filled CI's disk): `remove` deletes a
    storage with a mounted working container, and its runroot under /tmp. A mount that buildah
    does not know of (here a bind mount of a folder outside) is unmounted first, never emptied."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the storage's\n", encoding="utf-8")
    store, base = private_storage(tmp_path / "containers with a space", cache_dir())
    bound = store.root / "storage" / "bound"
    try:
        name = store.buildah("from", "--pull-never", base).stdout.strip().splitlines()[-1]
        mounted = store.buildah("mount", name).stdout.strip()
        bound.mkdir(parents=True)
        subprocess.run(["mount", "--bind", str(outside), str(bound)], check=True)
        assert mounted in mount_points()
        store.remove()
        assert (outside / "keep.txt").read_text(encoding="utf-8") == "not the storage's\n"
        assert not store.root.exists()
        assert not store.runroot.exists()
    finally:
        subprocess.run(["umount", str(bound)], capture_output=True, check=False)
        store.remove()
    assert not [point for point in mount_points() if point.startswith(str(tmp_path))]


@pytest.mark.render
def test_cached_steps_reads_buildahs_output() -> None:
    output = """\
[2/3] STEP 3/9: ENV UV_COMPILE_BYTECODE=1
--> Using cache 5d1c0a3c2b1e
--> 5d1c0a3c2b1
[2/3] STEP 6/9: RUN --mount=type=cache,target=/root/.cache/uv     uv sync --no-install-project
--> Using cache 9f8e7d6c5b4a
[2/3] STEP 8/9: COPY src/ src/
--> 1a2b3c4d5e6
"""
    steps = cached_steps(output)
    assert step(steps, "--no-install-project") is True
    assert step(steps, "COPY src/") is False


@pytest.mark.render
def test_the_image_installs_the_uv_the_bake_pins_for_its_lock(bake: Bake) -> None:
    """One uv version per bake: the Dockerfile's and the uv-pre-commit hook's rev move together."""
    project = bake(**CONTAINER_BAKE)
    config = project.yaml(".pre-commit-config.yaml")
    [rev] = [repo["rev"] for repo in config["repos"] if repo["repo"].endswith("/uv-pre-commit")]
    assert re.findall(r'"uv==([^"]+)"', project.text("Dockerfile")) == [rev]


@pytest.mark.render
def test_the_base_is_one_pinned_from_with_its_tag(bake: Bake) -> None:
    project = bake(**CONTAINER_BAKE)
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", project.text("Dockerfile"), re.M)
    image, stage = froms[0]
    assert stage == "base"
    assert re.fullmatch(rf"python:{STAND_IN_PYTHON}-slim-trixie@sha256:[0-9a-f]{{64}}", image), image
    assert [source for source, _ in froms[1:]] == ["base", "base"]
    [docker] = [
        u for u in project.yaml(".github/dependabot.yml")["updates"] if u["package-ecosystem"] == "docker"
    ]
    assert docker["directory"] == "/"
    assert docker["cooldown"] == {"default-days": 7}


# A service bake: the image runs the server, declares its port and a health check. Built in the
# Docker format, since the OCI image format has no HEALTHCHECK (buildah drops it with a warning;
# `docker build` writes the Docker format).
SERVICE_BAKE = {**CONTAINER_BAKE, "kind": "service"}
# Run inside the image by its Python: start the console script as the ENTRYPOINT would, wait for
# the HEALTHCHECK's own command to pass, read /version over HTTP, stop it with SIGTERM.
SERVE_AND_STOP = """
import os, subprocess, sys, time, urllib.request
serve, port = sys.argv[1], os.environ[sys.argv[2] + "PORT"]
started = time.monotonic()
server = subprocess.Popen([serve])
while subprocess.run([serve, "--check"], capture_output=True).returncode:
    if server.poll() is not None or time.monotonic() - started > 60:
        sys.exit("the server did not become healthy")
    time.sleep(0.05)
print(f"healthy after {time.monotonic() - started:.2f}s")
print(urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=5).read().decode())
server.terminate()
print(f"exit {server.wait(timeout=15)}")
"""


@pytest.fixture(scope="module")
def built_service(
    bake: Bake, storage: tuple[Storage, str], tmp_path_factory: pytest.TempPathFactory
) -> Built:
    store, base = storage
    project = bake(**SERVICE_BAKE).copy_to(tmp_path_factory.mktemp("service-image") / "project")
    project.run("uv", "lock", "--quiet", env={"UV_PYTHON_DOWNLOADS": "never"})
    image = f"localhost/{project.answers['project_slug']}-service:test"
    done = store.build(project.path, image, base, BUILD_ARGS, extra=["--format", "docker"])
    return Built(project, store, image, done.stdout + done.stderr)


@pytest.mark.project
def test_the_service_image_runs_the_server_and_declares_its_port_and_health_check(
    built_service: Built,
) -> None:
    slug = built_service.project.answers["project_slug"]
    shown = json.loads(
        built_service.storage.buildah("inspect", "--type", "image", built_service.image).stdout
    )
    config = shown["Docker"]["config"]
    assert config["Entrypoint"] == [f"{slug}-serve"]
    assert not config.get("Cmd")
    assert set(config["ExposedPorts"]) == {"8000/tcp"}
    assert config["Healthcheck"]["Test"] == ["CMD", f"{slug}-serve", "--check"]
    prefix = built_service.project.answers["__env_prefix"]
    assert f"{prefix}HOST=0.0.0.0" in config["Env"]


@pytest.mark.project
def test_the_service_image_serves_passes_its_health_check_and_stops_on_sigterm(built_service: Built) -> None:
    answers = built_service.project.answers
    # chroot isolation shares this machine's network: a free port, not the image's 8000.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with built_service.storage.container(built_service.image) as container:
        done = built_service.storage.run(
            container,
            "env",
            f"{answers['__env_prefix']}PORT={port}",
            "python",
            "-c",
            SERVE_AND_STOP,
            f"{answers['project_slug']}-serve",
            answers["__env_prefix"],
        )
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout.splitlines()[1])["version"] == answers["version"]
    assert done.stdout.splitlines()[-1] == "exit 0"


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions in order, continuation lines joined, comments left out."""
    logical = re.sub(r"\\\n\s*", " ", dockerfile)
    return [
        (keyword.upper(), rest.strip())
        for line in logical.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
        for keyword, _, rest in [line.strip().partition(" ")]
    ]


@pytest.mark.render
@pytest.mark.parametrize("kind", ["command-line-tool", "service"])
def test_the_image_runs_a_services_server_and_a_tools_console_script(bake: Bake, kind: str) -> None:
    project = bake(**CONTAINER_BAKE, kind=kind)
    slug, prefix = project.answers["project_slug"], project.answers["__env_prefix"]
    steps = instructions(project.text("Dockerfile"))
    runtime = steps[max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM") :]
    by_keyword = {keyword: [rest for k, rest in runtime if k == keyword] for keyword, _ in runtime}
    assert runtime[-1][0] == "ENTRYPOINT" if kind == "service" else runtime[-2][0] == "ENTRYPOINT"
    if kind == "service":
        assert json.loads(by_keyword["ENTRYPOINT"][0]) == [f"{slug}-serve"]
        assert "CMD" not in by_keyword
        assert by_keyword["EXPOSE"] == ["8000"]
        options, _, command = by_keyword["HEALTHCHECK"][0].partition(" CMD ")
        assert json.loads(command) == [f"{slug}-serve", "--check"]
        assert "--start-period" in options
        assert f"{prefix}HOST=0.0.0.0" in by_keyword["ENV"][-1].split()
        assert f"{prefix}PORT=8000" in by_keyword["ENV"][-1].split()
    else:
        assert json.loads(by_keyword["ENTRYPOINT"][0]) == [slug]
        assert json.loads(by_keyword["CMD"][0]) == ["--help"]
        assert "EXPOSE" not in by_keyword
        assert "HEALTHCHECK" not in by_keyword
