"""A local registry for the image rehearsal, standing in for ghcr.io.

No registry (Docker Hub, GHCR) is reachable here, so:

- `local_registry` runs Debian's `docker-registry serve` (the CNCF distribution registry) on a
  free 127.0.0.1 port with storage in a temporary folder, and stops it at the end.
- `pull_by_digest` and `run_in_image` take an image back from the registry by digest and run a
  command in it (`buildah run --isolation chroot`: `podman run` cannot run here).

The private containers storage and the stand-in for the Dockerfile's pinned base are
tests/support/containers.py's, shared with the build tests and the image benchmark.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from support.background import stop
from support.containers import Storage, need_machine
from support.machine import need_tool


def need_registry_tools(needed_for: str) -> None:
    """skopeo and docker-registry, then the build's tools and root (skip, or fail under REQUIRE_ALL)."""
    for name in ("skopeo", "docker-registry"):
        need_tool(name, needed_for)
    need_machine(needed_for)


@dataclass
class LocalRegistry:
    """Debian's docker-registry on 127.0.0.1:port; `host` is what image names use."""

    port: int
    root: Path
    process: subprocess.Popen[bytes]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def tags(self, repository: str) -> list[str]:
        with urllib.request.urlopen(f"http://{self.host}/v2/{repository}/tags/list", timeout=5) as answer:
            return sorted(json.load(answer).get("tags") or [])

    def digest(self, reference: str) -> str:
        """The manifest digest the registry serves for `repository:tag`."""
        repository, tag = reference.rsplit(":", 1)
        request = urllib.request.Request(
            f"http://{self.host}/v2/{repository}/manifests/{tag}",
            method="HEAD",
            headers={
                "Accept": "application/vnd.oci.image.manifest.v1+json, "
                "application/vnd.docker.distribution.manifest.v2+json, "
                "application/vnd.oci.image.index.v1+json"
            },
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            return str(answer.headers["Docker-Content-Digest"])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_registry(root: Path) -> Iterator[LocalRegistry]:
    """A running registry with its storage in `root`; stopped (by its own process) at the end."""
    root.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        "storage:\n"
        f"  filesystem:\n    rootdirectory: {root / 'data'}\n"
        "  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n",
        encoding="utf-8",
    )
    log = (root / "registry.log").open("wb")
    process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=log)
    registry = LocalRegistry(port, root, process)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://{registry.host}/v2/", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"docker-registry did not become ready on {registry.host}:\n"
                    + (root / "registry.log").read_text(errors="replace")
                )
            time.sleep(0.2)
        yield registry
    finally:
        stop(process)
        log.close()


def pull_by_digest(storage: Storage, registry: LocalRegistry, repository: str, digest: str) -> str:
    """Copy `repository@digest` from the registry into `storage`; return the local name."""
    local = f"localhost/pulled/{repository}:{digest.removeprefix('sha256:')[:12]}"
    source = f"docker://{registry.host}/{repository}@{digest}"
    storage.tool(
        "skopeo",
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        source,
        f"containers-storage:{local}",
        flags=False,
    )
    return local


def run_in_image(
    storage: Storage,
    image: str,
    *command: str,
    volumes: tuple[str, ...] = (),
    workdir: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `command` in a working container of `image` (as its user, with its environment)."""
    with storage.container(image) as container:
        return storage.run(container, *command, volumes=volumes, workdir=workdir)
