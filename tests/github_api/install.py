"""Install GitHub's OpenAPI description (npm `@octokit/openapi`) next to this file.

The test session calls ensure_installed() once; CI may also run this file directly
(`python tests/github_api/install.py`) to fetch it before the tests. It does nothing
when the version pinned in package.json is already in node_modules/.

No lock file is written (--no-package-lock): it would record registry addresses and
pins nothing package.json does not already pin exactly.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "@octokit/openapi"
INSTALLED_PACKAGE_JSON = HERE / "node_modules" / PACKAGE / "package.json"
DESCRIPTION = HERE / "node_modules" / PACKAGE / "generated" / "api.github.com.deref.json"
NPM_TIMEOUT_SECONDS = 300


class OpenApiUnavailable(RuntimeError):
    """The description could not be installed; the message says what to do."""


def pinned_version() -> str:
    manifest = json.loads((HERE / "package.json").read_text(encoding="utf-8"))
    return str(manifest["dependencies"][PACKAGE])


def installed_version() -> str | None:
    if not INSTALLED_PACKAGE_JSON.is_file() or not DESCRIPTION.is_file():
        return None
    return str(json.loads(INSTALLED_PACKAGE_JSON.read_text(encoding="utf-8"))["version"])


def is_installed() -> bool:
    """The pinned version is in node_modules/, so npm is not needed."""
    return installed_version() == pinned_version()


def ensure_installed() -> Path:
    """Return the dereferenced api.github.com description, installing it if needed."""
    if is_installed():
        return DESCRIPTION
    npm = shutil.which("npm")
    if npm is None:
        raise OpenApiUnavailable(
            f"npm is not on PATH, so {PACKAGE} cannot be installed for the GitHub API "
            "stand-in: install Node.js with npm (Debian: apt-get install npm)"
        )
    # pytest-xdist workers start together; one installs while the others wait.
    key = hashlib.sha256(str(HERE).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"github-api-openapi-{key}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_version() != pinned_version():
            run_npm(npm)
    if installed_version() != pinned_version():
        raise OpenApiUnavailable(
            f"npm finished but {PACKAGE} {pinned_version()} is not in {HERE}/node_modules"
        )
    return DESCRIPTION


def run_npm(npm: str) -> None:
    command = [
        npm,
        "install",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        # The package is data; nothing in it has any business running at install.
        "--ignore-scripts",
    ]
    try:
        result = subprocess.run(
            command,
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise OpenApiUnavailable(f"npm install of {PACKAGE} took over {NPM_TIMEOUT_SECONDS} s") from error
    if result.returncode != 0:
        last_lines = " | ".join(result.stderr.strip().splitlines()[-5:])
        raise OpenApiUnavailable(f"npm install of {PACKAGE} failed ({result.returncode}): {last_lines}")


if __name__ == "__main__":
    try:
        print(ensure_installed())
    except OpenApiUnavailable as problem:
        sys.exit(f"install.py: error: {problem}")
