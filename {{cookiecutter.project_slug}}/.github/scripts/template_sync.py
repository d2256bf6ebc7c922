"""Prepare the project's update from its cookiecutter template through cruft.

Runs ``cruft check``; when the template has moved on, runs ``cruft update`` and writes
two files for the job that opens the pull request: a binary git patch of everything the
update changed (new, changed and deleted files, conflict markers and ``*.rej`` files
included) and a pull request body listing the template commits it brings and any hunks
cruft could not apply. Writes ``changed=true|false`` to $GITHUB_OUTPUT. Without a
.cruft.json it explains how to link the project and changes nothing.

``cruft update`` runs the template's own code (its hooks and Jinja), so the workflow
runs this script in a job with read-only permissions and no secrets; the job holding
the token only applies the patch with ``git apply``. Whatever comes from the template
repository (commit subjects, file names) is shown as neutralised code in the body, so
it cannot mention people, reference issues or close them on merge.

Usage: python .github/scripts/template_sync.py --body PATH --patch PATH [--cruft SPEC]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import step_outputs

# The tools that run the template's code, pinned: cruft and the cookiecutter it uses.
CRUFT = "cruft==2.16.0"
COOKIECUTTER = "cookiecutter==2.7.1"
# Long subjects are cut: a body is for reading, and GitHub caps it at 65536 characters.
MAX_SUBJECT = 120
MAX_COMMITS = 200
# A patch any `git apply` takes as is: binary files whole, no renames, no diff drivers.
DIFF_OPTIONS = (
    "--binary",
    "--full-index",
    "--no-renames",
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
)
ZWJ = "\u200d"
# What GitHub turns into a notification or a link that closes or cross-references:
# @user and @org/team mentions; #12, GH-12 and owner/repo#12 references (what closing
# keywords such as "Fixes" act on); URLs, which GitHub links back from the issue named.
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_NUMBER_REF = re.compile(r"(#|\bGH-)(?=[0-9])", re.IGNORECASE)
_URL = re.compile(r"(?<=:)(?=//)|(?<=\bwww)(?=\.)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def cruft(spec: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["uvx", "--from", spec, "--with", COOKIECUTTER, "cruft", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603


def git(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607 (git from the runner's PATH)
        capture_output=True,
        check=False,
        env=env,
    )


def neutralise(text: str, limit: int = MAX_SUBJECT) -> str:
    """Text from the template as inert inline code for a pull request body.

    A zero-width joiner goes between `@` and a name, between `#`/`GH-` and a number,
    and into `://` and `www.`: GitHub sees no mention, issue reference or link (so no
    closing keyword has anything to close), a reader sees the same characters. Control
    characters become one space; long text is cut. The result is a code span whose
    backtick fence is longer than any backtick run inside, so markdown, HTML and links
    in the text stay literal.
    """
    text = _CONTROL.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    text = _MENTION.sub("@" + ZWJ, text)
    text = _NUMBER_REF.sub(lambda match: match.group(1) + ZWJ, text)
    text = _URL.sub(ZWJ, text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    if not text or text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def template_commits(template: str, old: str, new: str) -> list[tuple[str, str]]:
    """(short hash, subject) per template commit from old to new; [] if unreachable."""
    with tempfile.TemporaryDirectory() as clone:
        fetched = git(
            "clone", "--quiet", "--filter=blob:none", "--no-checkout", template, clone
        )
        if fetched.returncode != 0:
            return []
        log = git("-C", clone, "log", "--format=%h%x00%s", f"{old}..{new}")
        if log.returncode != 0:
            return []
        lines = log.stdout.decode("utf-8", "replace").splitlines()
        return [
            (hash_, subject) for hash_, _, subject in (x.partition("\0") for x in lines)
        ]


def conflicts() -> list[str]:
    """Paths cruft left unmerged: `*.rej` files where git could not merge three ways
    (a shallow clone) and files with conflict markers where it could (full history)."""
    rejects = [p.as_posix() for p in Path().rglob("*.rej") if ".git" not in p.parts]
    unmerged = git("diff", "--name-only", "--diff-filter=U").stdout
    return sorted({*rejects, *unmerged.decode("utf-8", "replace").splitlines()})


def write_patch(path: Path) -> None:
    """Everything the update changed, against HEAD, as one binary patch for `git apply`.

    Staged through a private index, so the work tree and the real index (with its
    unmerged entries) stay as cruft left them; untracked files (new files, `*.rej`) are
    included, ignored ones are not.
    """
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        for args in (("read-tree", "HEAD"), ("add", "--all")):
            staged = git(*args, env=env)
            if staged.returncode != 0:
                raise RuntimeError(staged.stderr.decode("utf-8", "replace"))
        diff = git("diff", "--cached", *DIFF_OPTIONS, "HEAD", env=env)
        if diff.returncode != 0:
            raise RuntimeError(diff.stderr.decode("utf-8", "replace"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(diff.stdout)


def changelog_link(template: str) -> str:
    """Where a person reads the template's migration notes."""
    for prefix in ("gh:", "https://github.com/"):
        if template.startswith(prefix):
            repository = template.removeprefix(prefix).removesuffix(".git").strip("/")
            url = f"https://github.com/{repository}/blob/main/CHANGELOG.md"
            return f"[the template's CHANGELOG]({url})"
    return f"the template's CHANGELOG.md ({neutralise(template, 300)})"


def body(template: str, commits: list[tuple[str, str]], rejects: list[str]) -> str:
    listed = [
        f"- {neutralise(short, 12)} {neutralise(subject)}"
        for short, subject in commits[:MAX_COMMITS]
    ]
    if len(commits) > MAX_COMMITS:
        listed.append(f"- and {len(commits) - MAX_COMMITS} older commits")
    parts = [
        "This pull request applies the changes made to the template "
        f"{neutralise(template, 300)} since this project was last updated, "
        "with `cruft update`.",
        "",
        f"Read the migration notes in {changelog_link(template)} before merging.",
        "",
        "## Template commits",
        "",
        "Shown as code: the template's commit subjects mention and link nothing here.",
        "",
        *(listed or ["- (the template history could not be read)"]),
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
            *(f"- {neutralise(path, 300)}" for path in rejects),
        ]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body", type=Path, required=True, help="body to write")
    parser.add_argument("--patch", type=Path, required=True, help="patch to write")
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
    write_patch(args.patch)
    commits = template_commits(before["template"], before["commit"], after["commit"])
    args.body.parent.mkdir(parents=True, exist_ok=True)
    args.body.write_text(body(before["template"], commits, rejects), encoding="utf-8")
    step_outputs.write({"changed": "true", "conflicts": str(bool(rejects)).lower()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
