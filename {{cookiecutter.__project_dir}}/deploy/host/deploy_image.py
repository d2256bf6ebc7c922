#!/usr/bin/env python3
"""The one program a deploy key may run on the host (docs/environments.md).

It is the key's forced command: sshd runs it for every connection made with the key,
whatever the client asked, and passes the client's request in SSH_ORIGINAL_COMMAND.
Two requests are accepted, nothing else:

    deploy ENVIRONMENT IMAGE@sha256:<64 hex digits>
        Pull that image (IMAGE is this repository's, below) and run it as ENVIRONMENT's
        service with Docker Compose; return once its health check passes. Deploying the
        image already running changes nothing.
    current ENVIRONMENT
        Print the image ENVIRONMENT runs (the last one deployed here), or nothing.

Each key's authorized_keys line runs this with --environment ENV: the one environment
that key may deploy, so a development key cannot touch production on a shared host.
ENVIRONMENT must have a settings file, CONFIG_DIR/ENVIRONMENT.env: the service's
settings (one NAME=value per line) and DEPLOY_PUBLISH, the host address and port the
service is published on (127.0.0.1:8000 by default, for a reverse proxy in front). Only
an image of this repository, named by digest, is ever run: a stolen key can redeploy
this project, no more.

Exit status: 0 done; 1 the deployment failed and the service may be in any state; 2
refused before anything changed (a request outside the grammar, an unknown environment,
a failed pull). Run it by hand with the request as arguments:

    deploy_image.py deploy staging IMAGE@sha256:...
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

IMAGE = "{{ cookiecutter.__image_name }}"
PROJECT = "{{ cookiecutter.project_slug }}"
REFERENCE = re.compile(re.escape(IMAGE) + r"@sha256:[0-9a-f]{64}")
ENVIRONMENT = re.compile(r"[a-z][a-z0-9-]{0,31}")
PROG = "deploy_image"


class RefusedError(Exception):
    """The request is refused before anything on the host changed (exit 2)."""


def parse_request(
    words: list[str], config_dir: Path, pinned: str
) -> tuple[str, str, str | None]:
    """(action, environment, image reference or None) from the client's request."""
    if not words:
        msg = "no request: expected 'deploy ENV IMAGE@sha256:...' or 'current ENV'"
        raise RefusedError(msg)
    action, arguments = words[0], words[1:]
    if action not in {"deploy", "current"}:
        msg = f"unknown request {action!r}: expected deploy or current"
        raise RefusedError(msg)
    expected = 2 if action == "deploy" else 1
    if len(arguments) != expected:
        msg = f"{action} takes {expected} argument(s), got {len(arguments)}"
        raise RefusedError(msg)
    environment = arguments[0]
    if not ENVIRONMENT.fullmatch(environment):
        msg = f"environment {environment!r} is not a name (a-z, 0-9, -)"
        raise RefusedError(msg)
    if environment != pinned:
        msg = f"this key deploys {pinned} only, not {environment!r}"
        raise RefusedError(msg)
    if not (config_dir / f"{environment}.env").is_file():
        msg = (
            f"environment {environment!r} has no {config_dir / (environment + '.env')}"
        )
        raise RefusedError(msg)
    published_address(config_dir / f"{environment}.env")
    reference = None
    if action == "deploy":
        reference = arguments[1]
        if not REFERENCE.fullmatch(reference):
            msg = (
                f"image {reference!r} refused: only {IMAGE}@sha256:<digest> is deployed"
            )
            raise RefusedError(msg)
    return action, environment, reference


def published_address(env_file: Path) -> str:
    """DEPLOY_PUBLISH from the settings file, checked: HOST:PORT or PORT."""
    value = "127.0.0.1:8000"
    for line in env_file.read_text(encoding="utf-8").splitlines():
        name, equals, rest = line.strip().partition("=")
        if equals and name == "DEPLOY_PUBLISH":
            value = rest.strip()
    # An address, not a bare port: that publishes on every interface, past a firewall.
    if not re.fullmatch(r"(?:[0-9.]+|\[[0-9a-f:]+\]):[0-9]{1,5}", value):
        msg = f"{env_file}: DEPLOY_PUBLISH={value!r} is not ADDRESS:PORT"
        raise RefusedError(msg)
    return value


def compose(
    environment: str, config_dir: Path, reference: str, *args: str
) -> subprocess.CompletedProcess[str]:
    env_file = config_dir / f"{environment}.env"
    variables = {
        **os.environ,
        "DEPLOY_IMAGE": reference,
        "DEPLOY_ENV_FILE": str(env_file),
        "DEPLOY_PUBLISH": published_address(env_file),
    }
    command = [
        "docker",
        "compose",
        "--project-name",
        f"{PROJECT}-{environment}",
        "--file",
        str(config_dir / "compose.yaml"),
        *args,
    ]
    # Compose's progress goes to stderr: stdout carries only what a request prints.
    return subprocess.run(  # noqa: S603 - checked arguments, no shell
        command, env=variables, check=False, stdout=sys.stderr
    )


def deploy(
    environment: str, reference: str, config_dir: Path, state_dir: Path, wait: int
) -> int:
    pulled = subprocess.run(  # noqa: S603 - a checked reference, no shell
        ["docker", "pull", "--quiet", reference],  # noqa: S607 - the host's docker
        check=False,
        stdout=sys.stderr,
    )
    if pulled.returncode != 0:
        print(
            f"{PROG}: refused: pulling {reference} failed; nothing changed",
            file=sys.stderr,
        )
        return 2
    started = compose(
        environment,
        config_dir,
        reference,
        "up",
        "--detach",
        "--wait",
        "--wait-timeout",
        str(wait),
        "--remove-orphans",
    )
    if started.returncode != 0:
        print(
            f"{PROG}: {environment}: {reference} did not become healthy",
            file=sys.stderr,
        )
        return 1
    state_dir.mkdir(parents=True, exist_ok=True)
    record = state_dir / f"{environment}.image"
    partial = record.with_suffix(".partial")
    partial.write_text(reference + "\n", encoding="utf-8")
    partial.replace(record)
    print(f"live_image={reference}")
    return 0


def current(environment: str, state_dir: Path) -> int:
    record = state_dir / f"{environment}.image"
    if record.is_file():
        print(record.read_text(encoding="utf-8").strip())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--config-dir", type=Path, default=Path("/etc") / PROJECT)
    parser.add_argument("--state-dir", type=Path, default=Path("/var/lib") / PROJECT)
    parser.add_argument(
        "--environment",
        required=True,
        help="the one environment this key may deploy (its authorized_keys line says)",
    )
    parser.add_argument("--wait-seconds", type=int, default=240)
    parser.add_argument(
        "request", nargs="*", help="when not run by sshd's forced command"
    )
    args = parser.parse_args(argv)
    original = os.environ.get("SSH_ORIGINAL_COMMAND")
    words = original.split() if original is not None else args.request
    try:
        action, environment, reference = parse_request(
            words, args.config_dir, args.environment
        )
    except (RefusedError, OSError) as refused:
        print(f"{PROG}: refused: {refused}", file=sys.stderr)
        return 2
    try:
        if action == "current" or reference is None:
            return current(environment, args.state_dir)
        return deploy(
            environment, reference, args.config_dir, args.state_dir, args.wait_seconds
        )
    except OSError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
