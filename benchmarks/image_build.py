"""Container image cost: the cold build, the rebuild after a source-only change, and the size.

Bakes `container=ghcr python_max=3.11` with `cli=typer` by default (typer and its dependencies
are runtime dependencies: the dependency layer has something to install, so the figures show
what a source-only change must not redo; an argparse bake has none), writes its uv.lock with
`uv lock` as the user's first steps do, and builds the baked Dockerfile byte for byte with
buildah, exactly as tests/test_container_image.py does: in a private containers storage, its
first FROM replaced by the tests' stand-in base (Debian bookworm minbase with Debian's CPython
3.11; no registry is reachable here). So the figures are this Dockerfile's cost on a stand-in,
not on the official python image, whose size and start-up differ:

- cold: an empty layer cache (uv's download cache inside the build's cache mount is empty
  too), the base already imported;
- source-only rebuild: one line added under src/, everything else as it was;
- the dependency step (`uv sync --no-install-project`): its time in the cold build, and
  whether the rebuild took its layer from the cache (and how long the step took there);
- sizes: the runtime image and the stand-in base, uncompressed, as `podman images` counts.

A step's time is from its STEP line in buildah's output to the next one (or the build's end),
so it includes committing the step's layer. buildah runs with chroot isolation and the
kernel's overlay driver where it mounts here (else vfs, where every layer is a full copy of the
root file system and a rebuild is no faster than a cold build); the first line of the output
names the driver used. The debootstrap of the stand-in (about a minute, once) is
not timed; its tarball is kept under PIPELINE_TEMPLATE_CACHE/containers, else
~/.cache/pipeline-template/containers. Needs root, buildah, podman and debootstrap.

With `--kind service` it bakes the service instead (FastAPI and uvicorn are the dependency
layer) and adds the cold start: the image's console script started inside the built image
(`buildah run`, chroot isolation, this machine's network), timed until the HEALTHCHECK's own
command (`<slug>-serve --check`) first passes, five starts, each from a stopped server.

Usage: uv run python benchmarks/image_build.py [--kind {command-line-tool,service}]
       [--cli {typer,argparse}] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from _support import bake, child_env, find_uv
from support.containers import (
    CACHED_LINE,
    STAND_IN_IMAGE,
    STAND_IN_PYTHON,
    STEP_LINE,
    Storage,
    cache_dir,
    private_storage,
    storage_driver,
)

BUILD_ARGS = {"VERSION": "0.1.0", "REVISION": "benchmark", "SOURCE": "https://example.invalid/benchmark"}
DEPENDENCY_STEP = "--no-install-project"  # the Dockerfile's dependency layer: from the lock alone


class NotHere(Exception):
    """The machine lacks what the build needs: the tests' skip, as one line."""


@dataclass
class Step:
    instruction: str
    started: float
    seconds: float = 0.0
    cached: bool = False


@dataclass
class Timed:
    """One build: its wall time and each step as buildah printed it."""

    seconds: float = 0.0
    steps: list[Step] = field(default_factory=list)

    def line(self, text: str) -> None:
        now = time.perf_counter()
        if found := STEP_LINE.match(text):
            self.steps.append(Step(found["instruction"] or found["single"], now))
        elif self.steps and CACHED_LINE.match(text):
            self.steps[-1].cached = True

    def finish(self, started: float) -> None:
        ended = time.perf_counter()
        self.seconds = ended - started
        for step, after in zip(self.steps, [*self.steps[1:], None], strict=True):
            step.seconds = (after.started if after else ended) - step.started

    def step(self, word: str) -> Step:
        [found] = [step for step in self.steps if word in step.instruction]
        return found


def _storage(work: Path) -> tuple[Storage, str]:
    import pytest

    try:
        return private_storage(work / "containers", cache_dir())
    except (pytest.skip.Exception, pytest.fail.Exception) as missing:
        raise NotHere(str(missing)) from None


def _timed_build(storage: Storage, project: Path, tag: str, base: str) -> Timed:
    timed = Timed()
    started = time.perf_counter()
    storage.build(project, tag, base, BUILD_ARGS, on_line=timed.line)
    timed.finish(started)
    return timed


# Run inside the image by its Python: start the server as the ENTRYPOINT would, poll the
# HEALTHCHECK's command until it passes, stop the server with SIGTERM; STARTS times.
STARTS = 5
COLD_START = """
import os, subprocess, sys, time
serve, starts = sys.argv[1], int(sys.argv[2])
for _ in range(starts):
    started = time.monotonic()
    server = subprocess.Popen([serve], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while subprocess.run([serve, "--check"], capture_output=True).returncode:
        if server.poll() is not None or time.monotonic() - started > 60:
            sys.exit("the server did not become healthy within 60 s")
        time.sleep(0.02)
    print(f"{time.monotonic() - started:.3f}")
    server.terminate()
    if server.wait(timeout=15):
        sys.exit(f"the server exited {server.returncode} on SIGTERM")
"""


def _cold_starts(storage: Storage, image: str, serve: str, prefix: str) -> list[float]:
    with socket.socket() as probe:  # chroot isolation shares this machine's network
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with storage.container(image) as container:
        done = storage.run(
            container, "env", f"{prefix}PORT={port}", "python", "-c", COLD_START, serve, str(STARTS)
        )
    if done.returncode:
        raise SystemExit(f"image_build: the service did not start in the image: {done.stderr.strip()}")
    return [float(line) for line in done.stdout.split()]


def measure(work: Path, cli: str, kind: str) -> list[tuple[str, str]]:
    started = time.perf_counter()
    storage, base = _storage(work)
    prepared = time.perf_counter() - started
    answers = {"container": "ghcr", "python_max": STAND_IN_PYTHON, "kind": kind}
    if kind == "command-line-tool":
        answers["cli"] = cli
    project = bake(work / "bake", answers)
    subprocess.run([find_uv(), "lock", "--quiet"], cwd=project, env=child_env(), check=True)

    cold = _timed_build(storage, project, "localhost/benchmark:cold", base)
    package = next(path for path in (project / "src").iterdir() if path.is_dir())
    init = package / "__init__.py"
    init.write_text(init.read_text("utf-8") + "\nEDITED = True\n", encoding="utf-8")
    rebuild = _timed_build(storage, project, "localhost/benchmark:rebuilt", base)
    starts: list[float] = []
    if kind == "service":
        scripts = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
        [serve] = [name for name in scripts if name.endswith("-serve")]
        prefix = package.name.upper() + "_"  # cookiecutter.json's __env_prefix
        starts = _cold_starts(storage, "localhost/benchmark:rebuilt", serve, prefix)

    dependencies_cold, dependencies_again = cold.step(DEPENDENCY_STEP), rebuild.step(DEPENDENCY_STEP)
    reused = "reused from the layer cache" if dependencies_again.cached else "RUN AGAIN"
    runtime = storage.size("localhost/benchmark:rebuilt")
    stand_in = storage.size(STAND_IN_IMAGE)
    mib = 1024 * 1024
    return [
        ("stand-in base ready (import; debootstrap if not cached)", f"{prepared:.1f} s"),
        ("cold build (empty layer cache)", f"{cold.seconds:.1f} s"),
        (
            "  of which the dependency step (uv sync --no-install-project)",
            f"{dependencies_cold.seconds:.1f} s",
        ),
        ("rebuild after a source-only change", f"{rebuild.seconds:.1f} s"),
        ("  its dependency step", f"{reused}, {dependencies_again.seconds:.1f} s"),
        ("stand-in base size", f"{stand_in / mib:.1f} MiB"),
        ("runtime image size", f"{runtime / mib:.1f} MiB"),
        ("runtime image over its base", f"{(runtime - stand_in) / mib:.1f} MiB"),
        *(
            [
                (
                    f"cold start in the image, to the first passing health check ({len(starts)} starts)",
                    f"median {statistics.median(starts):.2f} s, "
                    f"min {min(starts):.2f} s, max {max(starts):.2f} s",
                )
            ]
            if starts
            else []
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cli", choices=("typer", "argparse"), default="typer", help="the bake's CLI (default: typer)"
    )
    parser.add_argument(
        "--kind",
        choices=("command-line-tool", "service"),
        default="command-line-tool",
        help="what the bake makes (default: command-line-tool); a service adds its cold start",
    )
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it (default: a temporary dir)")
    args = parser.parse_args(argv)
    # Resolved once: the storage's runroot is named by its path, which cleanup must match.
    work = (args.keep or Path(tempfile.mkdtemp(prefix="image-build-"))).resolve()
    try:
        load = os.getloadavg()[0]
        rows = measure(work, args.cli, args.kind)
    except NotHere as missing:
        print(f"image_build: {missing}", file=sys.stderr)
        return 2
    finally:
        if args.keep is None:
            Storage(work / "containers").remove()  # its overlay mounts first
            shutil.rmtree(work, ignore_errors=True)
    width = max(len(name) for name, _ in rows)
    what = "service" if args.kind == "service" else f"cli={args.cli}"
    print(
        f"Container image of a {what} bake on the stand-in base {STAND_IN_IMAGE} "
        f"(buildah, {storage_driver()}, chroot; {os.uname().release}; load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after)"
    )
    print(f"| {'what':{width}} | figure |")
    print(f"|{'-' * (width + 2)}|--------|")
    for name, figure in rows:
        print(f"| {name:{width}} | {figure} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
