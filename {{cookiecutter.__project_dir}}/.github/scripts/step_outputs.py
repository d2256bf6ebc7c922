"""Step outputs for GitHub Actions, shared by the scripts in this folder.

``write`` appends ``key=value`` lines to the file $GITHUB_OUTPUT names (inside Actions)
and prints them, so a local run shows exactly what a workflow would receive.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def write(outputs: Mapping[str, str]) -> None:
    lines = [f"{key}={value}" for key, value in outputs.items()]
    if any("\n" in line for line in lines):
        # One line per output is the simple form; a newline would start a bogus output.
        msg = f"step outputs must be single lines: {dict(outputs)!r}"
        raise ValueError(msg)
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    print("\n".join(lines))
