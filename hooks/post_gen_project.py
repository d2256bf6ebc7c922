"""Shape the freshly rendered project to the answers, then say what to do next.

One table, REMOVE_WHEN, decides which optional files exist; one loop walks it. The hook touches
nothing outside the project it runs in and does no git, network or locking work, so `cruft
update` can replay it in a temporary directory as often as it likes.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

# The only Jinja in this file. tojson escapes every quote character, so the raw string cannot end early.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

# (answer, value) -> paths, relative to the project root, that have no purpose with that answer.
# `{package_name}` is filled in from the answers. Directories are removed whole.
REMOVE_WHEN: dict[tuple[str, object], tuple[str, ...]] = {
    ("cli", "none"): (
        "src/{package_name}/cli.py",
        "src/{package_name}/__main__.py",
        "tests/test_cli.py",
    ),
    ("codecov", False): ("codecov.yml",),
    ("notifications", "none"): (".github/workflows/notify.yml", ".github/scripts/notify.py"),
    ("template_sync", False): (
        ".github/workflows/template-sync.yml",
        ".github/scripts/template_sync.py",
        ".github/environments/template-sync.json",
    ),
    # Only the PyPI path installs from an index (TestPyPI) before the final upload. Each
    # publishing environment's settings exist exactly when a release.yml job names it.
    ("publish", "pypi"): (".github/environments/private-index.json",),
    ("publish", "private-index"): (
        ".github/scripts/install_release.py",
        ".github/environments/pypi.json",
        ".github/environments/testpypi.json",
    ),
    ("publish", "none"): (
        ".github/scripts/install_release.py",
        ".github/environments/pypi.json",
        ".github/environments/testpypi.json",
        ".github/environments/private-index.json",
    ),
}


def paths_to_remove(answers: Mapping[str, Any]) -> list[str]:
    """The project-relative paths the answers switch off, in table order."""
    paths: list[str] = []
    for (field, value), templates in REMOVE_WHEN.items():
        if answers.get(field) == value:
            paths.extend(template.format(package_name=answers["package_name"]) for template in templates)
    return paths


def remove(root: Path, relative_paths: Iterable[str]) -> list[str]:
    """Delete each path under root (already gone is fine: a replay must not fail); return those removed."""
    removed = []
    resolved_root = root.resolve()
    for relative in relative_paths:
        target = (root / relative).resolve()
        if resolved_root not in target.parents:
            raise ValueError(f"refusing to remove {relative!r}: it is outside the project")
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        else:
            continue
        removed.append(relative)
    return removed


def next_steps(answers: Mapping[str, Any]) -> str:
    """What to type after baking, as printed.

    Lines indented by two spaces are commands, `#` starts a comment; the block right after
    "Next steps:" ends in the first commit. The template's rehearsal runs that block as printed,
    so a step missing here is missing there too.
    """
    slug = answers["project_slug"]
    repo = f"{answers['github_owner']}/{slug}"
    return "\n".join(
        [
            f"Created {slug}. Next steps:",
            f"  cd {slug}",
            "  git init -b main",
            "  uv sync                      # creates .venv and uv.lock; CI installs from uv.lock",
            "  uv run pre-commit install    # hooks on every commit; they refuse a missing or stale uv.lock",
            "  uv run pytest                # tests with the coverage gate",
            "  git add -A                   # uv.lock included",
            "  git commit -m 'Start from cookiecutter-python-pipeline'",
            f"Create the empty GitHub repository {repo}, then push:",
            f"  git remote add origin git@github.com:{repo}.git",
            "  git push -u origin main",
            "Then follow docs/deployment.md.",
            "Baked with plain cookiecutter? Link the project to the template commit you baked from,",
            "so later updates bring every change since (README, 'Keeping a project up to date'):",
            "  uvx cruft link <template-url> --checkout <tag-or-commit>",
        ]
    )


def main(answers_json: str = ANSWERS_JSON, root: Path | None = None) -> int:
    answers = json.loads(answers_json)
    remove(root or Path.cwd(), paths_to_remove(answers))
    # stderr: cruft replays this hook on every diff and update, and stdout must stay a clean patch.
    print(next_steps(answers), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
