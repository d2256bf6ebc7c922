"""What a bake's workflows ask of GitHub: the environments their jobs name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def environments_named_by_workflows(project: Path) -> dict[str, set[str]]:
    """Environment name -> the workflow files (names only) whose jobs name it.

    A reusable workflow whose job's environment is `${{ inputs.environment }}` (deploy.yml)
    names what its callers pass (under the caller's file name) and the choices of its own
    manual run (under its own)."""
    named: dict[str, set[str]] = {}
    workflows = {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for path in sorted((project / ".github" / "workflows").glob("*.yml"))
    }
    for name, workflow in workflows.items():
        for job in (workflow.get("jobs") or {}).values():
            environment = job.get("environment")
            if isinstance(environment, dict):
                environment = environment.get("name")
            if environment == INPUT_ENVIRONMENT:
                for caller, called in _callers(workflows, name):
                    named.setdefault(str(called["with"]["environment"]), set()).add(caller)
                dispatch = (workflow.get(True) or {}).get("workflow_dispatch") or {}
                for choice in dispatch["inputs"]["environment"]["options"]:
                    named.setdefault(str(choice), set()).add(name)
            elif environment:
                named.setdefault(str(environment), set()).add(name)
    return named


INPUT_ENVIRONMENT = "${{ inputs.environment }}"


def _callers(workflows: dict[str, Any], called: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, job)
        for name, workflow in workflows.items()
        for job in (workflow.get("jobs") or {}).values()
        if job.get("uses") == f"./.github/workflows/{called}"
    ]
