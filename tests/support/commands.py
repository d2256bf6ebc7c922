"""Running commands from tests: one place that captures output and fails readably."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest


def run(
    *command: str | Path,
    cwd: Path,
    env: Mapping[str, str],
    check: bool = True,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run a command with exactly `env`; with check, fail the test showing its output."""
    completed = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and completed.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} exited {completed.returncode} in {cwd}\n"
            f"--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}",
            pytrace=False,
        )
    return completed
