"""pypa/gh-action-pypi-publish, rehearsed: twine upload to a local pypiserver (see action.yml)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NoReturn

HERE = Path(__file__).resolve().parent
# act runs a copy of this folder alone; the shared code is found where the rehearsal says.
sys.path.insert(0, str(Path(os.environ.get("REHEARSAL_STANDINS", HERE.parent)) / "_lib"))

import node_action  # noqa: E402

RECORD = "pypa__gh-action-pypi-publish.jsonl"


def fail(message: str) -> NoReturn:
    node_action.fail("pypi-publish stand-in", message)


def read_inputs() -> dict[str, str]:
    return node_action.read_inputs(HERE, "pypa/gh-action-pypi-publish", "pypi-publish stand-in")


def either(inputs: dict[str, str], canonical: str, alias: str) -> str:
    # The real action: the kebab-case input wins when set, else the deprecated alias (with its default).
    return inputs[canonical] or inputs[alias]


def truthy(value: str, name: str) -> bool:
    if value.lower() not in {"true", "false"}:
        fail(f"input {name} must be 'true' or 'false', got {value!r}")
    return value.lower() == "true"


def twine() -> list[str]:
    # The twine this Python has (REHEARSAL_PYTHON: the test environment's), else the
    # same version the workflows use, fetched by uv.
    if importlib.util.find_spec("twine") is not None:
        return [sys.executable, "-m", "twine"]
    return ["uv", "tool", "run", "twine==7.0.0"]


def already_held(local_url: str, name: str) -> bool:
    """Whether the local index serves `name` already (pypiserver: /packages/<file>)."""
    request = urllib.request.Request(urllib.parse.urljoin(local_url, f"packages/{name}"), method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=30):
            return True
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        fail(f"the local index answered {error.code} for {name}")


def main() -> int:
    inputs = read_inputs()
    repository_url = either(inputs, "repository-url", "repository_url")
    packages_dir = either(inputs, "packages-dir", "packages_dir").rstrip("/") or "dist"
    verify = truthy(either(inputs, "verify-metadata", "verify_metadata"), "verify-metadata")
    skip_existing = truthy(either(inputs, "skip-existing", "skip_existing"), "skip-existing")
    verbose = truthy(inputs["verbose"], "verbose")
    print_hash = truthy(either(inputs, "print-hash", "print_hash"), "print-hash")
    attestations = truthy(inputs["attestations"], "attestations")

    try:
        index_map = json.loads(os.environ["REHEARSAL_INDEX_MAP"])
        record_dir = Path(os.environ["REHEARSAL_RECORDS"])
    except (KeyError, json.JSONDecodeError) as error:
        fail(f"the rehearsal must set REHEARSAL_INDEX_MAP (JSON) and REHEARSAL_RECORDS: {error!r}")
    local_url = index_map.get(repository_url)
    if not local_url:
        fail(f"no local index stands in for {repository_url}; mapped: {sorted(index_map)}")

    workspace = Path(os.environ.get("GITHUB_WORKSPACE", "."))
    directory = workspace / packages_dir
    # As the real action's `twine upload <dir>/*`: every non-hidden file in the directory.
    files = (
        sorted(path for path in directory.glob("*") if path.is_file() and not path.name.startswith("."))
        if directory.is_dir()
        else []
    )
    if not files:
        fail(f"{packages_dir}/ holds no distributions to upload")
    digests = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}
    if print_hash:
        for name, digest in digests.items():
            print(f"{name} SHA256: {digest}")

    trusted = not inputs["password"]
    if trusted:
        # Trusted publishing: the real action swaps the job's OIDC token for an upload token.
        # pypiserver here takes any credentials (-a . -P .), so none are invented.
        print("Trusted publishing (no password given): the local index accepts the upload as is.")
    user, password = inputs["user"], inputs["password"] or "rehearsal-oidc"

    held: list[Path] = []
    if skip_existing:
        # twine honours --skip-existing for PyPI and TestPyPI only and refuses it for any other
        # index, so against the local index the stand-in does what PyPI's answer makes twine do:
        # a file the index already holds is skipped, with twine's message.
        held = [path for path in files if already_held(local_url, path.name)]
        for path in held:
            print(f"Skipping {path.name} because it appears to already exist (skip-existing, emulated)")
        files = [path for path in files if path not in held]
        if not files:
            print("Every file already exists on the index: nothing to upload.")

    if verify and files:
        check = subprocess.run([*twine(), "check", "--strict", *map(str, files)], check=False)
        if check.returncode != 0:
            fail("twine check found invalid metadata")
    command = [
        *twine(),
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        local_url,
        "-u",
        user,
        "-p",
        password,
        *(["--verbose"] if verbose else []),
        *map(str, files),
    ]
    if files:
        names = ", ".join(path.name for path in files)
        print(f"Uploading {names} to {repository_url} (rehearsal: {local_url})", flush=True)
        upload = subprocess.run(command, check=False)
        if upload.returncode != 0:
            fail(f"twine upload to {local_url} exited {upload.returncode}")

    record = {
        "job": os.environ.get("GITHUB_JOB", ""),
        "repository_url": repository_url,
        "local_url": local_url,
        "packages_dir": packages_dir,
        "trusted_publishing": trusted,
        "user": user,
        "attestations": attestations,
        "skip_existing": skip_existing,
        "skipped": [path.name for path in held],
        "files": [{"name": name, "sha256": digest} for name, digest in digests.items()],
    }
    record_dir.mkdir(parents=True, exist_ok=True)
    with (record_dir / RECORD).open("a", encoding="utf-8") as sink:
        sink.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
