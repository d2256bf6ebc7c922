"""Shape the freshly rendered project to the answers, then say what to do next.

What each answer brings (files, and jobs of workflows) is data: `_options` in cookiecutter.json,
the option manifest, which reaches this hook with the answers. The template holds every optional
file and job; this hook removes those the answers do not bring. Workflows hold no Jinja, so they
stay valid YAML in the template, where Dependabot reads their pins; a job is removed here, with
its name in every `needs:` list. The hook touches nothing outside the project it runs in and does
no git, network or locking work, so `cruft update` can replay it in a temporary directory as
often as it likes (it reads `_options` from the template it updates to: cruft drops the stored
`_` keys).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml  # PyYAML: a dependency of cookiecutter itself, so every interpreter that runs it has it
from cookiecutter.config import BUILTIN_ABBREVIATIONS  # the hook runs with cookiecutter's interpreter
from cookiecutter.repository import expand_abbreviations

# The only Jinja in this file. tojson escapes every quote character, so the raw string cannot end early.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""


class ManifestError(Exception):
    """The template contradicts itself: a bug of the template, never of the answers."""


def _brought(answers: Mapping[str, Any]) -> tuple[dict[str, bool], dict[tuple[str, str], bool]]:
    """Every optional path and (workflow, job) in the manifest -> whether the answers bring it.

    A path or job that several bundles name is kept when any of them is brought.
    """
    paths: dict[str, bool] = {}
    jobs: dict[tuple[str, str], bool] = {}
    for field, option in answers["_options"].items():
        for bundle in option.get("adds", ()):
            chosen = answers.get(field) in bundle["when"]
            for template in bundle.get("files", ()):
                path = template.format(package_name=answers["package_name"])
                paths[path] = paths.get(path, False) or chosen
            for workflow, names in bundle.get("jobs", {}).items():
                for name in names:
                    jobs[workflow, name] = jobs.get((workflow, name), False) or chosen
    return paths, jobs


def paths_to_remove(answers: Mapping[str, Any]) -> list[str]:
    """The project-relative paths the answers switch off, in manifest order."""
    paths, _ = _brought(answers)
    return [path for path, keep in paths.items() if not keep]


def jobs_to_remove(answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Workflow path -> the jobs the answers switch off, in manifest order."""
    _, jobs = _brought(answers)
    removed: dict[str, list[str]] = {}
    for (workflow, name), keep in jobs.items():
        if not keep:
            removed.setdefault(workflow, []).append(name)
    return removed


def _is_comment_at(line: str, column: int) -> bool:
    return line.startswith(" " * column + "#")


def without_jobs(text: str, names: Iterable[str]) -> str:
    """A workflow's text without the named jobs, and without their names in any `needs:` list.

    PyYAML's composer gives each job's first line; a job's text runs to the next job's first
    line, less the comments written above that next job. Comments above a removed job go with
    it. A `needs:` left naming a removed job is rewritten as a flow list of the others; a job
    whose only need is removed, or a needs list in another style, is a template bug.
    """
    drop = set(names)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    jobs_node = next((value for key, value in root.value if key.value == "jobs"), None)
    if not isinstance(jobs_node, yaml.MappingNode):
        raise ManifestError("the workflow has no jobs mapping")
    lines = text.splitlines(keepends=True)
    keys = [key for key, _ in jobs_node.value]
    cut = [False] * len(lines)
    for index, key in enumerate(keys):
        if key.value not in drop:
            continue
        column = key.start_mark.column
        start = key.start_mark.line
        while start > 0 and _is_comment_at(lines[start - 1], column):
            start -= 1
        end = keys[index + 1].start_mark.line if index + 1 < len(keys) else len(lines)
        while end > start + 1 and (_is_comment_at(lines[end - 1], column) or not lines[end - 1].strip()):
            end -= 1
        for line in range(start, end):
            cut[line] = True
    # Rewrite needs lists (by line and column: every change below stays on its own line).
    edits: dict[int, tuple[int, int, str]] = {}
    for key, job in jobs_node.value:
        if key.value in drop or not isinstance(job, yaml.MappingNode):
            continue
        for field, value in job.value:
            if field.value != "needs":
                continue
            needed = (
                [value.value] if isinstance(value, yaml.ScalarNode) else [item.value for item in value.value]
            )
            kept = [name for name in needed if name not in drop]
            if kept == needed:
                continue
            if not kept or isinstance(value, yaml.ScalarNode):
                raise ManifestError(f"job {key.value!r} needs only removed jobs")
            if not value.flow_style or value.start_mark.line != value.end_mark.line:
                raise ManifestError(f"job {key.value!r}: write its needs as a one-line [list]")
            edits[value.start_mark.line] = (
                value.start_mark.column,
                value.end_mark.column,
                f"[{', '.join(kept)}]",
            )
    result = []
    for number, line in enumerate(lines):
        if cut[number]:
            continue
        if number in edits:
            begin, end_column, replacement = edits[number]
            line = line[:begin] + replacement + line[end_column:]
        # Removing a job between two blank lines would leave both.
        if not line.strip() and result and not result[-1].strip():
            continue
        result.append(line)
    while result and not result[-1].strip():
        result.pop()
    rewritten = "".join(result)
    left = yaml.safe_load(rewritten)["jobs"]
    if drop & set(left):
        raise ManifestError(f"could not remove {sorted(drop & set(left))}")
    for name in sorted(drop):
        # An expression of a kept job that still reads a removed one (`needs.X.result`).
        if re.search(rf"needs\.{re.escape(name)}\b|needs\[['\"]{re.escape(name)}['\"]\]", rewritten):
            raise ManifestError(f"a job that stays still reads needs.{name}")
    return rewritten


def _inside(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if root.resolve() not in target.parents:
        raise ManifestError(f"{relative!r} is outside the project")
    return target


def check_local_uses(root: Path) -> None:
    """Every `uses: ./path` left in a workflow names a file or folder that is still there."""
    for path in sorted((root / ".github" / "workflows").glob("*.y*ml")):
        for match in re.finditer(
            r"^\s*(?:-\s+)?uses:\s*['\"]?(\./[^\s'\"#]+)", path.read_text("utf-8"), re.M
        ):
            if not (root / match.group(1)).exists():
                raise ManifestError(f"{path.name} still uses {match.group(1)}, which was removed")


def remove_jobs(root: Path, removals: Mapping[str, Iterable[str]]) -> list[str]:
    """Remove jobs from the project's workflows; return "workflow: job" for each one removed."""
    removed = []
    for relative, names in removals.items():
        if not relative.startswith(".github/workflows/"):
            raise ManifestError(f"jobs can only be removed from .github/workflows/, not {relative!r}")
        path = _inside(root, relative)
        if not path.exists():
            continue  # the whole workflow went with an option
        # Bytes, not text mode: the line endings stay the checkout's (LF, or CRLF under Windows'
        # autocrlf), like every file cookiecutter copies.
        text = path.read_bytes().decode("utf-8")
        present = [name for name in names if name in (yaml.safe_load(text).get("jobs") or {})]
        if present:
            path.write_bytes(without_jobs(text, present).encode("utf-8"))
            removed += [f"{relative}: {name}" for name in present]
    return removed


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


def _template_source(answers: Mapping[str, Any]) -> str | None:
    """The template as cruft can be given it again: a URL without credentials, a local folder
    by its absolute path (the hook does not run where the user typed a relative one)."""
    template = answers.get("_template")
    if not isinstance(template, str) or not template:
        return None
    # cruft hands the template to `git clone`: cookiecutter's gh:/gl:/bb: and its git+ prefix
    # mean nothing there.
    template = expand_abbreviations(template, BUILTIN_ABBREVIATIONS).removeprefix("git+")
    parts = urllib.parse.urlsplit(template)
    if len(parts.scheme) > 1 and not parts.netloc:  # file:///path (one letter: a Windows drive)
        return template
    if len(parts.scheme) > 1:
        host = parts.hostname or ""
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host))
    repo_dir = answers.get("_repo_dir")
    remote = template.startswith("git@") or template.endswith((".git", ".zip"))
    if not remote and isinstance(repo_dir, str) and Path(repo_dir).is_absolute() and Path(repo_dir).is_dir():
        return repo_dir
    return template


def link_command(answers: Mapping[str, Any], project: str) -> list[str] | None:
    """`cruft link` with the answers of this bake, so that it records exactly them (asked
    again, it would offer the template's defaults); None when the template is not named. It
    names the project by `--project-dir`, so it runs where cookiecutter ran, where a template
    given as a relative path is found."""
    source = _template_source(answers)
    if source is None:
        return None
    given = {field: answers[field] for field in answers.get("_options", {}) if field in answers}
    command = ["uvx", "cruft", "link", source, "--project-dir", project]
    if answers.get("_checkout"):
        command += ["--checkout", str(answers["_checkout"])]
    # ASCII JSON: every answer survives a copy from the terminal, escapes included.
    return [*command, "--no-input", "--extra-context", json.dumps(given)]


def next_steps(answers: Mapping[str, Any]) -> str:
    """What to type after baking, as printed.

    Lines indented by two spaces are commands, `#` starts a comment; the block right after
    "Next steps:" ends in the first commit. The template's rehearsal runs that block as printed,
    so a step missing here is missing there too. The project's folder is named by its absolute
    path when cookiecutter says where it wrote it (`--output-dir`).
    """
    slug = answers["project_slug"]
    repo = f"{answers['github_owner']}/{slug}"
    output_dir = answers.get("_output_dir")
    folder = shlex.quote(str(Path(output_dir) / slug)) if isinstance(output_dir, str) and output_dir else slug
    lines = [
        f"Created {slug}. Next steps:",
        f"  cd {folder}",
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
    ]
    placeholder = answers.get("_options", {}).get("github_owner", {}).get("default")
    if placeholder and answers["github_owner"] == placeholder:
        lines.append(
            f"Warning: github_owner is still the placeholder {placeholder!r}: every URL and trusted "
            "publisher name derives from it; bake again with github_owner=<your GitHub name>."
        )
    if "_commit" in answers:
        return "\n".join(lines)  # made by cruft, which has recorded the template already
    project = str(Path(output_dir) / slug) if isinstance(output_dir, str) and output_dir else slug
    link = link_command(answers, project)
    lines += [
        "Baked with plain cookiecutter: link the project to the template, running this where you ran",
        "cookiecutter, and commit the link, so later updates bring every change since (README,",
        "'Keeping a project up to date'):",
        f"  {shlex.join(link)}" if link else "  uvx cruft link <template-url> --checkout <tag-or-commit>",
        f"  git -C {shlex.quote(project)} add .cruft.json",
        f"  git -C {shlex.quote(project)} commit -m 'Link the project to its template'",
    ]
    if link and "--checkout" not in link:
        lines.append(
            "If the template has moved on since this bake, add --checkout <the commit you baked from>."
        )
    return "\n".join(lines)


def main(answers_json: str = ANSWERS_JSON, root: Path | None = None) -> int:
    answers = json.loads(answers_json)
    project = root or Path.cwd()
    try:
        remove(project, paths_to_remove(answers))
        remove_jobs(project, jobs_to_remove(answers))
        check_local_uses(project)
    except (ManifestError, ValueError, yaml.YAMLError) as problem:
        print(f"error: the template's workflows and _options disagree: {problem}", file=sys.stderr)
        return 1
    # stderr: cruft replays this hook on every diff and update, and stdout must stay a clean patch.
    print(next_steps(answers), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
