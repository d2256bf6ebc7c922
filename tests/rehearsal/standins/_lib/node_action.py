"""What the node-based stand-ins share: failing as an action does, and reading INPUT_* strictly.

act hands a node action every `with:` key as an INPUT_* variable (a composite action only sees
the inputs it declares), so a node stand-in can refuse a key the real action does not have.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import NoReturn


def fail(title: str, message: str) -> NoReturn:
    print(f"::error title={title}::{message}", flush=True)
    sys.exit(1)


def declared_inputs(action_dir: Path) -> set[str]:
    """Top-level keys of action.yml's `inputs:` block (the stand-ins' own layout, two-space indent)."""
    names: set[str] = set()
    inside = False
    for line in (action_dir / "action.yml").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            inside = line.rstrip() == "inputs:"
            continue
        if inside and (match := re.fullmatch(r"  ([A-Za-z0-9_-]+):\s*", line)):
            names.add(match[1])
    return names


def env_key(name: str) -> str:
    return "INPUT_" + name.replace(" ", "_").upper()


def read_inputs(action_dir: Path, action: str, title: str) -> dict[str, str]:
    """Every declared input's value; fails on any INPUT_* the action does not declare."""
    declared = declared_inputs(action_dir)
    known = {env_key(name) for name in declared}
    unknown = sorted(key for key in os.environ if key.startswith("INPUT_") and key not in known)
    if unknown:
        names = ", ".join(key.removeprefix("INPUT_").lower() for key in unknown)
        fail(title, f"unexpected input(s) {names}; {action} has: {', '.join(sorted(declared))}")
    return {name: os.environ.get(env_key(name), "") for name in declared}


def append_record(file_name: str, record: dict[str, object]) -> None:
    """Add one JSON line to $REHEARSAL_RECORDS/file_name, where the tests read it."""
    folder = Path(os.environ["REHEARSAL_RECORDS"])
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / file_name).open("a", encoding="utf-8") as sink:
        sink.write(json.dumps(record) + "\n")


def set_outputs(**values: str) -> None:
    """Write the step's outputs, as an action does through $GITHUB_OUTPUT."""
    if output := os.environ.get("GITHUB_OUTPUT"):
        with Path(output).open("a", encoding="utf-8") as sink:
            sink.writelines(f"{name}={value}\n" for name, value in values.items())
