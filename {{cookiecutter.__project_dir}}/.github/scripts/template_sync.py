"""Prepare the project's update from its cookiecutter template through cruft.

Runs ``cruft check``; when the template has moved on, runs ``cruft update`` and writes
two files for the job that opens the pull request: a binary git patch of everything the
update changed (new, changed and deleted files, conflict markers and ``*.rej`` files
included) and a pull request body listing the template commits it brings and any hunks
cruft could not apply. Writes ``changed=true|false`` to $GITHUB_OUTPUT. Without a
.cruft.json it explains how to link the project and changes nothing.

The patch never touches ``.github/workflows/`` or ``.github/actions/``: a branch that
changes a workflow runs it as changed before anyone reviews it (with a write token and
the repository's secrets), and a local action runs inside the project's own jobs. Such
files are left out and listed in the body, to be taken by hand; when nothing else
changed there is no pull request (``changed=false``) and a warning lists them.

``cruft update`` runs the template's own code (its hooks and Jinja), so the workflow
runs this script in a job with read-only permissions and no secrets; the job holding
the token only applies the patch with ``git apply``. Whatever comes from the template
repository (commit subjects, file names) is shown as neutralised code in the body, so
it cannot mention people, reference issues or close them on merge.

``--check-body FILE`` is the other side of the hand-over: the job that opens the pull
request runs its own (the default branch's) copy of this script to refuse a body that
mentions, references or links anything, in case the template's code rewrote it after
this script wrote it. It needs the standard library only.

``--check-token`` runs in that job too, before the pull request step: a
TEMPLATE_SYNC_TOKEN that has expired or been revoked is still a non-empty secret, so the
workflow would use it and fail with GitHub's bare 401. The script asks the API for the
repository with it and, on a 401, fails with one line naming the secret and how to renew
it. It fails rather than fall back to the workflow token: a pull request that token
opens starts no CI, so its required check never reports, and a warning in a green
weekly run reaches nobody, whereas a failed run reaches the failure notifications.

Usage: python .github/scripts/template_sync.py --body PATH --patch PATH [--cruft SPEC]
       python .github/scripts/template_sync.py --check-body PATH
       TEMPLATE_SYNC_TOKEN=... python .github/scripts/template_sync.py --check-token
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
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
SYNC_CREDENTIAL = "TEMPLATE_SYNC_TOKEN"  # the secret's name
RENEW_TOKEN = (
    "regenerate it (Settings > Developer settings > Personal access tokens >"
    " Fine-grained tokens: this repository only, Contents and Pull requests read and"
    " write, no Workflows) and save the new value as the"
    f" {SYNC_CREDENTIAL} secret of the template-sync environment"
)
# GitHub's answers that say the token itself is wrong: what to tell the maintainer.
TOKEN_REFUSED = {
    401: f"{SYNC_CREDENTIAL} is expired or revoked (GitHub answered 401):"
    f" {RENEW_TOKEN}.",
    404: f"{SYNC_CREDENTIAL} cannot see {{repository}} (GitHub answered 404): give the"
    f" token access to this repository, or {RENEW_TOKEN}.",
}
# What the automated patch leaves out, matched case-insensitively on the path: the
# workflows GitHub runs, the local actions they run, and `.github` itself (a file or
# link replacing the folder). The propose job refuses the same paths with git alone.
HELD_BACK = re.compile(r"\.github(/(workflows|actions)(/|$)|$)", re.IGNORECASE)
# The one link the body may hold: the script's own, to the template's changelog.
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_CHANGELOG_LINK = re.compile(
    r"\]\(https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/blob/main/CHANGELOG\.md\)"
)
MAX_BODY = 65536  # GitHub's limit on a pull request body, in characters
# What GitHub turns into a notification or a link that closes or cross-references:
# @user and @org/team mentions; #12, GH-12 and owner/repo#12 references (what closing
# keywords such as "Fixes" act on); URLs, which GitHub links back from the issue named.
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_NUMBER_REF = re.compile(r"(#|\bGH-)(?=[0-9])", re.IGNORECASE)
_URL = re.compile(r"(?<=:)(?=//)|(?<=\bwww)(?=\.)", re.IGNORECASE)
# What a renderer would decode or open before GitHub looks for mentions: character
# references (`&commat;`, `&#x23;`), HTML tags and protocol-relative links (`//host`).
_DECODED = re.compile(r"(?<=&)(?=[#A-Za-z])|(?<=<)(?=[A-Za-z/!?])|(?<=/)(?=/)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
# What a body the script wrote never holds outside the changelog link (body_problems).
_RAW_SYNTAX = {
    "a mention": re.compile(r"@[A-Za-z0-9]"),
    "an issue or pull request reference": re.compile(
        r"#[0-9]|\bGH-[0-9]", re.IGNORECASE
    ),
    "a URL": re.compile(r"://|\bwww\.|//", re.IGNORECASE),
    "a character reference": re.compile(r"&[#A-Za-z]"),
    "an HTML tag": re.compile(r"<[A-Za-z/!?]"),
    "a control character": re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]"),
}


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
    into `://`, `//` and `www.`, and after `&` and `<`: GitHub sees no mention, issue
    reference, link, character reference or tag (so no closing keyword has anything to
    close), a reader sees the same characters. Control
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
    text = _DECODED.sub(ZWJ, text)
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


def held_back(path: str) -> bool:
    """Whether the automated patch leaves this path out (see HELD_BACK)."""
    return HELD_BACK.match(path) is not None


def _checked(result: subprocess.CompletedProcess[bytes]) -> bytes:
    if result.returncode != 0:
        raise RuntimeError(result.stderr.decode("utf-8", "replace"))
    return result.stdout


def write_patch(path: Path) -> tuple[list[str], list[str]]:
    """Everything the update changed, against HEAD, as one binary patch for `git apply`,
    less the held-back paths; returns (paths in the patch, paths held back).

    Staged through a private index, so the work tree and the real index (with its
    unmerged entries) stay as cruft left them; untracked files (new files, `*.rej`) are
    included, ignored ones are not. Without renames, a file moved to or from a held-back
    folder is a deletion and an addition, and only the side outside it is kept.
    """
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _checked(git("read-tree", "HEAD", env=env))
        _checked(git("add", "--all", env=env))
        names = _checked(
            git(
                "diff", "--cached", "--name-only", "-z", "--no-renames", "HEAD", env=env
            )
        )
        changed = [n for n in names.decode("utf-8", "surrogateescape").split("\0") if n]
        held = [name for name in changed if held_back(name)]
        if held:
            # Back to HEAD in the private index: left out of the diff below.
            listed = Path(scratch) / "held"
            listed.write_bytes(
                b"".join(n.encode("utf-8", "surrogateescape") + b"\0" for n in held)
            )
            _checked(
                git(
                    "reset", "--quiet", "HEAD", f"--pathspec-from-file={listed}",
                    "--pathspec-file-nul",
                    env={**env, "GIT_LITERAL_PATHSPECS": "1"},
                )
            )  # fmt: skip
        diff = _checked(git("diff", "--cached", *DIFF_OPTIONS, "HEAD", env=env))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(diff)
    return [name for name in changed if not held_back(name)], held


def changelog_link(template: str) -> str:
    """Where a person reads the template's migration notes."""
    for prefix in ("gh:", "https://github.com/"):
        if template.startswith(prefix):
            repository = template.removeprefix(prefix).removesuffix(".git").strip("/")
            if not _REPOSITORY.fullmatch(repository):
                break
            url = f"https://github.com/{repository}/blob/main/CHANGELOG.md"
            return f"[the template's CHANGELOG]({url})"
    return f"the template's CHANGELOG.md ({neutralise(template, 300)})"


def held_back_instruction(*, pull_request: bool) -> str:
    """How to take the held-back files by hand, in the body or in the job's warning."""
    where = (
        "on your machine, run `uvx cruft diff` on this branch (it compares the"
        " project with the template at its new commit), take the template's changes to"
        " the files below, review them and commit them to this branch yourself."
        if pull_request
        else "on your machine, run `uvx cruft update` on `main`, review the change"
        " (these files included) and commit it yourself."
    )
    return (
        "The automated update leaves out `.github/workflows/` and `.github/actions/`:"
        " a branch that changes a workflow runs it before anyone reviews it, with a"
        " write token and the repository's secrets. Take them by hand: " + where
    )


def body(
    template: str,
    commits: list[tuple[str, str]],
    rejects: list[str],
    held: Sequence[str] = (),
) -> str:
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
    if held:
        parts += [
            "",
            "## Left out: workflow and action files to take by hand",
            "",
            held_back_instruction(pull_request=True),
            "",
            *(f"- {neutralise(path, 300)}" for path in held),
        ]
    return "\n".join(parts) + "\n"


def body_problems(text: str) -> list[str]:
    """Why a pull request body is not one this script writes, if it is not.

    The body may hold the changelog link the script writes; otherwise no mention, no
    `#12`, `GH-12` or `owner/repo#12` reference (what a closing keyword acts on), no URL
    and no control character: `neutralise` breaks each of them with a zero-width joiner.
    """
    problems = []
    if len(text) > MAX_BODY:
        problems.append(f"it is longer than {MAX_BODY} characters")
    outside_link = _CHANGELOG_LINK.sub("](CHANGELOG)", text)
    for what, pattern in _RAW_SYNTAX.items():
        found = pattern.search(outside_link)
        if found:
            line = outside_link.count("\n", 0, found.start()) + 1
            problems.append(f"line {line} holds {what} ({found.group()!r})")
    return problems


def check_body(path: Path) -> int:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"::error::template_sync: the pull request body cannot be read: {error}")
        return 1
    problems = body_problems(text)
    for problem in problems:
        print(f"::error::template_sync: refusing the pull request body: {problem}")
    if problems:
        print("The template's code rewrote the body after it was written; no PR.")
        return 1
    print("The pull request body mentions, references and links nothing.")
    return 0


def report_held_back(held: list[str]) -> None:
    """Only held-back files changed: no pull request; say so in the log and summary."""
    lines = [f"- `{path}`" for path in held]
    message = held_back_instruction(pull_request=False)
    left_out = ", ".join(held)
    print(f"::warning::Template sync: no pull request. {message} Left out: {left_out}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(
                "## Template sync: no pull request\n\n" + message + "\n\n"
                + "\n".join(lines) + "\n"
            )  # fmt: skip


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect comes back as its own status: the token goes nowhere else."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:  # noqa: ARG002
        return None


def token_status(api_url: str, repository: str, token: str) -> int | None:
    """GitHub's status for reading the repository with the token; None: unreachable."""
    # GITHUB_API_URL is set by the runner, so no file: or other scheme.
    request = urllib.request.Request(  # noqa: S310
        f"{api_url.rstrip('/')}/repos/{repository}",
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def check_token(environ: dict[str, str]) -> int:
    """Fail in one line when TEMPLATE_SYNC_TOKEN is set but GitHub refuses it."""
    token = environ.get(SYNC_CREDENTIAL, "")
    if not token:
        print(
            f"::notice::No {SYNC_CREDENTIAL}: the workflow token opens the pull"
            " request, and GitHub starts no CI for a pull request that token opens."
        )
        return 0
    repository = environ.get("GITHUB_REPOSITORY", "")
    api_url = environ.get("GITHUB_API_URL") or "https://api.github.com"
    status = token_status(api_url, repository, token)
    if status in TOKEN_REFUSED:
        message = TOKEN_REFUSED[status].format(repository=repository)
        print(f"::error::template_sync: {message}")
        return 1
    if status is None or not 200 <= status < 300:  # noqa: PLR2004 (HTTP success)
        # Not the token's fault, as far as anyone can tell: the pull request step says.
        print(
            f"::warning::template_sync: could not check {SYNC_CREDENTIAL} ({status=})."
        )
        return 0
    print(f"{SYNC_CREDENTIAL} is accepted by GitHub.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body", type=Path, help="body to write")
    parser.add_argument("--patch", type=Path, help="patch to write")
    parser.add_argument("--cruft", default=CRUFT, help="cruft requirement to run")
    parser.add_argument("--check-body", type=Path, help="refuse this body if unsafe")
    parser.add_argument(
        "--check-token",
        action="store_true",
        help=f"fail in one line if ${SYNC_CREDENTIAL} is set but refused",
    )
    args = parser.parse_args(argv)
    if args.check_token:
        return check_token(dict(os.environ))
    if args.check_body is not None:
        return check_body(args.check_body)
    if args.body is None or args.patch is None:
        parser.error("--body and --patch are required (or --check-body alone)")
    return sync(args.body, args.patch, args.cruft)


def sync(body_path: Path, patch: Path, spec: str) -> int:
    """Update from the template; write the patch and the body when something changed."""
    link = Path(".cruft.json")
    if not link.exists():
        print(
            "::notice::No .cruft.json: link the project first with "
            "'uvx cruft link <template-url>' and commit the file."
        )
        step_outputs.write({"changed": "false"})
        return 0
    before = json.loads(link.read_text(encoding="utf-8"))
    if cruft(spec, "check").returncode == 0:
        print("The project is up to date with its template.")
        step_outputs.write({"changed": "false"})
        return 0
    update = cruft(spec, "update", "--skip-apply-ask", "--allow-untracked-files")
    print(update.stdout, update.stderr, sep="\n")
    after = json.loads(link.read_text(encoding="utf-8"))
    if update.returncode != 0 or after.get("commit") == before.get("commit"):
        print(f"template_sync: error: cruft update failed (exit {update.returncode})")
        return 1
    kept, held = write_patch(patch)
    if held and not set(kept) - {".cruft.json"}:
        # A pull request would only move .cruft.json on, and the left-out files would
        # never be proposed again: none, so next week's run warns again until taken.
        patch.unlink()
        report_held_back(held)
        step_outputs.write({"changed": "false"})
        return 0
    rejects = [path for path in conflicts() if not held_back(path)]
    commits = template_commits(before["template"], before["commit"], after["commit"])
    text = body(before["template"], commits, rejects, held)
    body_path.parent.mkdir(parents=True, exist_ok=True)
    body_path.write_text(text, encoding="utf-8")
    step_outputs.write({"changed": "true", "conflicts": str(bool(rejects)).lower()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
