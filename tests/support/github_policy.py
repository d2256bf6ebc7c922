"""What a bake's workflows ask of GitHub: the environments their jobs name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def environments_named_by_workflows(project: Path) -> dict[str, set[str]]:
    """Environment name -> the workflow files (names only) whose jobs name it."""
    named: dict[str, set[str]] = {}
    for path in sorted((project / ".github" / "workflows").glob("*.yml")):
        workflow: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for job in (workflow.get("jobs") or {}).values():
            environment = job.get("environment")
            if isinstance(environment, dict):
                environment = environment.get("name")
            if environment:
                named.setdefault(str(environment), set()).add(path.name)
    return named
