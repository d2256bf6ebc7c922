"""Find local CPython interpreters; uv must never download one here."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path


@cache
def find_python(version: str) -> str | None:
    """Path of a working `python<version>`: pyenv's versions, PATH, then uv's managed Pythons; or None."""
    candidates = [
        str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    ]
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    if managed := uv_managed_python(version):
        candidates.append(managed)
    for candidate in candidates:
        # pyenv shims exist for every version but fail for those not selected: ask the interpreter itself.
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def uv_managed_python(version: str) -> str | None:
    """A Python that `uv python install <version>` put in uv's own directory, never a download."""
    uv = shutil.which("uv")
    if uv is None:
        return None
    found = subprocess.run(
        [uv, "python", "find", "--managed-python", "--no-project", "--no-config", version],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    if found.returncode != 0:
        return None
    return found.stdout.strip() or None
