"""The container stand-ins: docker/* actions, Trivy and SARIF upload, done for real where this
machine can (run by the rehearsal's act, never by users). Standard library only.

    python container_actions.py KIND [ACTION_DIR]

Node stand-ins (the docker/* actions are node actions) pass their folder: their inputs come as
INPUT_* and an undeclared one fails, as `node_action.read_inputs` does. Composite ones (Trivy,
upload-sarif) pass none: their inputs come as STANDIN_INPUTS, as in standin.py.

What each does here, and what it cannot (its output says the same):

- setup-qemu, setup-buildx: record the call. No QEMU emulation and no BuildKit builder exist
  here: build-push builds the host platform only, with buildah.
- login: checks registry, username and password are non-empty, maps the registry to the local
  one (REHEARSAL_REGISTRY_MAP, e.g. {"ghcr.io": "127.0.0.1:5000"}) and logs podman into it
  (REGISTRY_AUTH_FILE); the record holds no password.
- metadata: the subset of the action's tag grammar release.yml uses (see `TAG_TYPES`),
  anything else fails loudly; outputs tags, labels, annotations, json, version.
- build-push: buildah bud of the context's Dockerfile with the first FROM replaced by the
  stand-in base (REHEARSAL_BASE_IMAGE), build args and labels; `load` keeps it in local storage
  (where tests/rehearsal/bin/docker finds it), `push` pushes each tag to the mapped registry and
  outputs the manifest digest. No SBOM or provenance attestations (BuildKit's) are produced.
- trivy: checks the image exists, writes an empty SARIF 2.1.0 when asked: no vulnerability
  database is reachable here, so nothing is scanned.
- upload-sarif: validates the SARIF files (JSON, version 2.1.0) and records them: nothing is
  uploaded to code scanning.

Every call is appended to $REHEARSAL_RECORDS/<owner>__<repo>.jsonl.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent))

import node_action
import standin

HOST_PLATFORM = "linux/amd64"
NOT_HERE_ARM = "arm64 is not built here: no QEMU emulation on this machine, only the host platform"
NOT_HERE_ATTESTATIONS = (
    "BuildKit attestations (SBOM, provenance) are not produced here: buildah builds the image"
)


class Failed(Exception):
    pass


def fail(message: str) -> NoReturn:
    raise Failed(message)


def say(message: str) -> None:
    print(f"stand-in: {message}", flush=True)


def run(*command: str, cwd: Path | None = None, quiet: bool = False) -> str:
    if not quiet:
        say("$ " + " ".join(command))
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        fail(f"{' '.join(command)} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def need_env(name: str, why: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        fail(f"the rehearsal must set {name} ({why})")
    return value


def registry_map() -> dict[str, str]:
    return json.loads(os.environ.get("REHEARSAL_REGISTRY_MAP") or "{}")


def split_reference(reference: str) -> tuple[str, str]:
    """(registry host, rest) of a fully qualified image reference."""
    host, _, rest = reference.partition("/")
    if not rest or ("." not in host and ":" not in host and host != "localhost"):
        fail(f"{reference!r} names no registry (Docker Hub is not rehearsed)")
    return host, rest


def mapped(reference: str) -> str:
    """`reference` with its registry replaced by the local one standing in for it."""
    host, rest = split_reference(reference)
    local = registry_map().get(host)
    if not local:
        fail(f"no local registry stands in for {host} (REHEARSAL_REGISTRY_MAP: {registry_map()})")
    if rest != rest.lower():
        fail(f"{reference}: repository names must be lowercase")
    return f"{local}/{rest}"


def auth_file() -> Path:
    return Path(need_env("REGISTRY_AUTH_FILE", "podman's credentials for the local registry"))


def logged_in(local: str) -> bool:
    path = auth_file()
    return path.is_file() and local in (
        json.loads(path.read_text(encoding="utf-8") or "{}").get("auths") or {}
    )


def image_exists(reference: str) -> bool:
    done = subprocess.run(
        ["buildah", "inspect", "--type", "image", reference], capture_output=True, text=True, check=False
    )
    return done.returncode == 0


# ----------------------------------------------------------------------------- setup actions


def setup_qemu(args: dict[str, str]) -> dict[str, Any]:
    say(f"records only: QEMU binfmt handlers are not installed ({NOT_HERE_ARM})")
    standin.set_output(platforms=HOST_PLATFORM)
    return {"platforms": args.get("platforms", ""), "image": args.get("image", "")}


def setup_buildx(args: dict[str, str]) -> dict[str, Any]:
    say("records only: no BuildKit builder here; the build-push stand-in builds with buildah")
    say(NOT_HERE_ARM)
    standin.set_output(
        name="rehearsal-buildah", driver="buildah", platforms=HOST_PLATFORM, nodes="[]", endpoint="", flags=""
    )
    return {"driver": args.get("driver", ""), "platforms": args.get("platforms", "")}


# ----------------------------------------------------------------------------- login


def login(args: dict[str, str]) -> dict[str, Any]:
    registry = args.get("registry", "")
    if not registry:
        fail("registry is empty: Docker Hub is not rehearsed (the workflow should name ghcr.io)")
    for name in ("username", "password"):
        if not args.get(name):
            fail(f"{name} is empty: the real action stops with 'Username and password required'")
    local = mapped(f"{registry}/x").split("/", 1)[0]
    auth = auth_file()
    auth.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            "podman",
            "login",
            "--tls-verify=false",
            "--authfile",
            str(auth),
            "--username",
            args["username"],
            "--password-stdin",
            local,
        ],
        input=args["password"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        fail(f"podman login to {local} (standing in for {registry}) failed:\n{done.stdout}{done.stderr}")
    say(f"logged in to {local}, standing in for {registry} (it takes any credentials)")
    return {"registry": registry, "local": local, "username": args["username"], "password_set": True}


# ----------------------------------------------------------------------------- metadata

_SEMVER = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-?(?P<pre>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?$"
)
# What release.yml uses of the action's grammar; anything else fails loudly.
TAG_TYPES = ("semver", "match", "raw", "sha", "ref")
PRIORITY = {"semver": 900, "match": 800, "ref": 600, "raw": 200, "sha": 100}


def _attributes(line: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in re.split(r",(?![^{]*\}\})", line):
        key, equals, value = part.strip().partition("=")
        if not equals:
            fail(f"tags line {line!r}: {part!r} is not key=value")
        found[key.strip()] = value.strip()
    return found


def _flavor(text: str) -> dict[str, str]:
    flavor = {"latest": "auto", "prefix": "", "suffix": ""}
    for line in standin.lines_of(text):
        key, _, value = line.partition("=")
        if key not in flavor:
            fail(f"flavor {key!r} is not rehearsed (known: latest, prefix, suffix)")
        flavor[key] = value
    return flavor


def _semver_tags(pattern: str, value: str) -> tuple[list[str], bool]:
    """Tags for one semver pattern, and whether the version is a final release."""
    match = _SEMVER.match(value)
    if not match:
        fail(f"{value!r} is not a semantic version: the real action skips the rule, the rehearsal stops")
    parts = match.groupdict()
    pre = parts["pre"]
    version = f"{parts['major']}.{parts['minor']}.{parts['patch']}" + (f"-{pre}" if pre else "")
    if pre and pattern != "{{version}}":
        return [], False  # pre-releases only get {{version}}, as the action documents
    tag = pattern.replace("{{version}}", version)
    for key in ("major", "minor", "patch"):
        tag = tag.replace("{{" + key + "}}", parts[key])
    if "{{" in tag:
        fail(f"semver pattern {pattern!r} is not rehearsed")
    return [tag], not pre


def metadata(args: dict[str, str]) -> dict[str, Any]:
    images = standin.lines_of(args.get("images", ""))
    if not images:
        fail("images is empty: the rehearsal only covers image tags")
    for image in images:
        if "=" in image or image != image.lower():
            fail(f"images line {image!r}: only plain lowercase names are rehearsed")
    flavor = _flavor(args.get("flavor", ""))
    ref = os.environ.get("GITHUB_REF", "")
    sha = os.environ.get("GITHUB_SHA", "")
    event = os.environ.get("GITHUB_EVENT_NAME", "")
    found: list[tuple[int, str]] = []
    final_semver = False
    rules = [line for line in args.get("tags", "").splitlines() if line.strip()] or [
        "type=ref,event=branch",
        "type=ref,event=tag",
        "type=ref,event=pr",
    ]
    for line in rules:
        rule = _attributes(line)
        kind = rule.pop("type", "raw")
        if kind not in TAG_TYPES:
            fail(f"tags type {kind!r} is not rehearsed (rehearsed: {', '.join(TAG_TYPES)})")
        enable = rule.pop("enable", "true")
        priority = int(rule.pop("priority", PRIORITY[kind]))
        prefix, suffix = rule.pop("prefix", flavor["prefix"]), rule.pop("suffix", flavor["suffix"])
        if enable != "true":
            continue
        values: list[str] = []
        if kind == "semver":
            value = rule.pop("value", "") or (
                ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else ""
            )
            pattern = rule.pop("pattern", "{{version}}")
            if value:
                values, final = _semver_tags(pattern, value)
                final_semver = final_semver or final
        elif kind == "match":
            # The regular expression's group (default 0) of the value, when it matches.
            value = rule.pop("value", "") or ref.removeprefix("refs/tags/")
            group = int(rule.pop("group", "0"))
            found_match = re.search(rule.pop("pattern"), value)
            values = [found_match.group(group)] if found_match and found_match.group(group) else []
        elif kind == "raw":
            values = [rule.pop("value")]
        elif kind == "sha":
            length = 40 if rule.pop("format", "short") == "long" else 7
            prefix = prefix or "sha-"
            values = [sha[:length]]
        elif kind == "ref":
            on = rule.pop("event")
            if on == "tag" and ref.startswith("refs/tags/"):
                values = [ref.removeprefix("refs/tags/")]
            elif on == "branch" and ref.startswith("refs/heads/"):
                values = [re.sub(r"[^a-zA-Z0-9._-]+", "-", ref.removeprefix("refs/heads/"))]
            elif on == "pr" and event.startswith("pull_request"):
                number = json.loads(Path(os.environ["GITHUB_EVENT_PATH"]).read_text())["number"]
                values, prefix = [str(number)], prefix or "pr-"
        if rule:
            fail(f"tags line {line!r}: attribute(s) {sorted(rule)} are not rehearsed")
        found += [(priority, f"{prefix}{value}{suffix}") for value in values]
    if flavor["latest"] == "true" or (flavor["latest"] == "auto" and final_semver):
        found.append((-1, "latest"))
    ordered = list(dict.fromkeys(tag for _, tag in sorted(found, key=lambda item: -item[0])))
    version = next((tag for tag in ordered if tag != "latest"), "")
    tags = [f"{image}:{tag}" for image in images for tag in ordered]
    payload = json.loads(Path(os.environ["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    repository = payload.get("repository") or {}
    labels = {
        "org.opencontainers.image.title": repository.get("name", ""),
        "org.opencontainers.image.description": repository.get("description") or "",
        "org.opencontainers.image.url": repository.get("html_url", ""),
        "org.opencontainers.image.source": repository.get("html_url", ""),
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "org.opencontainers.image.revision": sha,
        "org.opencontainers.image.licenses": ((repository.get("license") or {}).get("spdx_id")) or "",
    }
    for line in args.get("labels", "").splitlines():
        if line.strip():
            key, _, value = line.partition("=")
            labels[key.strip()] = value.strip()
    annotations = [f"manifest:{key}={value}" for key, value in labels.items()]
    label_lines = [f"{key}={value}" for key, value in labels.items()]
    standin.set_output(
        version=version,
        tags="\n".join(tags),
        labels="\n".join(label_lines),
        annotations="\n".join(annotations),
        json=json.dumps({"tags": tags, "labels": labels, "annotations": annotations}),
    )
    say(f"tags: {', '.join(tags) or '(none)'}")
    return {"images": images, "tags": tags, "version": version}


# ----------------------------------------------------------------------------- build-push


def _context(args: dict[str, str]) -> Path:
    workspace = Path(os.environ.get("GITHUB_WORKSPACE", "."))
    if args.get("context"):
        return (workspace / args["context"]).resolve()
    # The action's default is the Git context: the commit, fetched from the repository.
    folder = Path(tempfile.mkdtemp(prefix="git-context-"))
    source = need_env("REHEARSAL_REPOSITORY_DIR", "the repository a Git context is fetched from")
    run("git", "-C", str(folder), "init", "--quiet", quiet=True)
    run(
        "git",
        "-C",
        str(folder),
        "fetch",
        "--quiet",
        "--depth=1",
        source,
        os.environ["GITHUB_SHA"],
        quiet=True,
    )
    run("git", "-C", str(folder), "checkout", "--quiet", "FETCH_HEAD", quiet=True)
    say(f"context: the Git context of {os.environ['GITHUB_SHA']} (the action's default)")
    return folder


def _pairs(text: str, what: str) -> list[str]:
    found = []
    for line in text.splitlines():
        if line.strip():
            if "=" not in line:
                fail(f"{what} line {line!r} is not KEY=VALUE")
            found.append(line.strip())
    return found


def build_push(args: dict[str, str]) -> dict[str, Any]:
    for name in ("outputs", "secrets", "secret-envs", "secret-files", "ssh", "call", "build-contexts"):
        if args.get(name):
            fail(f"input {name} is not rehearsed")
    push, load = standin.truthy(args.get("push", "false")), standin.truthy(args.get("load", "false"))
    base = need_env("REHEARSAL_BASE_IMAGE", "the local stand-in for the Dockerfile's base image")
    need_env("CONTAINERS_STORAGE_CONF", "the rehearsal's private container storage")
    context = _context(args)
    # The action's `file` is relative to the working directory; its default is {context}/Dockerfile.
    workspace = Path(os.environ.get("GITHUB_WORKSPACE", "."))
    dockerfile = workspace / args["file"] if args.get("file") else context / "Dockerfile"
    platforms = standin.lines_of(args.get("platforms", ""))
    not_built = [p for p in platforms if p != HOST_PLATFORM]
    if not_built:
        say(f"{', '.join(not_built)} not built: {NOT_HERE_ARM} ({HOST_PLATFORM})")
    attestations = {
        name: args.get(name, "") for name in ("sbom", "provenance", "attests") if args.get(name, "")
    }
    if attestations:
        say(f"{NOT_HERE_ATTESTATIONS} (asked: {attestations})")
    tags = standin.lines_of(args.get("tags", ""))
    iid = Path(tempfile.mkdtemp(prefix="build-")) / "iid"
    command = [
        "buildah",
        "bud",
        "--isolation",
        "chroot",
        "--layers",
        "--pull=never",
        "--from",
        base,
        "--file",
        str(dockerfile),
        "--iidfile",
        str(iid),
    ]
    for arg in _pairs(args.get("build-args", ""), "build-args"):
        command += ["--build-arg", arg]
    for label in _pairs(args.get("labels", ""), "labels"):
        command += ["--label", label]
    if args.get("target"):
        command += ["--target", args["target"]]
    if standin.truthy(args.get("no-cache", "false")):
        command += ["--no-cache"]
    for tag in tags:
        command += ["--tag", tag]
    say(
        f"building {dockerfile.relative_to(context) if dockerfile.is_relative_to(context) else dockerfile} "
        f"for {HOST_PLATFORM} with the first FROM replaced by the stand-in base {base}"
    )
    done = subprocess.run([*command, str(context)], text=True, check=False)
    if done.returncode != 0:
        fail(f"buildah bud failed (exit {done.returncode})")
    image_id = iid.read_text(encoding="utf-8").strip()
    image_id = image_id if image_id.startswith("sha256:") else f"sha256:{image_id}"
    digest = ""
    pushed: list[dict[str, str]] = []
    if push:
        if not tags:
            fail("push: true without tags")
        first = mapped(tags[0])
        if not logged_in(first.split("/", 1)[0]):
            fail(f"denied: not logged in to {split_reference(tags[0])[0]} (no docker/login-action step ran)")
        digest_file = iid.with_name("digest")
        run(
            "buildah",
            "push",
            "--tls-verify=false",
            "--authfile",
            str(auth_file()),
            "--digestfile",
            str(digest_file),
            image_id,
            f"docker://{first}",
        )
        digest = digest_file.read_text(encoding="utf-8").strip()
        name = first.rsplit(":", 1)[0]
        for tag in tags:
            local = mapped(tag)
            if local != first:
                run(
                    "skopeo",
                    "copy",
                    "--quiet",
                    "--src-tls-verify=false",
                    "--dest-tls-verify=false",
                    "--authfile",
                    str(auth_file()),
                    f"docker://{name}@{digest}",
                    f"docker://{local}",
                )
            pushed.append({"tag": tag, "local": local})
        for entry in pushed:
            found = run(
                "skopeo",
                "inspect",
                "--tls-verify=false",
                "--format",
                "{{.Digest}}",
                f"docker://{entry['local']}",
                quiet=True,
            )
            if found != digest:
                fail(f"{entry['local']} has digest {found}, not the pushed {digest}")
        say(
            f"pushed {digest} as {', '.join(tags)} (to the local registry standing in for "
            f"{split_reference(tags[0])[0]}); one platform, so a manifest, not an index"
        )
    if not load:
        for tag in tags:
            subprocess.run(["buildah", "rmi", tag], capture_output=True, check=False)
        say("load: false: the image is not left in local storage (as with a BuildKit builder)")
    standin.set_output(
        imageid=image_id,
        digest=digest or image_id,
        metadata=json.dumps({"containerimage.digest": digest or image_id, "image.name": ",".join(tags)}),
    )
    return {
        "context": str(context),
        "file": str(dockerfile),
        "tags": tags,
        "push": push,
        "load": load,
        "platforms": platforms,
        "not_built": not_built,
        "attestations_asked": attestations,
        "build_args": _pairs(args.get("build-args", ""), "build-args"),
        "imageid": image_id,
        "digest": digest,
        "pushed": pushed,
        "base": base,
    }


# ----------------------------------------------------------------------------- scanning

EMPTY_SARIF = {
    "version": "2.1.0",
    "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
    "runs": [
        {
            "tool": {
                "driver": {
                    "name": "Trivy",
                    "informationUri": "https://github.com/aquasecurity/trivy",
                    "rules": [],
                }
            },
            "results": [],
        }
    ],
}


def trivy(args: dict[str, str]) -> dict[str, Any]:
    kind = args.get("scan-type") or "image"
    if kind != "image":
        fail(f"scan-type {kind!r} is not rehearsed")
    reference = args.get("image-ref", "")
    if not reference:
        fail("image-ref is empty")
    where = "local storage"
    if not image_exists(reference):
        local = mapped(reference)
        done = subprocess.run(
            ["skopeo", "inspect", "--tls-verify=false", f"docker://{local}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            fail(f"image {reference} is neither in local storage nor in the registry: Trivy would fail")
        where = f"the local registry ({local})"
    say(f"found {reference} in {where}")
    say("no vulnerability database is reachable here: nothing is scanned, no finding is reported")
    output = args.get("output", "")
    if args.get("format") == "sarif":
        if not output:
            fail("format sarif without output")
        target = Path(os.environ.get("GITHUB_WORKSPACE", ".")) / output
        target.write_text(json.dumps(EMPTY_SARIF, indent=2), encoding="utf-8")
        say(f"wrote an empty SARIF 2.1.0 report to {output}")
    # exit-code applies to findings, and there are none.
    return {
        "image_ref": reference,
        "found_in": where,
        "format": args.get("format", ""),
        "output": output,
        "exit_code": args.get("exit-code", ""),
        "severity": args.get("severity", ""),
        "ignore_unfixed": args.get("ignore-unfixed", ""),
        "version": args.get("version", ""),
    }


def upload_sarif(args: dict[str, str]) -> dict[str, Any]:
    workspace = Path(os.environ.get("GITHUB_WORKSPACE", "."))
    given = workspace / (args.get("sarif_file") or "../results")
    files = sorted(given.rglob("*.sarif")) if given.is_dir() else [given]
    if not files or not all(path.is_file() for path in files):
        fail(f"no SARIF file at {args.get('sarif_file')!r}")
    for path in files:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            fail(f"{path.name} is not JSON: {error}")
        if document.get("version") != "2.1.0" or not isinstance(document.get("runs"), list):
            fail(f"{path.name} is not SARIF 2.1.0 (version {document.get('version')!r})")
    say("records only: the SARIF is valid; nothing is uploaded to code scanning")
    return {
        "sarif_files": [
            str(p.relative_to(workspace)) if p.is_relative_to(workspace) else str(p) for p in files
        ],
        "category": args.get("category", ""),
    }


KINDS = {
    "setup-qemu": ("docker/setup-qemu-action", setup_qemu),
    "setup-buildx": ("docker/setup-buildx-action", setup_buildx),
    "login": ("docker/login-action", login),
    "metadata": ("docker/metadata-action", metadata),
    "build-push": ("docker/build-push-action", build_push),
    "trivy": ("aquasecurity/trivy-action", trivy),
    "upload-sarif": ("github/codeql-action/upload-sarif", upload_sarif),
}


def main(argv: list[str]) -> int:
    kind, *rest = argv
    action, handler = KINDS[kind]
    args = node_action.read_inputs(Path(rest[0]), action, f"{action} stand-in") if rest else standin.inputs()
    try:
        data = handler(args)
    except Failed as error:
        return standin.fail(f"{action}: {error}")
    standin.record(action, {"kind": kind, **data})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
