"""Release notes from CHANGELOG.md, and the checks a release tag must pass.

The changelog follows Keep a Changelog 1.1.0 (https://keepachangelog.com/en/1.1.0/):
a title and introduction, an optional ``## [Unreleased]`` section, one
``## [VERSION] - YYYY-MM-DD`` section per release (newest first, date optional,
``[YANKED]`` allowed after it), and link reference definitions at the bottom.

    python .github/scripts/changelog.py extract 1.2.0 > release-notes.md
    python .github/scripts/changelog.py check-release "$GITHUB_REF_NAME"
    python .github/scripts/changelog.py check
    python .github/scripts/changelog.py cut


``extract`` prints the markdown of one section as written, for GitHub Release
notes. ``check-release`` refuses a tag that is not ``v`` + the ``[project]
version`` of pyproject.toml, or whose version has no non-empty changelog section,
then writes ``version=`` and ``prerelease=`` to ``$GITHUB_OUTPUT``. ``check`` reads
every heading the way ``check-release`` will (a pre-commit hook), so a heading such
as ``## [1.2.0] - YYYY-MM-DD`` is refused on the commit, not at the tag. ``cut``
prepares a release: it moves the ``[Unreleased]`` entries under a heading for the
``[project] version`` of pyproject.toml dated today, and points the links at the
bottom at the new tag (``[unreleased]`` then compares that tag with ``HEAD``).

Exit status: 0 on success; 1 when the changelog, the tag or pyproject.toml needs
fixing (one line on stderr says what and how); 2 for a command-line usage error.

Why hand-written: the release job runs this before anything is installed, so it
uses the standard library only. The ``keepachangelog`` package on PyPI turns a
changelog into dicts of entry strings and reads versions as SemVer, whereas
release notes need the section's markdown untouched and Python projects need
PEP 440 versions such as ``0.2.0rc1``.
"""

import argparse
import datetime as dt
import os
import re
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

PROG = "changelog.py"
DESCRIPTION = "Release notes from CHANGELOG.md, and the checks a release tag must pass."
EXIT_FIX_NEEDED = 1
EXIT_USAGE = 2

UNRELEASED_KEY = "unreleased"

# Column 0 only: an indented "## " is list-item or quoted text, not a heading.
# Level-1 headings end a section too, but only level-2 headings start one.
SECTION_BREAK_RE = re.compile(r"#{1,2}(?:[ \t]|$)")
# Keep a Changelog's heading. The date is optional because some projects leave it
# out until release day; an en dash is accepted because editors "fix" the hyphen.
HEADING_RE = re.compile(
    r"##[ \t]+\[(?P<label>[^\]]+)\]"
    r"(?:[ \t]+[-\u2013][ \t]+(?P<date>\d{4}-\d{2}-\d{2}))?"
    r"(?P<yanked>[ \t]+\[YANKED\])?"
)
# Loose on purpose: both PEP 440 ("0.2.0rc1") and SemVer ("1.0.0-beta.2") labels
# occur in real changelogs; what must be refused is a label that is not a version.
VERSION_LABEL_RE = re.compile(r"v?\d[0-9A-Za-z.+_!-]*")
# A line such as "[1.0.0]: https://..." (CommonMark allows three spaces of indent).
LINK_DEFINITION_RE = re.compile(r" {0,3}\[[^\]]+\]:[ \t]*\S")
# The "[unreleased]: ..." link this template writes, and the one ``cut`` leaves.
UNRELEASED_LINK_RE = re.compile(
    r"(?P<indent> {0,3})\[unreleased\]:[ \t]*(?P<base>https://\S+?)"
    r"/(?:commits/\S+|compare/\S+\.\.\.\S+)",
    re.IGNORECASE,
)
# Inside a fenced block "## " is code, not a heading.
FENCE_OPEN_RE = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})")

# PEP 440's grammar (the spec's appendix), kept to the parts that decide whether a
# version is a pre-release: "a", "b", "rc" and their spelled-out aliases, or ".dev".
# Post-releases, epochs and local labels are matched only so that they are accepted.
# This mirrors packaging.version.Version.is_prerelease without needing packaging.
PEP440_RE = re.compile(
    r"""
    (?:\d+!)?                                        # epoch
    \d+(?:\.\d+)*                                    # release
    (?P<pre>[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?\d*)?
    (?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?          # post-release
    (?P<dev>[-_.]?dev[-_.]?\d*)?
    (?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?              # local label
    """,
    re.VERBOSE | re.IGNORECASE,
)


class FixNeededError(Exception):
    """Something the user must fix; the message is the whole report."""


@dataclass
class Section:
    label: str
    line_number: int
    yanked: bool
    lines: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return version_key(self.label)

    @property
    def body(self) -> str:
        lines = self.lines[:]
        # Keep a Changelog puts the version links after the last section; they are
        # navigation for the file, not release notes.
        while lines and (not lines[-1].strip() or LINK_DEFINITION_RE.match(lines[-1])):
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        return "\n".join(lines)

    @property
    def is_empty(self) -> bool:
        # "### Added" with nothing under it would publish a heading and no notes.
        return all(
            not line.strip() or line.startswith("#") for line in self.body.split("\n")
        )


def version_key(version: str) -> str:
    if version.casefold() == UNRELEASED_KEY:
        return UNRELEASED_KEY
    return version.removeprefix("v")


def read_text(path: Path, what: str, option: str) -> str:
    try:
        # Text mode translates CRLF and CR to "\n"; utf-8-sig drops a Windows BOM.
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        message = f"{path}: not found; run from the project root or pass {option}"
        raise FixNeededError(message) from None
    except UnicodeDecodeError as exc:
        message = f"{path}: not valid UTF-8 at byte {exc.start}; save it as UTF-8"
        raise FixNeededError(message) from None
    except OSError as exc:
        raise FixNeededError(f"{path}: cannot read {what}: {exc.strerror}") from None


def parse_heading(line: str, line_number: int, source: Path) -> Section:
    expected = (
        "expected '## [1.2.3] - 2026-01-31' (a version and a real date) "
        "or '## [Unreleased]'"
    )
    match = HEADING_RE.fullmatch(line)
    if match is None:
        message = f"{source}:{line_number}: cannot parse heading {line!r}; {expected}"
        raise FixNeededError(message)
    label = match["label"].strip()
    if version_key(label) != UNRELEASED_KEY and not VERSION_LABEL_RE.fullmatch(label):
        message = (
            f"{source}:{line_number}: {label!r} in heading {line!r} is not a version;"
            f" {expected}"
        )
        raise FixNeededError(message)
    if match["date"] is not None:
        try:
            dt.date.fromisoformat(match["date"])
        except ValueError:
            message = (
                f"{source}:{line_number}: {match['date']!r} in heading {line!r}"
                " is not a real date; expected YYYY-MM-DD"
            )
            raise FixNeededError(message) from None
    return Section(label, line_number, yanked=match["yanked"] is not None)


def parse_changelog(source: Path) -> list[Section]:
    text = read_text(source, "changelog", "--file")
    sections: list[Section] = []
    current: Section | None = None
    fence: str | None = None
    for line_number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.rstrip()
        if fence is not None:
            closing = line.strip()
            if closing.startswith(fence) and closing == fence[0] * len(closing):
                fence = None
        elif match := FENCE_OPEN_RE.match(line):
            fence = match["fence"]
        elif SECTION_BREAK_RE.match(line):
            current = None
            if line.startswith("##"):
                current = parse_heading(line, line_number, source)
                reject_duplicate(current, sections, source)
                sections.append(current)
            continue
        if current is not None:
            current.lines.append(raw_line)
    if not sections:
        message = (
            f"{source}: no '## [VERSION]' headings found; expected Keep a Changelog"
            " sections such as '## [1.0.0] - 2025-01-31'"
        )
        raise FixNeededError(message)
    return sections


def reject_duplicate(new: Section, sections: list[Section], source: Path) -> None:
    for earlier in sections:
        if earlier.key == new.key:
            message = (
                f"{source}:{new.line_number}: second heading for {new.label}"
                f" (first at line {earlier.line_number}); merge the two sections"
            )
            raise FixNeededError(message)


def find_section(
    sections: list[Section], version: str, source: Path, *, releasing: bool = False
) -> Section:
    wanted = version_key(version)
    for section in sections:
        if section.key == wanted:
            if section.is_empty:
                message = (
                    f"{source}:{section.line_number}: section for {section.label}"
                    " is empty; add its entries under '### Added', '### Fixed', ..."
                )
                raise FixNeededError(message)
            return section
    if any(section.key != UNRELEASED_KEY for section in sections):
        found = "versions present: " + ", ".join(s.label for s in sections)
    else:
        found = "only [Unreleased] is present"
    shown = "[Unreleased]" if wanted == UNRELEASED_KEY else wanted
    message = f"{source}: no section for {shown}; {found}"
    if releasing and any(s.key == UNRELEASED_KEY and not s.is_empty for s in sections):
        message += (
            "; to release it, move the [Unreleased] entries under"
            f" '## [{wanted}] - YYYY-MM-DD'"
        )
    raise FixNeededError(message)


def read_project_version(pyproject: Path) -> str:
    text = read_text(pyproject, "pyproject.toml", "--pyproject")
    try:
        project = tomllib.loads(text).get("project")
    except tomllib.TOMLDecodeError as exc:
        raise FixNeededError(f"{pyproject}: invalid TOML: {exc}") from None
    if not isinstance(project, dict):
        raise FixNeededError(f"{pyproject}: no [project] table")
    if "version" in project.get("dynamic", []):
        message = (
            f"{pyproject}: [project] version is dynamic; the release check compares"
            ' the tag with a static version = "X.Y.Z"'
        )
        raise FixNeededError(message)
    version = project.get("version")
    if not isinstance(version, str):
        raise FixNeededError(f'{pyproject}: [project] has no version = "X.Y.Z"')
    if not PEP440_RE.fullmatch(version):
        message = (
            f"{pyproject}: [project] version {version!r} is not a PEP 440 version"
            " such as 1.2.0, 1.2.0rc1 or 1.2.0.dev3"
        )
        raise FixNeededError(message)
    return version


def is_prerelease(version: str) -> bool:
    match = PEP440_RE.fullmatch(version)
    return match is not None and (match["pre"] or match["dev"]) is not None


def extract(version: str, changelog: Path) -> int:
    section = find_section(parse_changelog(changelog), version, changelog)
    # Bytes, so that Windows neither re-encodes the notes nor adds "\r".
    sys.stdout.buffer.write((section.body + "\n").encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


def check_release(
    tag: str, pyproject: Path, changelog: Path, github_output: Path | None
) -> int:
    version = read_project_version(pyproject)
    expected_tag = f"v{version}"
    if tag != expected_tag:
        if tag == version:
            problem = f"tag {tag} has no leading 'v'"
            fix = f"push {expected_tag} instead"
        elif tag.startswith("v"):
            problem = f"tag {tag} does not match version {version} in {pyproject}"
            fix = f"push {expected_tag}, or set the version to {tag[1:]} and re-tag"
        else:
            problem = f"tag {tag} does not match version {version} in {pyproject}"
            fix = f"push {expected_tag} instead"
        message = f"{problem}; release tags are 'v' + [project] version: {fix}"
        raise FixNeededError(message)
    sections = parse_changelog(changelog)
    section = find_section(sections, version, changelog, releasing=True)
    if section.yanked:
        message = (
            f"{changelog}:{section.line_number}: {version} is marked [YANKED];"
            " release a new version instead"
        )
        raise FixNeededError(message)
    outputs = (
        f"version={version}\n"
        f"prerelease={'true' if is_prerelease(version) else 'false'}\n"
    )
    if github_output is not None:
        try:
            # Appending, because every step of the job shares this file.
            with github_output.open("a", encoding="utf-8") as output_file:
                output_file.write(outputs)
        except OSError as exc:
            message = f"{github_output}: cannot write step outputs: {exc.strerror}"
            raise FixNeededError(message) from None
    sys.stdout.write(outputs)
    return 0


def cut(version: str | None, pyproject: Path, changelog: Path, today: dt.date) -> int:
    project_version = read_project_version(pyproject)
    if version is not None and version_key(version) != project_version:
        message = (
            f"{pyproject}: [project] version is {project_version}, not"
            f" {version_key(version)}; run `uv version {version_key(version)}` first"
        )
        raise FixNeededError(message)
    sections = parse_changelog(changelog)
    if any(section.key == project_version for section in sections):
        message = (
            f"{changelog}: a section for {project_version} exists already; set the"
            " next version with `uv version X.Y.Z` first"
        )
        raise FixNeededError(message)
    unreleased = find_section(sections, UNRELEASED_KEY, changelog)
    lines = read_text(changelog, "changelog", "--file").split("\n")
    heading = f"## [{project_version}] - {today.isoformat()}"
    index = unreleased.line_number - 1
    lines[index + 1 : index + 1] = ["", heading]
    tag = f"v{project_version}"
    linked = False
    for number, line in enumerate(lines):
        match = UNRELEASED_LINK_RE.fullmatch(line.rstrip())
        if match is not None:
            base, indent = match["base"], match["indent"]
            lines[number : number + 1] = [
                f"{indent}[unreleased]: {base}/compare/{tag}...HEAD",
                f"{indent}[{project_version}]: {base}/releases/tag/{tag}",
            ]
            linked = True
            break
    # Written beside it, then renamed over it: a failed write leaves the file as it was.
    draft = changelog.with_name(f".{changelog.name}.cut")
    try:
        draft.write_text("\n".join(lines), encoding="utf-8")
        draft.replace(changelog)
    except OSError as exc:
        draft.unlink(missing_ok=True)
        raise FixNeededError(f"{changelog}: cannot write: {exc.strerror}") from None
    links = "" if linked else " (no [unreleased] link found: add the version's link)"
    sys.stdout.write(
        f"{changelog}: the [Unreleased] entries are now under '{heading}'{links}\n"
    )
    return 0


class OneLineArgumentParser(argparse.ArgumentParser):
    """Usage errors in one line, like every other error this script reports."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog=PROG, description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)

    extract_parser = commands.add_parser(
        "extract", help="print one section of the changelog, for release notes"
    )
    extract_parser.add_argument(
        "version", help="e.g. 1.2.0, v1.2.0 or Unreleased (a leading v is ignored)"
    )
    extract_parser.add_argument("--file", type=Path, default=Path("CHANGELOG.md"))

    release_parser = commands.add_parser(
        "check-release",
        help="check a release tag against pyproject.toml and the changelog",
    )
    release_parser.add_argument("tag", help="the pushed tag, e.g. v1.2.0")
    release_parser.add_argument(
        "--pyproject", type=Path, default=Path("pyproject.toml")
    )
    release_parser.add_argument("--file", type=Path, default=Path("CHANGELOG.md"))
    release_parser.add_argument(
        "--github-output",
        type=Path,
        default=os.environ.get("GITHUB_OUTPUT") or None,
        help="file to append version= and prerelease= to (default: $GITHUB_OUTPUT)",
    )
    check_parser = commands.add_parser(
        "check", help="check that every heading parses, as a release will read it"
    )
    check_parser.add_argument("--file", type=Path, default=Path("CHANGELOG.md"))
    cut_parser = commands.add_parser(
        "cut",
        help="move the [Unreleased] entries under a heading for the project's version",
    )
    cut_parser.add_argument(
        "version",
        nargs="?",
        help="the version to cut, which must be [project] version (default: it)",
    )
    cut_parser.add_argument("--date", type=dt.date.fromisoformat, default=None)
    cut_parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    cut_parser.add_argument("--file", type=Path, default=Path("CHANGELOG.md"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "extract":
            return extract(args.version, args.file)
        if args.command == "check":
            parse_changelog(args.file)
            return 0
        if args.command == "cut":
            # The maintainer's own day: the release's, for the people reading it.
            today = args.date or dt.date.today()
            return cut(args.version, args.pyproject, args.file, today)
        return check_release(args.tag, args.pyproject, args.file, args.github_output)
    except FixNeededError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_FIX_NEEDED


if __name__ == "__main__":
    sys.exit(main())
