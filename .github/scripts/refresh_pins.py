"""Move the pins Dependabot cannot reach, in the template's own files, and propose them.

    uv run python .github/scripts/refresh_pins.py prepare [--body FILE] [--patch FILE] [--files FILE]
    python3 .github/scripts/refresh_pins.py propose --body FILE --files FILE [--patch FILE] [--remote URL]

`prepare` bakes the template (cookiecutter.json's answers) and refreshes the bake:
`pre-commit autoupdate` moves the hook revs; .github/scripts/pins_behind.py finds the `name==X`
pins behind their newest release on the package index (a tool that is also a hook follows the
hook's new rev instead, so the two stay one version). Tool versions passed to an action
(.github/pins.toml [action-inputs]) move the same way when their source is the package index,
keeping their written form (`v11.3.1` -> `v11.4.0`); one whose source is the action itself
follows the `# vX.Y.Z` comment of that action's SHA pin in the same file, which Dependabot
moves. A range whose upper bound excludes the newest release becomes `>=NEWEST,<NEXT`, NEXT
cut at the depth of the old bound (`>=0.13.6,<0.14` and 0.14.2 -> `>=0.14.2,<0.15`); a lower
bound alone admits every newer release and never moves. Each move is written back into the
template file the bake came from (`{{cookiecutter.__project_dir}}/...`, Jinja and all, by
replacing the pinned text only); the template's own `pyproject.toml` pins of the same tools
follow, then `uv lock --upgrade-package` for those. The template is baked again and every pin
of the new bake is checked against what was meant. With --body and --patch it writes the pull
request's text and the change (`git diff`), and with --files the list of files it changed; on
GitHub Actions it sets the step output `changed=true|false`. Every new rev or version must be a
plain tag or version (SAFE_VERSION) before it is written: the bake's files are Jinja templates.

`propose` needs nothing but Python and git. It runs from the default branch only (GITHUB_REF
against DEFAULT_BRANCH, or the repository's default branch as the API names it). It accepts a
change to exactly the files --files lists, each one of the files the refresh ever writes
(WRITABLE), and refuses anything else before applying it. It commits the change on the branch
`refresh-pins` and pushes it only over the refresh's own commits (--force-with-lease against
what it fetched): a commit of anyone else on that branch is refused, and a tree the branch
already holds is not pushed again. Then it opens the pull request, or updates the one already
open for that branch (whose base must be the default branch). Nothing changed: no commit, no
pull request; an open refresh pull request is left as it is. It reads GITHUB_TOKEN,
GITHUB_REPOSITORY, GITHUB_REF, DEFAULT_BRANCH, and GITHUB_API_URL and GITHUB_SERVER_URL
(GitHub's own by default); the token reaches git only for ls-remote, fetch and push.

Exit codes:
  0  done (changed or not)
  1  the template, baked again, does not hold the pins written into it, or a pin cannot be moved
     without a person (ahead of what it follows, a range with no rewrite rule, an action input
     whose action is not pinned once in its file, a new rev or version that is not plain text)
  2  usage error or refusal: a bad option, GITHUB_TOKEN or GITHUB_REPOSITORY missing, not run
     from the default branch, a change outside the files the refresh may touch or not on
     prepare's list, a refresh-pins branch holding someone else's commits, an open refresh
     pull request against another base
  3  a tool failed: cookiecutter, pre-commit autoupdate, pins_behind.py, uv lock, git, or the
     GitHub API
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from command_line import OneLineParser, http_url

REPOSITORY = Path(__file__).resolve().parents[2]
PROJECT_DIR = "{{cookiecutter.__project_dir}}"
BRANCH = "refresh-pins"
TITLE = "Refresh the pins Dependabot cannot reach"
# Every file `prepare` ever writes, by exact path: the template's own pyproject.toml and
# uv.lock, and the bake's files holding a pin it moves (hook revs, `==` pins, the build
# backend's range, action inputs). `propose` accepts no other path, whatever prepare's list
# says; tests/test_refresh_pins.py keeps this equal to the files of those pins in a bake.
WRITABLE = (
    "pyproject.toml",
    "uv.lock",
    f"{PROJECT_DIR}/.pre-commit-config.yaml",
    f"{PROJECT_DIR}/pyproject.toml",
    f"{PROJECT_DIR}/.github/scripts/template_sync.py",
    *(
        f"{PROJECT_DIR}/.github/workflows/{name}.yml"
        for name in ("build", "ci", "quality", "release", "security")
    ),
)
# A rev or version written into a Jinja template: no `{`, `%`, `#`, quote or space can pass.
SAFE_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
# Who commits the refresh: a commit on its branch by anyone else is a person's work.
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
EXIT_MISMATCH, EXIT_USAGE, EXIT_TOOL = 1, 2, 3


class Failed(Exception):
    """One line saying what failed, and the exit code."""

    def __init__(self, message: str, code: int = EXIT_TOOL) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Move:
    """One pin moved in one template file."""

    file: str  # relative to the template
    name: str  # the tool, the hook repository's URL, or "ACTION INPUT" for an action input
    old: str  # as written
    new: str
    kind: str = "pin"  # "rev", "pin" (name==X), "input" (an action's `with:`), "range"

    def line(self) -> str:
        return f"`{self.file}`: {self.name} {self.old} -> {self.new}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def _run(command: list[str], cwd: Path, what: str, env: Mapping[str, str] | None = None) -> str:
    try:
        done = subprocess.run(
            command, cwd=cwd, env=dict(env or os.environ), capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise Failed(f"{what}: {command[0]} is not on PATH") from None
    if done.returncode != 0:
        raise Failed(f"{what} exited {done.returncode}: {_last_line(done.stderr + done.stdout)}")
    return done.stdout


# --- prepare: rewriting pinned text in template files ----------------------------------------------


def replace_rev(text: str, url: str, old: str, new: str) -> str:
    """The `rev:` of the `- repo: url` block moved from old to new; exactly one such block."""
    block = re.compile(
        r"(^[ \t]*-[ \t]+repo:[ \t]*['\"]?" + re.escape(url) + r"['\"]?[ \t]*\n"
        r"(?:[ \t]+(?!-)[^\n]*\n)*?[ \t]+rev:[ \t]*['\"]?)" + re.escape(old) + r"(?=['\"]?[ \t]*(?:#|\n|$))",
        re.MULTILINE,
    )
    changed, count = block.subn(lambda match: match[1] + new, text)
    if count != 1:
        raise Failed(f"rev {old} of {url}: found {count} times, not once", EXIT_MISMATCH)
    return changed


def replace_pin(text: str, name: str, old: str, new: str) -> tuple[str, int]:
    """Every `name[extras]==old` (not part of a longer name or version) as `name[extras]==new`."""
    spelled = "[-_.]+".join(re.escape(part) for part in re.split(r"[-_.]+", name))
    pattern = re.compile(
        r"(?<![\w.\-/])(" + spelled + r"(?:\[[\w,\s-]*\])?==)" + re.escape(old) + r"(?![\w.+!-]*\d)",
        re.IGNORECASE,
    )
    return pattern.subn(lambda match: match[1] + new, text)


def replace_input(text: str, action: str, name: str, old: str, new: str) -> tuple[str, int]:
    """`name: old` as `name: new` in every step that uses `action` (the step's own lines only)."""
    step = re.compile(
        r"(^[ \t]*(?:-[ \t]+)?uses:[ \t]*['\"]?" + re.escape(action) + r"@[^\n]*\n"
        r"(?:(?![ \t]*-[ \t])[^\n]*\n)*?"  # never into the next step
        r"[ \t]+" + re.escape(name) + r":[ \t]*['\"]?)" + re.escape(old) + r"(?=['\"]?[ \t]*(?:#|\n|$))",
        re.MULTILINE,
    )
    return step.subn(lambda match: match[1] + new, text)


def _written_ranges(text: str, name: str) -> list[re.Match[str]]:
    """Each `name[extras]<range>` in text, the range as written up to a quote, `;` or line end."""
    spelled = "[-_.]+".join(re.escape(part) for part in re.split(r"[-_.]+", name))
    pattern = re.compile(
        r"(?<![\w.\-/])" + spelled + r"(?:\[[\w,\s-]*\])?[ \t]*(?P<range>[<>=!~][^\"'\n;#]*?)"
        r"(?=[ \t]*(?:[\"'\n;#]|$))",
        re.IGNORECASE,
    )
    return list(pattern.finditer(text))


def _same_range(written: str, pinned: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(written) == SpecifierSet(pinned)
    except InvalidSpecifier:
        return False


def written_range(text: str, name: str, pinned: str) -> str | None:
    """The range of `name` as the file writes it (`>=0.13.6,<0.14`), `pinned` in any spelling."""
    return next((m["range"] for m in _written_ranges(text, name) if _same_range(m["range"], pinned)), None)


def replace_range(text: str, name: str, old: str, new: str) -> tuple[str, int]:
    """Every range of `name` equal to `old` (however spelled) as `new`."""
    matches = [m for m in _written_ranges(text, name) if _same_range(m["range"], old)]
    for match in reversed(matches):
        text = text[: match.start("range")] + new + text[match.end("range") :]
    return text, len(matches)


def _rewrite(template: Path, relative: str, change: Any) -> None:
    path = template / relative
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise Failed(f"{relative}: cannot read it ({error.strerror})", EXIT_MISMATCH) from None
    path.write_text(change(text), encoding="utf-8")


def _pin_rewriter(relative: str, name: str, old: str, new: str) -> Any:
    def change(text: str) -> str:
        changed, count = replace_pin(text, name, old, new)
        if count == 0:
            raise Failed(f"{relative}: no `{name}=={old}` to move to {new}", EXIT_MISMATCH)
        return changed

    return change


def _counted_rewriter(relative: str, what: str, replace: Any) -> Any:
    def change(text: str) -> str:
        changed, count = replace(text)
        if count == 0:
            raise Failed(f"{relative}: no {what} to move", EXIT_MISMATCH)
        return changed

    return change


# --- prepare: which updater a pin has ------------------------------------------------------------


def needs_no_update(pin: Any) -> bool:
    """A lower bound alone (`pytest>=9`): every newer release is admitted, so it never moves."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not pin.source.startswith("pypi:") or pin.hook_repo or pin.action_input:
        return False
    try:
        specifier = SpecifierSet(pin.pinned)
    except InvalidSpecifier:
        return False
    return len(specifier) > 0 and all(item.operator in {">=", ">"} for item in specifier)


def _upper_bound_depth(pinned: str) -> int | None:
    """How many parts the `<` bound of a range has (`<0.14`: 2; `<2.0`: 1), for the ranges the refresh can
    move: one upper bound `<`, with at most lower bounds beside it. None for any other
    (`~=`, `<=`, `==X.*`, `!=`: a person decides)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    try:
        specifier = SpecifierSet(pinned)
    except InvalidSpecifier:
        return None
    uppers = [item for item in specifier if item.operator == "<"]
    if len(uppers) != 1 or any(item.operator not in {"<", ">=", ">"} for item in specifier):
        return None
    release = list(Version(uppers[0].version).release)
    while len(release) > 1 and release[-1] == 0:  # `<2.0` is as wide as `<2`
        release.pop()
    return len(release)


def moved_range(pinned: str, newest: Any) -> str | None:
    """The range written when `pinned` excludes `newest`: `>=NEWEST,<NEXT`, NEXT being newest
    cut to as many parts as the old upper bound, its last part plus one (`<0.14` -> `<0.15` for
    0.14.x, `<2` -> `<3` for 2.x): the range keeps its width and admits the newest. None for a
    range with no such rule."""
    depth = _upper_bound_depth(pinned)
    if depth is None:
        return None
    release = [*newest.release[:depth], *[0] * (depth - len(newest.release))]
    release[-1] += 1
    return f">={newest},<{'.'.join(str(part) for part in release)}"


def refresh_kind(pin: Any) -> str | None:
    """What `prepare` does with a pin of the bake it refreshes: "rev" (pre-commit autoupdate),
    "pin" (`name==X`), "input" (a tool version passed to an action), "range" (an upper-bounded
    range); None when it does nothing with it. plan() moves exactly these."""
    if pin.hook_repo is not None:
        return "rev" if pin.file == ".pre-commit-config.yaml" else None
    if _exact([pin]):
        return "pin"
    if pin.action_input is not None and pin.source.startswith(("pypi:", "action:")):
        return "input"
    if pin.source.startswith("pypi:") and _upper_bound_depth(pin.pinned) is not None:
        return "range"
    return None


# --- prepare: what moves -------------------------------------------------------------------------


def hook_revs(config: Path) -> dict[str, str]:
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    return {str(repo["repo"]): str(repo["rev"]) for repo in data.get("repos", []) if "rev" in repo}


def hook_versions(revs: Mapping[str, str], data: Mapping[str, Any]) -> dict[str, str]:
    """Tool (canonical PyPI name) -> the version its hook's rev stands for, per .github/pins.toml."""
    from packaging.utils import canonicalize_name
    from pins_behind import _repo_key

    sources = {_repo_key(url): entry for url, entry in data.get("hook-repos", {}).items()}
    versions = {}
    for url, rev in revs.items():
        entry = sources.get(_repo_key(url), {})
        if "pypi" in entry and "components" not in entry:
            versions[str(canonicalize_name(entry["pypi"]))] = rev.removeprefix("v")
    return versions


def _exact(pins: Iterable[Any]) -> list[tuple[str, str, str]]:
    """`name==X` tool pins; a lock's versions are uv's to move, not text to replace."""
    return [
        (pin.file, pin.name, pin.pinned.removeprefix("=="))
        for pin in pins
        if pin.source.startswith("pypi:")
        and pin.pinned.startswith("==")
        and pin.hook_repo is None
        and Path(pin.file).name != "uv.lock"
    ]


def exact_pins(root: Path, data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(file, name, version) of every `name==version` tool pin of a bake, as pins_behind reads them."""
    from pins_behind import project_pins

    return _exact(project_pins(root, data))


def own_pins(template: Path) -> list[tuple[str, str, str]]:
    """The same for the template's own pyproject.toml (its uv.lock is uv's to move)."""
    from pins_behind import pyproject_pins

    return _exact(pyproject_pins(template / "pyproject.toml", "pyproject.toml"))


def behind(project: Path, index: str) -> dict[str, str]:
    """Package (canonical name) -> newest release on the index, for the bake's pins behind, from
    pins_behind --json (an action input is named by its package: codecov-cli, not the action)."""
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    script = Path(__file__).with_name("pins_behind.py")
    command = [sys.executable, str(script), "--project", str(project), "--json", "--index-url", index]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in {0, 1, 3}:
        raise Failed(f"pins_behind.py exited {done.returncode}: {_last_line(done.stderr + done.stdout)}")
    try:
        found = json.loads(done.stdout)["behind"]
    except (ValueError, KeyError, TypeError):
        raise Failed("pins_behind.py --json printed no JSON report") from None
    newest: dict[str, str] = {}
    for item in found:
        kind, _, package = item["source"].partition(":")
        key = str(canonicalize_name(package))
        if kind == "pypi" and Version(item["newest"]) > Version(newest.get(key, "0")):
            newest[key] = item["newest"]
    return newest


def autoupdate(project: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "refresh-pins",
        "GIT_AUTHOR_EMAIL": "refresh-pins@localhost",
        "GIT_COMMITTER_NAME": "refresh-pins",
        "GIT_COMMITTER_EMAIL": "refresh-pins@localhost",
    }
    # pre-commit finds its config through the git repository the bake does not have yet.
    _run(["git", "init", "--quiet"], project, "git init in the bake", env)
    _run([sys.executable, "-m", "pre_commit", "autoupdate"], project, "pre-commit autoupdate", env)


def _bake(template: Path, output: Path) -> Path:
    from pins_behind import BakeFailed, bake

    try:
        return bake(template, {}, output)
    except BakeFailed as error:
        raise Failed(error.one_line()) from None


def plan(template: Path, project: Path, data: Mapping[str, Any], index: str) -> tuple[list[Move], dict]:
    """The moves that bring the template to the refreshed bake, and the tool versions meant."""
    from packaging.utils import canonicalize_name
    from packaging.version import Version
    from pins_behind import project_pins

    config = project / ".pre-commit-config.yaml"
    old_revs = hook_revs(config)
    autoupdate(project)
    new_revs = hook_revs(config)
    moves = [
        Move(f"{PROJECT_DIR}/.pre-commit-config.yaml", url, rev, new_revs[url], "rev")
        for url, rev in old_revs.items()
        if new_revs.get(url, rev) != rev
    ]
    hooks = hook_versions(new_revs, data)
    newest = behind(project, index)
    meant = dict(hooks)
    pins = project_pins(project, data)

    def follow(file: str, shown: str, key: str, version: str, what: str) -> str:
        """The version a tool pin moves to: its hook's, else the newest, else as meant elsewhere."""
        target = hooks.get(key) or newest.get(key) or meant.get(key) or version
        meant.setdefault(key, target)
        if Version(target) < Version(version):
            raise Failed(
                f"{PROJECT_DIR}/{file}: {shown} is ahead of {what} ({target}); "
                "move the hook rev or the pin by hand",
                EXIT_MISMATCH,
            )
        return target

    for file, name, version in _exact(pins):
        target = follow(file, f"{name}=={version}", str(canonicalize_name(name)), version, "its hook's rev")
        if target != version:
            moves.append(Move(f"{PROJECT_DIR}/{file}", name, f"=={version}", f"=={target}"))
    for pin in pins:
        kind = refresh_kind(pin)
        if kind == "input":
            moves += _input_move(pin, pins, follow)
        elif kind == "range" and pin.key and str(canonicalize_name(pin.key)) in newest:
            moves += _range_move(project, pin, Version(newest[str(canonicalize_name(pin.key))]))
    # The template's own pins of the same tools run its tests with the versions the bake pins.
    for file, name, version in own_pins(template):
        target = meant.get(str(canonicalize_name(name)), version)
        if target != version:
            moves.append(Move(file, name, f"=={version}", f"=={target}"))
    return moves, meant


def _input_move(pin: Any, pins: list[Any], follow: Any) -> list[Move]:
    """An action input keeps its written form (a leading `v` stays); its version is the package's
    (like a `==` pin) or, when the action ships the tool, the action's own `# vX.Y.Z` comment."""
    from packaging.utils import canonicalize_name
    from packaging.version import Version
    from pins_behind import _version

    prefix = "v" if pin.pinned.startswith("v") else ""
    version = pin.pinned.removeprefix("v")
    if _version(version) is None:
        raise Failed(f"{PROJECT_DIR}/{pin.file}: {pin.name} is {pin.pinned!r}, not a version", EXIT_MISMATCH)
    if pin.source.startswith("pypi:"):
        shown = f"{pin.name} {pin.pinned}"
        target = follow(pin.file, shown, str(canonicalize_name(pin.key)), version, "its hook's rev")
    else:
        tags = sorted(
            {other.pinned for other in pins if other.file == pin.file and other.sha and other.key == pin.key}
        )
        if len(tags) != 1 or _version(tags[0]) is None:
            found = f"pins it at {', '.join(tags)}" if tags else "does not pin it by SHA"
            raise Failed(
                f"{PROJECT_DIR}/{pin.file}: {pin.name} follows the tag of {pin.key}, and the file {found}: "
                "one SHA pin with a `# vX.Y.Z` comment is needed",
                EXIT_MISMATCH,
            )
        target = tags[0].removeprefix("v")
        if Version(target) < Version(version):
            raise Failed(
                f"{PROJECT_DIR}/{pin.file}: {pin.name} {pin.pinned} is ahead of {pin.key} {tags[0]}; "
                "move it by hand",
                EXIT_MISMATCH,
            )
    if target == version:
        return []
    return [Move(f"{PROJECT_DIR}/{pin.file}", pin.name, pin.pinned, prefix + target, "input")]


def _range_move(project: Path, pin: Any, newest: Any) -> list[Move]:
    from packaging.specifiers import SpecifierSet

    if SpecifierSet(pin.pinned).contains(newest):
        return []
    new = moved_range(pin.pinned, newest)
    written = written_range((project / pin.file).read_text(encoding="utf-8"), pin.name, pin.pinned)
    if new is None or written is None:
        raise Failed(
            f"{PROJECT_DIR}/{pin.file}: {pin.name}{pin.pinned} excludes {newest} and has no rewrite rule; "
            "move it by hand",
            EXIT_MISMATCH,
        )
    return [Move(f"{PROJECT_DIR}/{pin.file}", pin.name, written.strip(), new, "range")]


def refuse_unsafe(moves: Iterable[Move]) -> None:
    """Every value a move writes is a plain tag or version (a range: each of its bounds)."""
    for move in moves:
        parts = move.new.split(",") if move.kind == "range" else [move.new.removeprefix("==")]
        if not all(SAFE_VERSION.fullmatch(part.lstrip("<>=!~")) for part in parts):
            raise Failed(
                f"refused: {move.file}: {move.name} would move to {move.new!r}, not a plain tag or version",
                EXIT_MISMATCH,
            )


def apply(template: Path, moves: list[Move]) -> None:
    refuse_unsafe(moves)
    for move in moves:
        if move.kind == "rev":
            _rewrite(template, move.file, lambda text, m=move: replace_rev(text, m.name, m.old, m.new))
        elif move.kind == "input":
            action, _, name = move.name.partition(" ")
            change = _counted_rewriter(
                move.file,
                f"`{name}: {move.old}` in a step of {action}",
                lambda text, m=move, a=action, n=name: replace_input(text, a, n, m.old, m.new),
            )
            _rewrite(template, move.file, change)
        elif move.kind == "range":
            change = _counted_rewriter(
                move.file,
                f"`{move.name}{move.old}`",
                lambda text, m=move: replace_range(text, m.name, m.old, m.new),
            )
            _rewrite(template, move.file, change)
        else:
            old, new = move.old.removeprefix("=="), move.new.removeprefix("==")
            _rewrite(template, move.file, _pin_rewriter(move.file, move.name, old, new))


def check(template: Path, output: Path, data: Mapping[str, Any], moves: list[Move], meant: dict) -> None:
    """Bake again: every moved pin is there, and each tool has the one version meant."""
    from packaging.utils import canonicalize_name
    from pins_behind import project_pins

    project = _bake(template, output)
    revs = hook_revs(project / ".pre-commit-config.yaml")
    for move in moves:
        if move.file.endswith(".pre-commit-config.yaml") and revs.get(move.name) != move.new:
            raise Failed(f"baked again, {move.name} is at rev {revs.get(move.name)}, not {move.new}", 1)
    found = {str(key): version for key, version in hook_versions(revs, data).items()}
    pins = project_pins(project, data)
    for file, name, version in _exact(pins):
        key = str(canonicalize_name(name))
        expected = meant.get(key, version)
        if version != expected or found.setdefault(key, version) != version:
            raise Failed(f"baked again, {file} pins {name}=={version}, not {expected}", EXIT_MISMATCH)
    for move in moves:
        if move.kind not in {"input", "range"}:
            continue
        file = move.file.removeprefix(f"{PROJECT_DIR}/")
        seen = sorted({pin.pinned for pin in pins if pin.file == file and pin.name == move.name})
        landed = [_same_range(text, move.new) if move.kind == "range" else text == move.new for text in seen]
        if not seen or not all(landed):
            raise Failed(
                f"baked again, {file} has {move.name} {', '.join(seen) or 'nowhere'}, not {move.new}",
                EXIT_MISMATCH,
            )


def body(moves: list[Move]) -> str:
    lines = [
        "Pins that Dependabot cannot move: the bake's pre-commit revs, `==` tool pins, tool versions",
        "passed to actions and ranges that exclude the newest release, written into the template's",
        "files, and the template's own pins of the same tools.",
        "Made by `.github/workflows/refresh-pins.yml` (`.github/scripts/refresh_pins.py`).",
        "",
        *(f"- {move.line()}" for move in moves),
        "",
        "Opened with the workflow's token, this pull request starts no CI: close and reopen it",
        "to run Template CI, or add a `REFRESH_PINS_TOKEN` secret (README, Keeping pins current).",
    ]
    return "\n".join(lines) + "\n"


def _set_output(changed: bool) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with Path(target).open("a", encoding="utf-8") as sink:
            sink.write(f"changed={'true' if changed else 'false'}\n")


def prepare(args: argparse.Namespace) -> int:
    from pins_behind import load_data

    template = args.template
    data = load_data(template / ".github" / "pins.toml")
    with tempfile.TemporaryDirectory(prefix="refresh-pins-") as scratch:
        project = _bake(template, Path(scratch) / "before")
        moves, meant = plan(template, project, data, args.index_url)
        if not moves:
            # An open refresh pull request stays: it may carry a maintainer's commits, and
            # closing it would need the write token on a run with nothing to propose.
            print(
                "nothing to refresh: every pin outside Dependabot's reach is current "
                f"(a pull request from {BRANCH} still open is left as it is)"
            )
            _set_output(False)
            return 0
        apply(template, moves)
        moved_here = sorted({move.name for move in moves if move.file == "pyproject.toml"})
        if moved_here:
            upgrades = [part for name in moved_here for part in ("--upgrade-package", name)]
            _run(["uv", "lock", *upgrades], template, "uv lock")
        check(template, Path(scratch) / "after", data, moves, meant)
    for move in moves:
        print(move.line())
    if args.body:
        args.body.parent.mkdir(parents=True, exist_ok=True)
        args.body.write_text(body(moves), encoding="utf-8")
    if args.patch:
        args.patch.parent.mkdir(parents=True, exist_ok=True)
        args.patch.write_text(_run(["git", "diff", "--binary"], template, "git diff"), encoding="utf-8")
    if args.files:
        changed = _run(["git", "diff", "--name-only", "-z"], template, "git diff --name-only")
        args.files.parent.mkdir(parents=True, exist_ok=True)
        args.files.write_text("".join(f"{path}\n" for path in changed.split("\0") if path), encoding="utf-8")
    _set_output(True)
    return 0


# --- propose: standard library and git only --------------------------------------------------------


def _api(method: str, url: str, token: str, payload: Any = None) -> Any:
    request = urllib.request.Request(
        url,
        method=method,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            **({"Content-Type": "application/json"} if payload is not None else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except ValueError:
        raise Failed(f"GitHub answered {method} {url} with something that is not JSON") from None
    except urllib.error.HTTPError as error:
        with error:
            try:
                message = json.load(error).get("message", "")
            except (ValueError, AttributeError):
                message = ""
        raise Failed(f"GitHub answered HTTP {error.code} to {method} {url}: {message}".rstrip(": ")) from None
    except (urllib.error.URLError, OSError) as error:
        raise Failed(f"GitHub unreachable at {url}: {getattr(error, 'reason', error)}") from None


def patch_paths(root: Path, patch: Path) -> list[str]:
    """Every path a patch would touch, read by git without applying anything."""
    out = _run(["git", "apply", "--numstat", "-z", str(patch)], root, "git apply --numstat")
    fields = out.split("\0")
    paths: list[str] = []
    index = 0
    while index < len(fields):
        entry = fields[index]
        index += 1
        if not entry:
            continue
        path = entry.split("\t", 2)[2]
        if not path:  # a rename or copy: the old and the new path follow
            paths += fields[index : index + 2]
            index += 2
        else:
            paths.append(path)
    return sorted(set(paths))


def _refuse_outside(paths: Iterable[str], listed: Iterable[str]) -> None:
    """The change touches exactly the files prepare listed, each one the refresh ever writes."""
    paths, listed = sorted(set(paths)), sorted(set(listed))
    outside = [path for path in sorted({*paths, *listed}) if path not in WRITABLE]
    if outside:
        raise Failed(f"refused: the change touches files the refresh never writes: {', '.join(outside)}", 2)
    if paths != listed:
        differ = sorted(set(paths) ^ set(listed))
        raise Failed(
            f"refused: the change and prepare's list of changed files differ on {', '.join(differ)}", 2
        )


def changed_paths(root: Path) -> list[str]:
    out = _run(["git", "status", "--porcelain=v1", "-z", "--untracked-files=all"], root, "git status")
    entries = [entry for entry in out.split("\0") if entry]
    return sorted(entry[3:] for entry in entries)


def _bot_env() -> dict[str, str]:
    """The refresh's identity, for its commit; no credential."""
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": BOT_NAME,
        "GIT_AUTHOR_EMAIL": BOT_EMAIL,
        "GIT_COMMITTER_NAME": BOT_NAME,
        "GIT_COMMITTER_EMAIL": BOT_EMAIL,
    }


def _remote_env(token: str, server: str) -> dict[str, str]:
    """The push credential as checkout passes it: an extra header for the server only, in the
    environment (never on disk or in a command line), and only for the git commands that talk
    to the remote (ls-remote, fetch, push)."""
    first = int(os.environ.get("GIT_CONFIG_COUNT") or 0)
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        **os.environ,
        "GIT_CONFIG_COUNT": str(first + 1),
        f"GIT_CONFIG_KEY_{first}": f"http.{server}/.extraheader",
        f"GIT_CONFIG_VALUE_{first}": f"AUTHORIZATION: basic {basic}",
    }


def default_branch(api: str, repository: str, token: str) -> str:
    """DEFAULT_BRANCH as the workflow passes it; a scheduled run's event names no repository,
    so then the API's answer."""
    named = os.environ.get("DEFAULT_BRANCH", "").strip()
    return named or str(_api("GET", f"{api}/repos/{repository}", token)["default_branch"])


def _read_list(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise Failed(f"--files {path}: cannot read it ({error.strerror})", EXIT_USAGE) from None
    return [line for line in text.splitlines() if line]


def remote_branch(root: Path, remote: str, env: Mapping[str, str]) -> str | None:
    """The commit the refresh branch holds on the remote, fetched; None if there is no branch."""
    heads = _run(["git", "ls-remote", "--heads", remote, f"refs/heads/{BRANCH}"], root, "git ls-remote", env)
    if not heads.strip():
        return None
    _run(["git", "fetch", "--quiet", "--no-tags", remote, f"refs/heads/{BRANCH}"], root, "git fetch", env)
    return _run(["git", "rev-parse", "FETCH_HEAD"], root, "git rev-parse").strip()


def refuse_others_commits(root: Path, base: str, fetched: str) -> None:
    """Every commit on the branch and not on the base is the refresh's own (author and committer)."""
    log = _run(
        ["git", "log", "--format=%h%x00%an%x00%ae%x00%cn%x00%ce", f"{base}..{fetched}"], root, "git log"
    )
    for line in log.splitlines():
        short, *people = line.split("\0")
        if people != [BOT_NAME, BOT_EMAIL, BOT_NAME, BOT_EMAIL]:
            raise Failed(
                f"refused: {BRANCH} holds commit {short} by {people[0]} <{people[1]}>, not the refresh's; "
                f"merge or close its pull request (and delete the branch) first",
                EXIT_USAGE,
            )


def propose(args: argparse.Namespace) -> int:
    token = os.environ.get("GITHUB_TOKEN", "")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    if not token or "/" not in repository:
        raise Failed("propose needs GITHUB_TOKEN and GITHUB_REPOSITORY (owner/name) set", EXIT_USAGE)
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    root = args.template
    # Backs up the environment's deployment-branch rule (README): a branch of anyone with write
    # access runs its own copy of this script, so that rule is what keeps the token from it.
    default = default_branch(api, repository, token)
    ref = os.environ.get("GITHUB_REF", "")
    if ref != f"refs/heads/{default}":
        raise Failed(
            f"refused: propose runs from refs/heads/{default} only, not {ref or '(GITHUB_REF unset)'}", 2
        )
    listed = _read_list(args.files)
    if args.patch is not None:
        # Checked before it is applied: this script, as checked out, is what holds the write
        # token, and a patch that rewrote it (or anything else it runs) must never be applied.
        if not args.patch.is_file():
            raise Failed(f"--patch {args.patch}: no such file", EXIT_USAGE)
        _refuse_outside(patch_paths(root, args.patch), listed)
        _run(["git", "apply", str(args.patch)], root, "git apply")
    paths = changed_paths(root)
    if not paths:
        print("nothing to propose: the work tree has no change")
        return 0
    _refuse_outside(paths, listed)
    try:
        text = args.body.read_text(encoding="utf-8")
    except OSError as error:
        raise Failed(f"--body {args.body}: cannot read it ({error.strerror})", EXIT_USAGE) from None
    if _run(["git", "rev-parse", "--abbrev-ref", "HEAD"], root, "git rev-parse").strip() == "HEAD":
        raise Failed("propose needs the base branch checked out, not a detached HEAD", EXIT_USAGE)
    owner = repository.split("/")[0]
    pulls = f"{api}/repos/{repository}/pulls"
    query = urllib.parse.urlencode({"head": f"{owner}:{BRANCH}", "state": "open"})
    open_pulls = _api("GET", f"{pulls}?{query}", token)
    if open_pulls and open_pulls[0]["base"]["ref"] != default:
        number, other = open_pulls[0]["number"], open_pulls[0]["base"]["ref"]
        raise Failed(
            f"refused: pull request #{number} from {BRANCH} targets {other}, not {default}; close it first", 2
        )
    remote = args.remote or f"{server}/{repository}.git"
    remote_env = _remote_env(token, server)
    fetched = remote_branch(root, remote, remote_env)
    if fetched is not None:
        refuse_others_commits(root, "HEAD", fetched)
    _run(["git", "switch", "--quiet", "-C", BRANCH], root, "git switch")
    _run(["git", "add", "--", *paths], root, "git add")
    _run(["git", "commit", "--quiet", "--no-verify", "-m", TITLE], root, "git commit", _bot_env())
    tree = _run(["git", "rev-parse", "HEAD^{tree}"], root, "git rev-parse").strip()
    if (
        fetched is not None
        and tree == _run(["git", "rev-parse", f"{fetched}^{{tree}}"], root, "git rev-parse").strip()
    ):
        print(f"{BRANCH} already holds this change: nothing pushed")
    else:
        lease = f"--force-with-lease=refs/heads/{BRANCH}:{fetched or ''}"
        _run(
            ["git", "push", "--quiet", lease, remote, f"HEAD:refs/heads/{BRANCH}"],
            root,
            "git push",
            remote_env,
        )
    if open_pulls:
        pull = _api("PATCH", f"{pulls}/{open_pulls[0]['number']}", token, {"title": TITLE, "body": text})
        print(f"updated {pull['html_url']}")
    else:
        payload = {"title": TITLE, "head": BRANCH, "base": default, "body": text}
        pull = _api("POST", pulls, token, payload)
        print(f"opened {pull['html_url']}")
    return 0


# --- the command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__[__doc__.index("Exit codes:") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    prepare_command = commands.add_parser("prepare", help="refresh the template's files in place")
    prepare_command.add_argument("--body", type=Path, help="write the pull request's text here")
    prepare_command.add_argument("--patch", type=Path, help="write the change (git diff) here")
    prepare_command.add_argument("--files", type=Path, help="write the changed files' paths here, one a line")
    prepare_command.add_argument(
        "--index-url",
        type=http_url,
        default="https://pypi.org/pypi",
        help="package index JSON API base (default: %(default)s)",
    )
    propose_command = commands.add_parser("propose", help="commit, push and open or update the pull request")
    propose_command.add_argument("--body", type=Path, required=True, help="the pull request's text")
    propose_command.add_argument(
        "--files",
        type=Path,
        required=True,
        help="prepare's list of changed files: the change must touch exactly these",
    )
    propose_command.add_argument("--remote", help="where to push (default: the repository on GitHub)")
    propose_command.add_argument(
        "--patch", type=Path, help="the prepare job's change: its paths are checked, then it is applied"
    )
    args = parser.parse_args(argv)
    args.template = REPOSITORY
    try:
        return prepare(args) if args.command == "prepare" else propose(args)
    except Failed as error:
        print(f"error: {error}", file=sys.stderr)
        return error.code


if __name__ == "__main__":
    sys.exit(main())
