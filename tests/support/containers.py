"""Build a baked Dockerfile for real, here, where no registry and no Docker daemon are reachable.

The baked Dockerfile starts from `python:3.X-slim-trixie@sha256:...`, which only a registry has.
The tests (tests/test_container_image.py, tests/test_rehearsal_image.py) and
benchmarks/image_build.py build it byte for byte on a *stand-in* base instead: Debian bookworm
(minbase, by debootstrap) with Debian's CPython 3.11, made to look like the official image where
the Dockerfile relies on it (`python`, `python3`, `pip` in /usr/local/bin, a pip that installs
there, PATH and LANG as the official image sets them), and trusting what this machine trusts:
its CA bundle is copied in and named by SSL_CERT_FILE and PIP_CERT, as the official image
trusts the public CAs (a proxy here re-signs PyPI's TLS). `buildah bud --from` replaces exactly
the first FROM, the `base` stage, and nothing else.

Everything happens in a private containers storage (`--root`/`--runroot` and a storage.conf
named by CONTAINERS_STORAGE_CONF, chroot isolation), so the tests never read or write the user's
images; the rehearsal's stand-ins reach the same storage through `Storage.env`. The driver is the
kernel's overlay where a probe mounts one here (as root it does), else vfs, which works anywhere
but copies the whole root file system for every layer: about 300 MB a step, 27 GB in one run of
the suite, which filled a CI machine's disk. PIPELINE_STORAGE_DRIVER=vfs|overlay skips the probe.
A module's storage is removed when the module is done (`temporary_storage`, `shared_storage`).
The debootstrap tree is made once per cache directory and kept as a tarball (`cache_dir`):
PIPELINE_TEMPLATE_CACHE/containers when that is set (CI may keep it across runs), else
~/.cache/pipeline-template/containers. The registry the rehearsal pushes to is
tests/support/container_registry.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from support.machine import missing, need_tool

STAND_IN_PYTHON = "3.11"  # the CPython Debian bookworm ships; bake with python_max=3.11
STAND_IN_IMAGE = f"localhost/stand-in/python:{STAND_IN_PYTHON}-bookworm"
SUITE = "bookworm"
PACKAGES = ("python3", "python3-pip", "python3-venv", "ca-certificates")
# Where the official image has them: the Dockerfile runs `python -m pip`, uv finds `python3`.
LINKS = {
    "usr/local/bin/python": "/usr/bin/python3",
    "usr/local/bin/python3": "/usr/bin/python3",
    f"usr/local/bin/python{STAND_IN_PYTHON}": f"/usr/bin/python{STAND_IN_PYTHON}",
    "usr/local/bin/pip": "/usr/bin/pip3",
    "usr/local/bin/pip3": "/usr/bin/pip3",
}
TIMEOUT = 1800
STAND_IN_MESSAGE = "stand-in for the official python image: Debian bookworm minbase with Debian's CPython"
# buildah's line for a build step, and the line it prints when the step's layer comes from the cache.
STEP_LINE = re.compile(r"^\[\d+/\d+\] STEP \d+/\d+: (?P<instruction>.*)$|^STEP \d+/\d+: (?P<single>.*)$")
CACHED_LINE = re.compile(r"^--> Using cache [0-9a-f]+")
CA_BUNDLE = "etc/ssl/certs/ca-certificates.crt"
# The official image's environment, and this machine's CA bundle named where pip and OpenSSL look.
IMAGE_ENV = (
    "PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
    f"SSL_CERT_FILE=/{CA_BUNDLE}",
    f"PIP_CERT=/{CA_BUNDLE}",
)


def host_ca_bundle() -> Path:
    """The CA bundle this machine's tools use (SSL_CERT_FILE, else Debian's)."""
    return Path(os.environ.get("SSL_CERT_FILE") or f"/{CA_BUNDLE}")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process at a time (xdist workers share the cache and the storage)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def need_machine(needed_for: str | None = None) -> None:
    """buildah, podman, debootstrap and root, or skip (fail under PIPELINE_TESTS_REQUIRE_ALL)."""
    for tool in ("buildah", "podman", "debootstrap"):
        need_tool(tool, needed_for)
    if os.geteuid() != 0:
        missing(
            "root",
            needed_for or "the container image tests (debootstrap and buildah's chroot isolation)",
            "run the suite as root, as .ci/run does on its fresh machine",
        )


def stand_in_tarball(cache: Path) -> Path:
    """The stand-in base's root filesystem as a tarball, made once per cache directory."""
    bundle = host_ca_bundle().read_bytes()
    # Named by what goes into it: a new recipe or CA bundle makes a new tarball.
    recipe = hashlib.sha256(repr((SUITE, PACKAGES, sorted(LINKS.items()))).encode() + bundle).hexdigest()
    tarball = cache / f"stand-in-python-{STAND_IN_PYTHON}-{SUITE}-{recipe[:12]}.tar"
    with _locked(cache / "stand-in.lock"):
        if tarball.exists():
            return tarball
        with tempfile.TemporaryDirectory(dir=cache) as scratch:
            _debootstrap(Path(scratch) / "rootfs", bundle, tarball)
    return tarball


def _debootstrap(root: Path, bundle: bytes, tarball: Path) -> None:
    subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(root)],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    # The official image's Python is its own, not Debian's: pip may install into it.
    for marker in root.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    for link, target in LINKS.items():
        (root / link).unlink(missing_ok=True)
        (root / link).symlink_to(target)
    (root / CA_BUNDLE).parent.mkdir(parents=True, exist_ok=True)
    (root / CA_BUNDLE).write_bytes(bundle)
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    partial = tarball.with_suffix(".partial")
    with tarfile.open(partial, "w") as archive:
        archive.add(root, arcname=".")
    partial.rename(tarball)


def succeeded(
    done: subprocess.CompletedProcess[str], program: str, *args: str | Path
) -> subprocess.CompletedProcess[str]:
    """`done`, or an AssertionError with the command and the tail of its output."""
    if done.returncode != 0:
        raise AssertionError(
            f"{program} {' '.join(map(str, args))} exited {done.returncode}:\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done


DRIVERS = ("overlay", "vfs")


@functools.cache
def storage_driver() -> str:
    """overlay when PIPELINE_STORAGE_DRIVER says so or a probe can mount one here, else vfs.

    The probe is a storage like the suite's (its own storage.conf, nothing of the machine's),
    under the temporary folder, where the suite's storages are too. Call need_machine() first.
    """
    chosen = os.environ.get("PIPELINE_STORAGE_DRIVER", "")
    if chosen:
        if chosen not in DRIVERS:
            raise ValueError(f"PIPELINE_STORAGE_DRIVER={chosen!r}: expected one of {', '.join(DRIVERS)}")
        return chosen
    with tempfile.TemporaryDirectory(prefix="pipeline-driver-probe-", ignore_cleanup_errors=True) as probe:
        conf = Path(probe) / "storage.conf"
        conf.write_text(
            f'[storage]\ndriver = "overlay"\nrunroot = "{probe}/run"\ngraphroot = "{probe}/root"\n',
            encoding="utf-8",
        )
        environment = {**os.environ, "CONTAINERS_STORAGE_CONF": str(conf)}

        def buildah(*args: str) -> bool:
            done = subprocess.run(
                ["buildah", *args], env=environment, capture_output=True, text=True, timeout=120, check=False
            )
            return done.returncode == 0

        try:
            mounted = buildah("from", "--name", "probe", "scratch") and buildah("mount", "probe")
        except (OSError, subprocess.TimeoutExpired):
            mounted = False
        finally:
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                buildah("rm", "--all")
            _unmount_under(Path(probe))
    return "overlay" if mounted else "vfs"


def mount_points() -> list[str]:
    """The machine's mount points, as /proc/mounts writes them with its octal escapes undone."""
    lines = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    return [re.sub(r"\\([0-7]{3})", lambda escape: chr(int(escape[1], 8)), line.split()[1]) for line in lines]


def _mounted_under(root: Path) -> list[str]:
    prefix = str(root.resolve()) + "/"
    return [point for point in mount_points() if (point + "/").startswith(prefix)]


def _unmount_under(root: Path) -> None:
    """Unmount whatever is still mounted under root, deepest first (overlay leaves a bind mount);
    detach what is busy; raise if anything is left, since deleting root would go into it."""
    for lazy in (False, True):
        for point in sorted(_mounted_under(root), key=len, reverse=True):
            subprocess.run(["umount", *(["--lazy"] if lazy else []), point], capture_output=True, check=False)
    left = _mounted_under(root)
    if left:
        raise RuntimeError(f"still mounted under {root}, not deleted: {', '.join(left)}")


@dataclass(frozen=True)
class Storage:
    """A private containers storage and the buildah/podman commands bound to it."""

    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "storage.conf"

    @property
    def runroot(self) -> Path:
        """Short, and one per storage: podman refuses a runroot longer than 50 characters,
        which a path under an xdist worker's temporary folder is."""
        return Path("/tmp") / f"pipeline-run-{hashlib.sha256(str(self.root).encode()).hexdigest()[:12]}"

    def create(self) -> Storage:
        """Write the storage.conf (and an empty credentials file) that `env` names."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            f'[storage]\ndriver = "{storage_driver()}"\nrunroot = "{self.runroot}"\n'
            f'graphroot = "{self.root / "storage"}"\n',
            encoding="utf-8",
        )
        # podman keeps its own state in a tmp dir, /run/libpod unless told otherwise, shared by
        # every storage on the machine: a second storage's podman then stops with exit 125
        # ("database configuration mismatch"), as two xdist workers did in CI. One per storage.
        (self.root / "containers.conf").write_text(
            f'[engine]\ntmp_dir = "{self.root / "libpod"}"\n', encoding="utf-8"
        )
        # No credentials until a login writes some (the tools refuse a missing file).
        (self.root / "auth.json").write_text('{"auths": {}}\n', encoding="utf-8")
        return self

    @property
    def flags(self) -> list[str]:
        return [
            "--root",
            str(self.root / "storage"),
            "--runroot",
            str(self.runroot),
            "--storage-driver",
            storage_driver(),
        ]

    def remove(self) -> None:
        """Delete the storage and its runroot: containers first, then any mount left, then files."""
        if self.root.exists():
            self.buildah("rm", "--all", check=False)
            _unmount_under(self.root)
            shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.runroot, ignore_errors=True)

    @property
    def env(self) -> dict[str, str]:
        """What points buildah, podman and skopeo run by others (the rehearsal's stand-ins) here."""
        return {
            "CONTAINERS_STORAGE_CONF": str(self.conf),
            "CONTAINERS_CONF": str(self.root / "containers.conf"),
            "REGISTRY_AUTH_FILE": str(self.root / "auth.json"),
        }

    def process_env(self) -> dict[str, str]:
        # No user or system storage.conf may redirect the storage; a private TMPDIR for layers.
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        return {**os.environ, **self.env, "TMPDIR": str(self.root / "tmp"), "BUILDAH_ISOLATION": "chroot"}

    def buildah(
        self,
        *args: str | Path,
        cwd: Path | None = None,
        check: bool = True,
        on_line: Callable[[str], None] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """buildah on this storage; `on_line` sees each line of its output (stderr merged) as it comes."""
        command = ["buildah", *self.flags, *map(str, args)]
        if on_line is None:
            done = subprocess.run(
                command,
                cwd=cwd,
                env=self.process_env(),
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
        else:
            lines = []
            with subprocess.Popen(
                command,
                cwd=cwd,
                env=self.process_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ) as process:
                assert process.stdout is not None
                for line in process.stdout:
                    on_line(line.rstrip("\n"))
                    lines.append(line)
                process.wait(timeout=TIMEOUT)
            done = subprocess.CompletedProcess(command, process.returncode, "".join(lines), "")
        if check:
            succeeded(done, "buildah", *args)
        return done

    def tool(self, program: str, *args: str | Path, flags: bool = True) -> subprocess.CompletedProcess[str]:
        """`program` (podman, skopeo) on this storage, its own `--root` flags unless `flags` is
        false (skopeo reads the storage from the environment); a failure raises with its output."""
        done = subprocess.run(
            [program, *(self.flags if flags else []), *map(str, args)],
            env=self.process_env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        return succeeded(done, program, *args)

    def podman(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return self.tool("podman", *args)

    def has_image(self, name: str) -> bool:
        return self.buildah("inspect", "--type", "image", name, check=False).returncode == 0

    def import_stand_in(self, tarball: Path) -> str:
        # One import at a time on the machine, not per storage: two xdist workers importing at
        # once (the image tests and the image rehearsal) failed with podman's exit 125 in CI.
        with _locked(tarball.parent / "import.lock"):
            for attempt in range(3):
                if self.has_image(STAND_IN_IMAGE):
                    break
                try:
                    self.podman(
                        "import",
                        "--change",
                        'CMD ["python3"]',
                        # One ENV a --change: podman import takes the rest of the line as one value.
                        *(change for variable in IMAGE_ENV for change in ("--change", f"ENV {variable}")),
                        "--message",
                        STAND_IN_MESSAGE,
                        tarball,
                        STAND_IN_IMAGE,
                    )
                except AssertionError:
                    # podman and buildah share the machine's blob-info cache with the other
                    # worker's build; a third failure is reported as it is, with its stderr.
                    if attempt == 2:
                        raise
                    time.sleep(5)
        return STAND_IN_IMAGE

    def build(
        self,
        context: Path,
        tag: str,
        base: str,
        build_args: Mapping[str, str] | None = None,
        extra: Sequence[str] = (),
        check: bool = True,
        on_line: Callable[[str], None] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`buildah bud` of context/Dockerfile as it is, its first FROM replaced by `base`."""
        arguments = [f"--build-arg={key}={value}" for key, value in (build_args or {}).items()]
        return self.buildah(
            "bud",
            "--isolation",
            "chroot",
            "--layers",
            "--from",
            base,
            *arguments,
            *extra,
            "--tag",
            tag,
            "--file",
            context / "Dockerfile",
            context,
            cwd=context,
            check=check,
            on_line=on_line,
        )

    def labels(self, image: str) -> dict[str, str]:
        shown = self.buildah("inspect", "--type", "image", image).stdout
        return json.loads(shown)["OCIv1"]["config"].get("Labels") or {}

    def config(self, image: str) -> dict[str, object]:
        return json.loads(self.buildah("inspect", "--type", "image", image).stdout)["OCIv1"]["config"]

    def size(self, image: str) -> int:
        """Bytes of the image's layers, uncompressed (what `podman images` shows)."""
        shown = self.podman("image", "inspect", "--format", "{{.Size}}", image).stdout
        return int(shown.strip())

    @contextlib.contextmanager
    def container(self, image: str) -> Iterator[str]:
        name = self.buildah("from", "--pull-never", image).stdout.strip().splitlines()[-1]
        try:
            yield name
        finally:
            self.buildah("rm", name, check=False)

    def run(
        self, container: str, *command: str, volumes: Sequence[str] = (), workdir: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A command inside a working container, as the image's user (`podman run` fails here)."""
        options = ["--isolation", "chroot"]
        for volume in volumes:
            options += ["--volume", volume]
        if workdir:
            options += ["--workingdir", workdir]
        return self.buildah("run", *options, container, "--", *command, check=False)


def private_storage(root: Path, cache: Path) -> tuple[Storage, str]:
    """A private storage under root holding the stand-in base; the base's name.

    Skips (fails under PIPELINE_TESTS_REQUIRE_ALL) without buildah, podman, debootstrap or root.
    """
    need_machine()
    storage = Storage(root).create()
    return storage, storage.import_stand_in(stand_in_tarball(cache))


@contextlib.contextmanager
def temporary_storage(root: Path, cache: Path) -> Iterator[tuple[Storage, str]]:
    """`private_storage(root, cache)`, removed when the block ends (a module's fixture)."""
    storage, base = private_storage(root, cache)
    try:
        yield storage, base
    finally:
        storage.remove()


@contextlib.contextmanager
def shared_storage(root: Path, cache: Path) -> Iterator[tuple[Storage, str]]:
    """`private_storage(root, cache)` for several xdist workers at once, so their builds share
    layers; the last worker to leave removes it (one that comes later makes it again)."""
    users = root.with_name(f"{root.name}.users")
    lock = root.with_name(f"{root.name}.lock")
    with _locked(lock):
        users.write_text(str((int(users.read_text()) if users.exists() else 0) + 1))
    try:
        yield private_storage(root, cache)
    finally:
        with _locked(lock):
            left = int(users.read_text()) - 1
            users.write_text(str(left))
            if left == 0:
                Storage(root).remove()


def cache_dir() -> Path:
    """Where the stand-in's tarball is kept: PIPELINE_TEMPLATE_CACHE/containers when that is set
    (CI may keep it across runs), else ~/.cache/pipeline-template/containers (XDG_CACHE_HOME)."""
    configured = os.environ.get("PIPELINE_TEMPLATE_CACHE")
    if configured:
        path = Path(configured).resolve() / "containers"
    else:
        path = (
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
            / "pipeline-template"
            / "containers"
        )
    path.mkdir(parents=True, exist_ok=True)
    return path
