"""Plan the CI test matrix from pyproject.toml, where the Python range is written once.

Python versions come from the ``Programming Language :: Python :: 3.X`` classifiers;
operating systems, the changelog rule and notification channels from
``[tool.pipeline]``; whether coverage goes to Codecov from the presence of
``codecov.yml`` (add or remove that file to switch the upload). Pull requests get the
lean matrix (first operating system; oldest and newest Python) to keep them cheap;
every other event gets the full one. Results go to ``$GITHUB_OUTPUT`` (or stdout) as
JSON for ``fromJSON``.

Usage: python .github/scripts/ci_plan.py [--event NAME] [--pyproject PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import step_outputs

CLASSIFIER = re.compile(r"Programming Language :: Python :: (3)\.(\d+)")
LEAN_EVENTS = frozenset({"pull_request"})
CHANNELS = ("slack", "email")


class PlanError(Exception):
    """pyproject.toml cannot produce a matrix."""


def python_versions(project: dict[str, Any]) -> list[str]:
    found = sorted(
        {
            (int(m.group(1)), int(m.group(2)))
            for c in project.get("classifiers", [])
            if (m := CLASSIFIER.fullmatch(c))
        }
    )
    if not found:
        msg = "no 'Programming Language :: Python :: 3.X' classifiers in [project]"
        raise PlanError(msg)
    return [f"{major}.{minor}" for major, minor in found]


def plan(
    pyproject: dict[str, Any],
    event: str,
    *,
    codecov: bool = False,
    notify_workflow: bool = True,
) -> dict[str, Any]:
    pythons = python_versions(pyproject.get("project", {}))
    settings = pyproject.get("tool", {}).get("pipeline", {})
    systems = settings.get("test-os", ["ubuntu-latest"])
    if not systems or not all(isinstance(s, str) and s for s in systems):
        msg = f"[tool.pipeline] test-os must list runner labels, not {systems!r}"
        raise PlanError(msg)
    channels = settings.get("notify", [])
    if not isinstance(channels, list) or not set(channels) <= set(CHANNELS):
        msg = f"[tool.pipeline] notify takes channels from {CHANNELS}, not {channels!r}"
        raise PlanError(msg)
    if channels and not notify_workflow:
        msg = (
            f"[tool.pipeline] notify = {channels!r}, but the project has no "
            ".github/workflows/notify.yml (it was baked without notifications; "
            "switch them on with cruft update --variables-to-update)"
        )
        raise PlanError(msg)
    if event in LEAN_EVENTS:
        pythons = sorted({pythons[0], pythons[-1]}, key=pythons.index)
        systems = systems[:1]
    return {
        "python": pythons,
        "os": systems,
        "require-changelog": bool(settings.get("require-changelog", False)),
        "notify": channels,
        "codecov": codecov,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--event", default=os.environ.get("GITHUB_EVENT_NAME", "push"))
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    args = parser.parse_args(argv)
    try:
        pyproject = tomllib.loads(args.pyproject.read_text(encoding="utf-8"))
        root = args.pyproject.parent
        codecov = (root / "codecov.yml").is_file()
        notify_workflow = (root / ".github" / "workflows" / "notify.yml").is_file()
        outputs = plan(
            pyproject, args.event, codecov=codecov, notify_workflow=notify_workflow
        )
    except (OSError, tomllib.TOMLDecodeError, PlanError) as error:
        print(f"ci_plan: error: {args.pyproject}: {error}", file=sys.stderr)
        return 1
    step_outputs.write({key: json.dumps(value) for key, value in outputs.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
