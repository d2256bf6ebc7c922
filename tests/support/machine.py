"""What this machine has: the one place that decides whether a test can run here.

The README asks for Python 3.11+ and git; everything the dev environment installs (`uv sync`:
act, shellcheck, pypiserver, zizmor...) is always there. Some tests need more: other CPython
lines, Node.js for act's node stand-ins, npm for GitHub's OpenAPI description, buildah, podman
and debootstrap for the container image. Tests ask for
those through `need_python` and `need_tool`. When one is missing the test is skipped with a
reason naming what is missing, what needs it and how to get it, so a newcomer's run ends with
passes and named skips, never failures.

With PIPELINE_TESTS_REQUIRE_ALL=1 (exported by .ci/run) a missing requirement fails the test
instead: the CI machine has everything, and must never skip silently.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from typing import NoReturn

import pytest

from support.pythons import find_python

REQUIRE_ALL = "PIPELINE_TESTS_REQUIRE_ALL"
# The CPython lines some test asks for by version: the project tier's default bake on each, and
# 3.13 for the baked quality.yml and build.yml (their default), so every ci.yml rehearsal.
SUITE_PYTHONS = ("3.11", "3.12", "3.13")


@dataclass(frozen=True)
class Tool:
    """An executable some tests need beyond the README's Python and git."""

    command: str
    adds: str  # what it enables: the README's table says the same
    install: str


TOOLS = {
    "node": Tool(
        "node",
        "act's node stand-ins (the attestation and PyPI-publish actions), so the release rehearsals",
        "install Node.js (Debian: apt-get install nodejs)",
    ),
    "npm": Tool(
        "npm",
        "GitHub's OpenAPI description (npm @octokit/openapi), which the repository-setup tests and "
        "the policy-data checks validate request bodies against",
        "install npm (Debian: apt-get install npm); the next session installs the description with it",
    ),
    "buildah": Tool(
        "buildah",
        "building the baked Dockerfile for real on a stand-in base (the container image tests)",
        "install buildah (Debian: apt-get install buildah)",
    ),
    "podman": Tool(
        "podman",
        "importing the container image tests' stand-in base and reading image sizes",
        "install podman (Debian: apt-get install podman)",
    ),
    "debootstrap": Tool(
        "debootstrap",
        "the container image tests' stand-in base (Debian minbase with Debian's CPython)",
        "install debootstrap (Debian: apt-get install debootstrap)",
    ),
    "skopeo": Tool(
        "skopeo",
        "the image rehearsal's pushes between tags and its pull of the released image by digest",
        "install skopeo (Debian: apt-get install skopeo)",
    ),
    "docker-registry": Tool(
        "docker-registry",
        "the image rehearsal's local registry standing in for ghcr.io",
        "install Debian's docker-registry (apt-get install docker-registry), the CNCF distribution registry",
    ),
    "sshd": Tool(
        "sshd",
        "the deployment tests' host stand-in: OpenSSH's server with the deploy key's forced command",
        "install OpenSSH's server (Debian: apt-get install openssh-server; sshd is in /usr/sbin)",
    ),
    "chromium": Tool(
        "chromium",
        "the browser test of the baked documentation site (Playwright drives this browser)",
        "install Chromium (Debian: apt-get install chromium)",
    ),
}


def require_all() -> bool:
    return os.environ.get(REQUIRE_ALL, "") not in {"", "0"}


def missing(what: str, needed_for: str, how: str) -> NoReturn:
    """Skip the running test (fail it under PIPELINE_TESTS_REQUIRE_ALL) for a missing requirement."""
    reason = f"needs {what} for {needed_for}: {how}"
    if require_all():
        pytest.fail(f"{reason} ({REQUIRE_ALL} is set, so a missing requirement fails)", pytrace=False)
    pytest.skip(reason)


def python_hint(version: str) -> str:
    return (
        f"not found as python{version} on PATH, in ~/.pyenv/versions/{version}.* or among uv's "
        f"managed Pythons; install it (`uv python install {version}` or `pyenv install {version}`)"
    )


def need_python(version: str, needed_for: str) -> str:
    """Path of a local CPython `version`, or skip (fail under REQUIRE_ALL) naming it."""
    if found := find_python(version):
        return found
    missing(f"Python {version}", needed_for, python_hint(version))


def need_tool(name: str, needed_for: str | None = None) -> str:
    """Path of a tool from TOOLS on PATH, or skip (fail under REQUIRE_ALL) naming it."""
    tool = TOOLS[name]
    if found := shutil.which(tool.command):
        return found
    missing(tool.command, needed_for or tool.adds, f"not on PATH; {tool.install}")


def inventory() -> list[tuple[str, str | None]]:
    """(requirement, where it was found or None) for everything above, Pythons first."""
    found: list[tuple[str, str | None]] = [(f"Python {v}", find_python(v)) for v in SUITE_PYTHONS]
    found += [(tool.command, shutil.which(tool.command)) for tool in TOOLS.values()]
    return found


def main() -> int:
    """Print what this machine has for the suite; exit 1 if something is missing under REQUIRE_ALL."""
    absent = []
    for requirement, where in inventory():
        print(f"{requirement:12} {where or 'missing: the tests that need it skip'}")
        if where is None:
            absent.append(requirement)
    if absent and require_all():
        print(f"{REQUIRE_ALL} is set and this machine lacks: {', '.join(absent)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
