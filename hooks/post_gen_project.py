"""Shape the freshly rendered project to the answers, then say what to do next.

What each answer brings (files, jobs of workflows, pre-commit hooks) is data: `_options` in
cookiecutter.json, the option manifest, which reaches this hook with the answers. The template
holds every optional file, job and hook; this hook removes those the answers do not bring.
Workflows and .pre-commit-config.yaml hold no Jinja, so they stay valid YAML in the template,
where Dependabot reads their pins; a job is removed here, with its name in every `needs:` list.
The hook touches nothing outside the project it runs in and does
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


def _brought(
    answers: Mapping[str, Any],
) -> tuple[dict[str, bool], dict[tuple[str, str], bool], dict[str, bool]]:
    """Every optional path, (workflow, job) and pre-commit hook id in the manifest -> whether
    the answers bring it.

    A path, job or hook that several bundles name is kept when any of them is brought. A bundle
    with `with` is brought only when those other answers hold too (a conjunction, as in refusals).
    """
    paths: dict[str, bool] = {}
    jobs: dict[tuple[str, str], bool] = {}
    hooks: dict[str, bool] = {}
    for field, option in answers["_options"].items():
        for bundle in option.get("adds", ()):
            # `with`: other answers the bundle also needs, each one of its listed values.
            chosen = answers.get(field) in bundle["when"] and all(
                answers.get(other) in values for other, values in bundle.get("with", {}).items()
            )
            for template in bundle.get("files", ()):
                path = template.format(package_name=answers["package_name"])
                paths[path] = paths.get(path, False) or chosen
            for workflow, names in bundle.get("jobs", {}).items():
                for name in names:
                    jobs[workflow, name] = jobs.get((workflow, name), False) or chosen
            for hook in bundle.get("hooks", ()):
                hooks[hook] = hooks.get(hook, False) or chosen
    return paths, jobs, hooks


def paths_to_remove(answers: Mapping[str, Any]) -> list[str]:
    """The project-relative paths the answers switch off, in manifest order."""
    paths, _, _ = _brought(answers)
    return [path for path, keep in paths.items() if not keep]


def jobs_to_remove(answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Workflow path -> the jobs the answers switch off, in manifest order."""
    _, jobs, _ = _brought(answers)
    removed: dict[str, list[str]] = {}
    for (workflow, name), keep in jobs.items():
        if not keep:
            removed.setdefault(workflow, []).append(name)
    return removed


def hooks_to_remove(answers: Mapping[str, Any]) -> list[str]:
    """The .pre-commit-config.yaml hook ids the answers switch off, in manifest order."""
    _, _, hooks = _brought(answers)
    return [hook for hook, keep in hooks.items() if not keep]


def _is_comment_at(line: str, column: int) -> bool:
    return line.startswith(" " * column + "#")


def _block(lines: list[str], start: int, column: int, end: int) -> range:
    """The lines of one YAML block (a job, a `repos` entry) that starts on line `start` at
    `column` and ends before line `end`, where the next block starts: the comments written
    above it go with it, while the comments and blank lines above the next one stay."""
    while start > 0 and _is_comment_at(lines[start - 1], column):
        start -= 1
    while end > start + 1 and (_is_comment_at(lines[end - 1], column) or not lines[end - 1].strip()):
        end -= 1
    return range(start, end)


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
        end = keys[index + 1].start_mark.line if index + 1 < len(keys) else len(lines)
        for line in _block(lines, key.start_mark.line, key.start_mark.column, end):
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
        # Job names hold hyphens: needs.publish is not needs.publish-image.
        if re.search(rf"needs\.{re.escape(name)}(?![\w-])|needs\[['\"]{re.escape(name)}['\"]\]", rewritten):
            raise ManifestError(f"a job that stays still reads needs.{name}")
    return rewritten


def without_hooks(text: str, ids: Iterable[str]) -> str:
    """A pre-commit config's text without the `repos` entries whose hooks are all in `ids`.

    The config stays plain YAML in the template, where Dependabot's pre-commit ecosystem reads
    its revs, so an optional hook is removed here like an optional job: an entry's text runs
    from its `- ` line, with the comments written above it, to the next entry's comments. A
    removed hook that shares its entry with a kept one is a template bug.
    """
    drop = set(ids)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    repos = next((value for key, value in root.value if key.value == "repos"), None)
    if not isinstance(repos, yaml.SequenceNode):
        raise ManifestError("the pre-commit config has no repos list")
    lines = text.splitlines(keepends=True)
    starts = [item.start_mark.line for item in repos.value]
    cut = [False] * len(lines)
    for index, item in enumerate(repos.value):
        hooks = next((value for key, value in item.value if key.value == "hooks"), None)
        named = {
            field.value
            for hook in (hooks.value if isinstance(hooks, yaml.SequenceNode) else ())
            for key, field in hook.value
            if key.value == "id"
        }
        if not named & drop:
            continue
        if not named <= drop:
            raise ManifestError(f"hooks {sorted(named - drop)} share a repo with removed ones")
        start = starts[index]
        column = len(lines[start]) - len(lines[start].lstrip())
        end = starts[index + 1] if index + 1 < len(starts) else repos.end_mark.line
        if index + 1 == len(starts) and repos.end_mark.column:
            end += 1
        for line in _block(lines, start, column, end):
            cut[line] = True
    rewritten = "".join(line for number, line in enumerate(lines) if not cut[number])
    left = {hook["id"] for repo in yaml.safe_load(rewritten)["repos"] for hook in repo["hooks"]}
    if drop & left:
        raise ManifestError(f"could not remove hooks {sorted(drop & left)}")
    return rewritten


def remove_hooks(root: Path, ids: Iterable[str]) -> list[str]:
    """Remove pre-commit hooks from the project's config; return the ids removed."""
    path = _inside(root, ".pre-commit-config.yaml")
    wanted = list(ids)
    if not wanted or not path.exists():
        return []
    text = path.read_bytes().decode("utf-8")
    present = [hook["id"] for repo in yaml.safe_load(text)["repos"] for hook in repo["hooks"]]
    gone = [hook for hook in wanted if hook in present]
    if gone:
        path.write_bytes(without_hooks(text, gone).encode("utf-8"))
    return gone


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
        # A folder the removals emptied goes too (deploy/host/ in a bake without deployment):
        # git would not keep it, but the user would see it until a fresh clone.
        parent = target.parent
        while parent != resolved_root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
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
        # A clone of a published template: its origin, which the weekly sync on GitHub can
        # clone too (a folder on this machine it cannot).
        origin = origin_url(repo_dir)
        if origin is None:
            return repo_dir
        parts = urllib.parse.urlsplit(origin)
        if parts.scheme:
            host = parts.hostname or ""
            return urllib.parse.urlunsplit(
                parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host)
            )
        return origin
    return template


_SHA = re.compile(r"[0-9a-f]{40}")


def _git_dirs(repo_dir: str) -> tuple[Path, Path] | None:
    """A checkout's git folder and the folder its refs and config live in (a worktree's
    `.git` is a file naming the first, whose `commondir` names the second)."""
    git_dir = Path(repo_dir) / ".git"
    if git_dir.is_file():
        pointer = git_dir.read_text(encoding="utf-8").strip()
        if not pointer.startswith("gitdir: "):
            return None
        git_dir = (Path(repo_dir) / pointer.removeprefix("gitdir: ")).resolve()
    if not git_dir.is_dir():
        return None
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = (git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    return git_dir, common


_NETWORK_URL = re.compile(r"(?:https?|ssh|git)://[^/]+/.+|[^/@:\s]+@[^/:\s]+:.+")


def origin_url(repo_dir: object) -> str | None:
    """The network URL of a local template checkout's `origin` remote, read from its git
    config; None for a folder without one, or whose origin is another folder."""
    if not isinstance(repo_dir, str) or not Path(repo_dir).is_absolute():
        return None
    try:
        dirs = _git_dirs(repo_dir)
        if dirs is None or not (dirs[1] / "config").is_file():
            return None
        section = None
        for raw in (dirs[1] / "config").read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line.startswith("["):
                section = line
            elif section == '[remote "origin"]' and line.partition("=")[0].strip() == "url":
                url = line.partition("=")[2].strip()
                return url if _NETWORK_URL.fullmatch(url) else None
    except (OSError, UnicodeDecodeError):
        return None
    return None


def baked_commit(repo_dir: object) -> str | None:
    """The commit a template checkout stands at, read from its `.git` files (a hook never runs
    git: cruft replays it in a temporary folder); None when that is not a plain answer."""
    # Relative, it names a folder from where cookiecutter ran, which the hook cannot know.
    if not isinstance(repo_dir, str) or not Path(repo_dir).is_absolute():
        return None
    try:
        dirs = _git_dirs(repo_dir)
        if dirs is None:
            return None
        git_dir, common = dirs
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if _SHA.fullmatch(head):
            return head
        ref = head.removeprefix("ref: ")
        if ref == head or not ref.startswith("refs/"):
            return None
        loose = common / ref
        if loose.is_file():
            value = loose.read_text(encoding="utf-8").strip()
            return value if _SHA.fullmatch(value) else None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                sha, _, name = line.partition(" ")
                if name == ref and _SHA.fullmatch(sha):
                    return sha
    except (OSError, UnicodeDecodeError):
        return None
    return None


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
    # The checkout the user named, else the commit the template stood at: either way the link
    # records this bake's template, not whatever the default branch holds when it is run.
    checkout = answers.get("_checkout") or baked_commit(answers.get("_repo_dir"))
    if checkout:
        command += ["--checkout", str(checkout)]
    # ASCII JSON: every answer survives a copy from the terminal, escapes included.
    return [*command, "--no-input", "--extra-context", json.dumps(given)]


# Answers whose default is a placeholder, and what carries it where it cannot be taken back.
PLACEHOLDERS = {
    "github_owner": "every URL and trusted publisher name derives from it",
    "author_name": "a release publishes it in the package metadata for good",
    "author_email": "a release publishes it, and SECURITY.md sends reports to it",
}


def _link_steps(answers: Mapping[str, Any], output_dir: object) -> list[str]:
    """`cruft link` and its commit, printed before the push: committed later, the link would
    reach `main` only through a pull request, and the release commit would be behind it."""
    slug = answers["project_slug"]
    project = str(Path(output_dir) / slug) if isinstance(output_dir, str) and output_dir else slug
    link = link_command(answers, project)
    lines = [
        "Baked with plain cookiecutter: link the project to the template and commit the link, running",
        "this where you ran cookiecutter, so later updates bring every change since (README,",
        "'Keeping a project up to date'):",
    ]
    if link and answers.get("template_sync") and Path(link[3]).is_absolute():
        lines.append(
            f"The template is a folder on this machine, which the weekly template sync on GitHub cannot "
            f"clone: replace {link[3]} below with the template's URL."
        )
    lines += [
        f"  {shlex.join(link)}" if link else "  uvx cruft link <template-url> --checkout <tag-or-commit>",
        f"  git -C {shlex.quote(project)} add .cruft.json",
        f"  git -C {shlex.quote(project)} commit -m 'Link the project to its template'",
    ]
    if link and "--checkout" not in link:
        lines.append(
            "If the template has moved on since this bake, add --checkout <the commit you baked from>."
        )
    return lines


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
        "  git commit -m 'Start from cookiecutter-python-pipeline'  # installs the hooks: minutes",
    ]
    if "_commit" not in answers:  # made by cruft, which has recorded the template already
        lines += _link_steps(answers, output_dir)
    lines += [
        f"Create the empty GitHub repository {repo}, public unless you have GitHub Pro or Team (a private",
        "one on GitHub Free gets no rulesets or environments), and push:",
        f"  gh repo create {repo} --public",
        # HTTPS: what `gh auth login` sets git up for by default; SSH needs a key on GitHub.
        f"  git remote add origin https://github.com/{repo}.git",
        "  git push -u origin main",
        "Then follow docs/deployment.md, from its first step.",
    ]
    options = answers.get("_options", {})
    for field, why in PLACEHOLDERS.items():
        placeholder = options.get(field, {}).get("default")
        if placeholder and answers.get(field) == placeholder:
            lines.append(
                f"Warning: {field} is still the placeholder {placeholder!r}: {why}; "
                f"bake again with {field}=<yours>."
            )
    return "\n".join(lines)


def main(answers_json: str = ANSWERS_JSON, root: Path | None = None) -> int:
    answers = json.loads(answers_json)
    project = root or Path.cwd()
    try:
        remove(project, paths_to_remove(answers))
        remove_jobs(project, jobs_to_remove(answers))
        remove_hooks(project, hooks_to_remove(answers))
        check_local_uses(project)
    except (ManifestError, ValueError, yaml.YAMLError) as problem:
        print(f"error: the template's workflows and _options disagree: {problem}", file=sys.stderr)
        return 1
    # stderr: cruft replays this hook on every diff and update, and stdout must stay a clean patch.
    print(next_steps(answers), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
