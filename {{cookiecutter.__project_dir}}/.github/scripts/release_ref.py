"""Name the one commit a release publishes, and refuse a commit nobody merged.

Every job of release.yml builds, tests or publishes the commit this script prints, by
SHA: a branch that happens to share the tag's name (actions/checkout tries a branch
before a tag for a bare name) can never be released in its place.

    python3 .github/scripts/release_ref.py --ref "$GITHUB_REF" --sha "$GITHUB_SHA" \
        --default-branch main

Run it in a checkout of the tag that holds every branch (actions/checkout with
fetch-depth: 0). It checks that:

- the run was started from a tag (a push of the tag, or Run workflow with the tag chosen
  under "Use workflow from"), never from a branch;
- refs/tags/<tag> points at the commit the run was started for and at the checkout's
  HEAD (a tag moved mid-run is refused);
- that commit is on the default branch (origin/<default>), so only reviewed, merged
  code is released.

It then writes ``tag=...`` and ``sha=...`` to $GITHUB_OUTPUT.

Exit status: 0 when the tag may be released; 1 when it may not (the reason is printed,
one line, as a GitHub error annotation); 2 on a usage error.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from typing import NoReturn

import step_outputs

TAG_PREFIX = "refs/tags/"
EXIT_REFUSED = 1
EXIT_USAGE = 2


class RefusedError(Exception):
    """This run must not release anything; the message says why and what to do."""


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed git arguments, no shell
        ["git", *args],  # noqa: S607 - git from PATH, as in every Actions job
        capture_output=True,
        text=True,
        check=False,
    )


def commit_of(ref: str) -> str | None:
    done = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return done.stdout.strip() if done.returncode == 0 else None


def tag_name(ref: str) -> str:
    if not ref.startswith(TAG_PREFIX) or ref == TAG_PREFIX:
        msg = (
            f"releases run from a tag, but this run is for {ref or 'no ref'}: push "
            "the tag, or choose it under 'Use workflow from' when you run the Release "
            "workflow"
        )
        raise RefusedError(msg)
    return ref.removeprefix(TAG_PREFIX)


def resolve(ref: str, event_sha: str, default_branch: str) -> tuple[str, str]:
    """(tag, commit) for a releasable run; raises RefusedError otherwise."""
    tag = tag_name(ref)
    sha = commit_of(ref)
    if sha is None:
        msg = f"{ref} is not in this checkout: check out the tag with fetch-depth: 0"
        raise RefusedError(msg)
    if event_sha and sha != event_sha:
        msg = (
            f"tag {tag} now points at {sha[:12]}, but this run started for "
            f"{event_sha[:12]}: the tag was moved; release tags must never move"
        )
        raise RefusedError(msg)
    head = commit_of("HEAD")
    if head != sha:
        at = (head or "nothing")[:12]
        msg = f"the checkout is at {at}, not at tag {tag} ({sha[:12]})"
        raise RefusedError(msg)
    base = f"refs/remotes/origin/{default_branch}"
    if commit_of(base) is None:
        msg = f"origin/{default_branch} is not in this checkout: use fetch-depth: 0"
        raise RefusedError(msg)
    merged = git("merge-base", "--is-ancestor", sha, base)
    if merged.returncode == 1:
        msg = (
            f"tag {tag} points at {sha[:12]}, which is not on {default_branch}: "
            f"release only merged code; tag a commit of {default_branch} instead"
        )
        raise RefusedError(msg)
    if merged.returncode != 0:
        why = merged.stderr.strip()
        msg = f"git could not compare {sha[:12]} with {default_branch}: {why}"
        raise RefusedError(msg)
    return tag, sha


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"release_ref: error: {message} (see --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(prog="release_ref.py", description=__doc__.splitlines()[0])
    parser.add_argument("--ref", required=True, help="GITHUB_REF: refs/tags/v1.2.0")
    parser.add_argument("--sha", default="", help="GITHUB_SHA: the run's commit")
    parser.add_argument("--default-branch", required=True, help="e.g. main")
    args = parser.parse_args(argv)
    if not args.default_branch.strip():
        parser.error("--default-branch must name a branch")
    try:
        tag, sha = resolve(args.ref, args.sha, args.default_branch)
    except RefusedError as refused:
        print(f"::error title=Release refused::{refused}")
        return EXIT_REFUSED
    step_outputs.write({"tag": tag, "sha": sha})
    print(f"release_ref: {tag} is {sha}, on {args.default_branch}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
