"""Bring the project up to date with its cookiecutter template through cruft.

Runs ``cruft check``; when the template has moved on, runs ``cruft update`` and writes a
pull request body listing the template commits it brings and any hunks cruft could not
apply (left as ``*.rej`` files for a person to finish). Writes ``changed=true|false`` to
$GITHUB_OUTPUT. Without a .cruft.json it explains how to link the project and changes
nothing.

Usage: python .github/scripts/template_sync.py --body PATH [--cruft SPEC]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import step_outputs

CRUFT = "cruft==2.16.0"


def cruft(spec: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["uvx", "--from", spec, "cruft", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603


def template_commits(template: str, old: str, new: str) -> list[str]:
    """One line per template commit from old to new; empty if history is unreachable."""
    with tempfile.TemporaryDirectory() as clone:
        fetched = subprocess.run(  # noqa: S603
            [  # noqa: S607 (git from the runner's PATH)
                "git",
                "clone",
                "--quiet",
                "--filter=blob:none",
                "--no-checkout",
                template,
                clone,
            ],
            capture_output=True,
            check=False,
        )
        if fetched.returncode != 0:
            return []
        log = subprocess.run(  # noqa: S603
            ["git", "-C", clone, "log", "--format=%h %s", f"{old}..{new}"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        return log.stdout.splitlines() if log.returncode == 0 else []


def conflicts() -> list[str]:
    """Paths cruft left unmerged: `*.rej` files where git could not merge three ways
    (a shallow clone) and files with conflict markers where it could (full history)."""
    rejects = [str(p) for p in Path().rglob("*.rej") if ".git" not in p.parts]
    unmerged = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=U"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    return sorted({*rejects, *unmerged})


def changelog_link(template: str) -> str:
    """Where a person reads the template's migration notes."""
    for prefix in ("gh:", "https://github.com/"):
        if template.startswith(prefix):
            repository = template.removeprefix(prefix).removesuffix(".git").strip("/")
            url = f"https://github.com/{repository}/blob/main/CHANGELOG.md"
            return f"[the template's CHANGELOG]({url})"
    return f"the template's CHANGELOG.md ({template})"


def body(template: str, commits: list[str], rejects: list[str]) -> str:
    parts = [
        f"This pull request applies the changes made to [the template]({template}) "
        "since this project was last updated, with `cruft update`.",
        "",
        f"Read the migration notes in {changelog_link(template)} before merging.",
        "",
        "## Template commits",
        "",
        *(
            [f"- {line}" for line in commits]
            or ["- (the template history could not be read)"]
        ),
    ]
    if rejects:
        parts += [
            "",
            "## Conflicts to finish by hand",
            "",
            "cruft could not apply these changes cleanly. A `.rej` file holds the hunks"
            " to apply by hand next to its file (delete it afterwards); any other file"
            " listed has conflict markers to resolve. Finish them in this branch.",
            "",
            *(f"- `{path}`" for path in rejects),
        ]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body", type=Path, required=True)
    parser.add_argument("--cruft", default=CRUFT, help="cruft requirement to run")
    args = parser.parse_args(argv)
    link = Path(".cruft.json")
    if not link.exists():
        print(
            "::notice::No .cruft.json: link the project first with "
            "'uvx cruft link <template-url>' and commit the file."
        )
        step_outputs.write({"changed": "false"})
        return 0
    before = json.loads(link.read_text(encoding="utf-8"))
    if cruft(args.cruft, "check").returncode == 0:
        print("The project is up to date with its template.")
        step_outputs.write({"changed": "false"})
        return 0
    update = cruft(args.cruft, "update", "--skip-apply-ask", "--allow-untracked-files")
    print(update.stdout, update.stderr, sep="\n")
    after = json.loads(link.read_text(encoding="utf-8"))
    if update.returncode != 0 or after.get("commit") == before.get("commit"):
        print(f"template_sync: error: cruft update failed (exit {update.returncode})")
        return 1
    rejects = conflicts()
    commits = template_commits(before["template"], before["commit"], after["commit"])
    args.body.write_text(body(before["template"], commits, rejects), encoding="utf-8")
    step_outputs.write({"changed": "true", "conflicts": str(bool(rejects)).lower()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
