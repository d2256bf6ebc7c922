"""List every pinned version that is behind its newest release, for the template and its bakes.

    uv run python .github/scripts/pins_behind.py                # template + default and all-options bakes
    uv run python .github/scripts/pins_behind.py --project DIR  # one baked project
    uv run python .github/scripts/pins_behind.py --json         # the same, as one JSON document

Pins are read from the files that hold them: `pyproject.toml` (build requires, dependencies,
dependency groups; a range must admit the newest release), `uv.lock`, `.pre-commit-config.yaml`
(each hook repository's rev, mapped to a package release in .github/pins.toml, and every
additional dependency), `package.json`, workflow and action files (SHA pins with their
`# vX.Y.Z` comment, and tool versions passed to actions), and `name==X.Y.Z` anywhere else in
text (`uvx twine==X.Y.Z` in a workflow, `pip install "uv==X.Y.Z"`, scripts, README commands),
`uvx NAME@X.Y.Z` and `npx NAME@X.Y.Z`, and ranges in pip/uv install commands. An action pinned
by tag (`uses: owner/repo@vN`) is reported as unpinned; container images (`docker://`, a
Dockerfile's FROM) are listed as not checkable: no container registry is asked. A `uv.lock`
package, or a dependency, that comes from another index than PyPI is listed, never sent to PyPI.

Newest releases come from PyPI and npm. GitHub is not asked: actions are compared with a list of
verified action pins (`--actions-pins`, by default ../shared/actions-pins.json beside the
repository); without one they are left to Dependabot and the script says so.

Prints one line per pin behind (`file: name pinned X, newest Y`), one per pin not checkable, the
pins held back in .github/pins.toml with their reason, newer action releases seen but not
verified, the pins not asked of PyPI, notes (stale holds; on a full run, [hook-repos] entries no
pre-commit config uses) and a summary. With --json it prints one JSON object instead: `behind`
(tool pins behind, each with file, name, source, pinned and newest; action pins stay in `lines`)
and `lines` (the text report), with the same exit code.
Needs the package indexes, so it is a script, not a test; its parsing is tested offline against
a local fake index.

Exit codes:
  0  every pin checked is current
  1  a pin is behind (wins over 3: what is known to be behind is reported even when other pins
     could not be checked; the summary counts those)
  2  usage error: a bad option, --project not a directory, --data or --actions-pins unreadable
  3  nothing known behind, but some pins could not be checked (an index unreachable or answering
     something that is not JSON, an action pinned by tag instead of SHA, a container image, a hook
     repository or action with no known source) or a bake failed
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from command_line import OneLineParser, http_url
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

REPOSITORY = Path(__file__).resolve().parents[2]
DATA = REPOSITORY / ".github" / "pins.toml"
DEFAULT_ACTIONS_PINS = REPOSITORY.parent / "shared" / "actions-pins.json"
PYPI = "https://pypi.org/pypi"
PYPI_SIMPLE = "https://pypi.org/simple"  # a lock source that PyPI's JSON API answers for
NPM = "https://registry.npmjs.org"

FetchJson = Callable[[str], Any]
EXIT_BEHIND, EXIT_USAGE, EXIT_UNCHECKABLE = 1, 2, 3

# An exact requirement (name, optional [extras], ==, version) in free text; the name must not
# continue a longer word or path.
_TEXT_PIN = re.compile(
    r"(?<![\w.\-/])(?P<name>[A-Za-z][A-Za-z0-9._-]*)(?:\[[A-Za-z0-9_,\s-]*\])?==(?P<version>\d[0-9A-Za-z.!+-]*\d|\d)"
)
# `uses: owner/repo[/path]@<40 hex> # vX.Y.Z`: the comment is the version the SHA stands for.
_USES = re.compile(
    r"uses:\s*['\"]?(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)@(?P<sha>[0-9a-f]{40})['\"]?"
    r"(?:\s*#\s*(?P<tag>v?\d[\w.-]*))?"
)
# Any step's or job's `uses:` at the start of a line (not in a comment): the reference as written.
_ANY_USES = re.compile(r"^[ \t]*(?:-[ \t]+)?uses:[ \t]*['\"]?(?P<ref>[^\s'\"#]+)", re.MULTILINE)
# `npx NAME@X.Y.Z` (also bunx, pnpm dlx, yarn dlx; npm scopes allowed): an npm pin.
_NPX = re.compile(
    r"(?<![\w.-])(?:npx|bunx|pnpm[ \t]+dlx|yarn[ \t]+dlx)(?:[ \t]+(?:-y|--yes|-q|--quiet))*[ \t]+['\"]?"
    r"(?P<name>(?:@[\w.-]+/)?[A-Za-z0-9][\w.-]*)@(?P<version>\d[0-9A-Za-z.+-]*\d|\d)"
)
# `uvx NAME@X.Y.Z` (also `uvx --from`, `uv tool run|install`, `pipx run|install`): a PyPI pin.
_UVX = re.compile(
    r"(?<![\w.-])(?:uvx|uv[ \t]+tool[ \t]+(?:run|install)|pipx[ \t]+(?:run|install))(?:[ \t]+--from)?"
    r"[ \t]+['\"]?(?P<name>[A-Za-z][\w.-]*)(?:\[[\w,\s-]*\])?@(?P<version>\d[0-9A-Za-z.!+-]*\d|\d)"
)
# An install command; its requirements with a range (`"black<23"`) must admit the newest release.
_INSTALL = re.compile(
    r"(?<![\w.-])(?:pip3?[ \t]+install|uv[ \t]+pip[ \t]+install|uv[ \t]+add|uv[ \t]+tool[ \t]+install"
    r"|pipx[ \t]+install)\b(?P<rest>[^\n]*)"
)
# A Dockerfile's base image: `FROM [--platform=...] IMAGE [AS STAGE]`.
_FROM = re.compile(
    r"^[ \t]*FROM[ \t]+(?:--\S+[ \t]+)*(?P<image>\S+)(?:[ \t]+AS[ \t]+(?P<stage>\S+))?", re.I | re.M
)
_STRUCTURED = {"pyproject.toml", "uv.lock", ".pre-commit-config.yaml", "package.json"}


class BakeFailed(RuntimeError):
    """cookiecutter could not bake the template with the given answers."""

    def one_line(self) -> str:
        """The headline and the reason: a hook's own `error:` line, else cookiecutter's last line."""
        headline, _, output = str(self).partition("\n")
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        reason = next((line for line in lines if line.startswith("error: ")), lines[-1] if lines else "")
        return f"{headline.removesuffix(':')}: {reason.removeprefix('error: ')}".removesuffix(": ")


class ReleaseLookupError(LookupError):
    """A package index could not answer for one package."""


@dataclass(frozen=True)
class Pin:
    """One pinned version, where it is, and how to find its newest release."""

    file: str
    name: str
    pinned: str  # as written: "v0.17.6", "==1.2.3", ">=0.13.6,<0.14"
    # "pypi:NAME", "npm:NAME", "final:VERSION", "action:OWNER/REPO[/PATH]"; "skip:WHY" for a pin
    # deliberately not looked up (listed with the reason, never sent to an index)
    source: str
    components: int | None = None  # compare only the first N release components of the newest
    sha: str | None = None
    hook_repo: str | None = None  # a pre-commit rev: its repository, as .github/pins.toml keys it
    # A tool version passed to an action: (the action as `uses:` names it, the input's name).
    action_input: tuple[str, str] | None = None

    @property
    def key(self) -> str:
        return self.source.partition(":")[2]


def _grouped(lines: Iterable[str]) -> list[str]:
    places: dict[str, list[str]] = {}
    for line in lines:
        file, _, message = line.partition(": ")
        places.setdefault(message, []).append(file)
    return [
        f"{files[0]}{f' (+{len(files) - 1} more)' if len(files) > 1 else ''}: {message}"
        for message, files in places.items()
    ]


@dataclass
class Report:
    behind: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # The tool pins behind, as data (--json; .github/scripts/refresh_pins.py moves them).
    found: list[dict[str, str]] = field(default_factory=list)
    checked: int = 0

    def lines(self) -> list[str]:
        """Behind and uncheckable pins one per place; held and unverified ones once per pin."""
        summary = (
            f"{self.checked} pins checked: {len(self.behind)} behind, {len(self.held)} held back, "
            f"{len(self.unverified)} with a newer unverified release, {len(self.problems)} not checkable"
        )
        grouped = [*_grouped(self.held), *_grouped(self.unverified), *_grouped(self.skipped)]
        return [*self.behind, *self.problems, *grouped, *self.notes, summary]

    @property
    def exit_code(self) -> int:
        if self.behind:
            return EXIT_BEHIND
        return EXIT_UNCHECKABLE if self.problems else 0


# --- reading pins -------------------------------------------------------------------------------


def _requirement_pins(
    file: str, requirements: Iterable[Any], elsewhere: Mapping[str, str] | None = None
) -> Iterator[Pin]:
    for item in requirements:
        if not isinstance(item, str):
            continue  # {include-group = "..."}
        try:
            requirement = Requirement(item)
        except InvalidRequirement:
            continue
        if requirement.url or not str(requirement.specifier):
            continue
        why = (elsewhere or {}).get(canonicalize_name(requirement.name))
        source = f"skip:{why}" if why else f"pypi:{requirement.name}"
        yield Pin(file, requirement.name, str(requirement.specifier), source)


def _without_credentials(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _from_pypi(registry: str) -> bool:
    return registry.rstrip("/") == PYPI_SIMPLE


def _not_from_pypi(registry: str) -> str:
    return f"locked from {_without_credentials(registry)}, not PyPI: not asked, so the name stays off PyPI"


def _elsewhere(data: Mapping[str, Any], lock: Path) -> dict[str, str]:
    """Dependency names that come from somewhere other than PyPI -> why, from `[tool.uv]` and
    the lock beside the pyproject.toml: their names must not be sent to PyPI."""
    uv = data.get("tool", {}).get("uv", {})
    indexes = {entry.get("name"): str(entry.get("url", "")) for entry in uv.get("index", [])}
    elsewhere: dict[str, str] = {}
    for name, sources in (uv.get("sources") or {}).items():
        for source in sources if isinstance(sources, list) else [sources]:
            if "index" in source and _from_pypi(indexes.get(source["index"], "")):
                continue
            kind = next((key for key in ("index", "git", "path", "url", "workspace") if key in source), "")
            elsewhere[canonicalize_name(name)] = f"from [tool.uv.sources] ({kind}), not PyPI: not asked"
    if lock.is_file():
        for package in tomllib.loads(lock.read_text(encoding="utf-8")).get("package", []):
            registry = package.get("source", {}).get("registry")
            if registry is not None and not _from_pypi(registry):
                elsewhere.setdefault(canonicalize_name(package["name"]), _not_from_pypi(registry))
    return elsewhere


def pyproject_pins(path: Path, file: str) -> Iterator[Pin]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    yield from _requirement_pins(file, data.get("build-system", {}).get("requires", []))
    elsewhere = _elsewhere(data, path.with_name("uv.lock"))
    project = data.get("project", {})
    yield from _requirement_pins(file, project.get("dependencies", []), elsewhere)
    for extra in project.get("optional-dependencies", {}).values():
        yield from _requirement_pins(file, extra, elsewhere)
    for group in data.get("dependency-groups", {}).values():
        yield from _requirement_pins(file, group, elsewhere)


def lock_pins(path: Path, file: str) -> Iterator[Pin]:
    """Packages locked from an index; only those locked from PyPI are looked up on PyPI."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for package in data.get("package", []):
        registry = package.get("source", {}).get("registry")
        if registry is None or "version" not in package:
            continue
        source = f"pypi:{package['name']}" if _from_pypi(registry) else f"skip:{_not_from_pypi(registry)}"
        yield Pin(file, package["name"], f"=={package['version']}", source)


def _repo_key(url: str) -> str:
    return url.lower().rstrip("/").removesuffix(".git")


def precommit_pins(path: Path, file: str, hook_repos: Mapping[str, Any]) -> Iterator[Pin]:
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    known = {_repo_key(url): entry for url, entry in hook_repos.items()}
    for repo in config.get("repos") or []:
        url = str(repo.get("repo", ""))
        for hook in repo.get("hooks") or []:
            yield from _requirement_pins(file, hook.get("additional_dependencies") or [])
        if url in {"local", "meta"}:
            continue
        name = url.rstrip("/").rsplit("/", 1)[-1]
        entry = known.get(_repo_key(url))
        if entry and "final" in entry:
            source = f"final:{entry['final']}"
        elif entry:
            source = f"pypi:{entry['pypi']}"
        else:
            source = f"unknown:{url}"
        yield Pin(
            file, name, str(repo.get("rev", "")), source, (entry or {}).get("components"), hook_repo=url
        )


def package_json_pins(path: Path, file: str) -> Iterator[Pin]:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for section in ("dependencies", "devDependencies"):
        for name, version in (manifest.get(section) or {}).items():
            yield Pin(file, name, str(version), f"npm:{name}")


def _steps(document: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(document, dict):
        return
    for job in (document.get("jobs") or {}).values():
        yield from (job.get("steps") or []) if isinstance(job, dict) else []
    yield from (document.get("runs") or {}).get("steps") or []


def _image(file: str, image: str) -> Pin:
    name, _, digest = image.partition("@")
    tag = name.rpartition(":")[2] if ":" in name.rpartition("/")[2] else "(no tag)"
    return Pin(file, image, digest or tag, f"image:{image}")


def workflow_pins(path: Path, file: str, action_inputs: Mapping[str, Any]) -> Iterator[Pin]:
    text = path.read_text(encoding="utf-8")
    for match in _USES.finditer(text):
        tag = match["tag"] or "(no version comment)"
        yield Pin(file, match["action"], tag, f"action:{match['action']}", sha=match["sha"])
    for match in _ANY_USES.finditer(text):
        ref = match["ref"]
        action, _, version = ref.partition("@")
        if ref.startswith(("./", "$/")) or "${{" in ref or re.fullmatch(r"[0-9a-f]{40}", version):
            continue  # a local action, an expression, or a SHA pin (read above)
        if ref.startswith("docker://"):
            yield _image(file, ref.removeprefix("docker://"))
        else:
            yield Pin(file, action, version or "(no ref)", f"unpinned:{action}")
    for step in _steps(yaml.safe_load(text)):
        uses = str(step.get("uses", "")).partition("@")[0]
        for input_name, source in (action_inputs.get(uses) or {}).items():
            value = (step.get("with") or {}).get(input_name)
            if value is None:
                continue
            kind = "pypi" if "pypi" in source else "action"
            yield Pin(
                file,
                f"{uses} {input_name}",
                str(value),
                f"{kind}:{source[kind]}",
                action_input=(uses, input_name),
            )


def text_pins(path: Path, file: str, not_pins: Iterable[str] = ()) -> Iterator[Pin]:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return
    ignored = {canonicalize_name(name) for name in not_pins}
    for match in _TEXT_PIN.finditer(text):
        name = match["name"]
        if canonicalize_name(name) in ignored:
            continue
        yield Pin(file, name, f"=={match['version']}", f"pypi:{name}")
    for match in _UVX.finditer(text):
        if canonicalize_name(match["name"]) not in ignored:
            yield Pin(file, match["name"], match["version"], f"pypi:{match['name']}")
    for match in _NPX.finditer(text):
        yield Pin(file, match["name"], match["version"], f"npm:{match['name']}")
    for match in _INSTALL.finditer(text):
        for requirement in _ranges(match["rest"]):
            if canonicalize_name(requirement.name) not in ignored:
                yield Pin(file, requirement.name, str(requirement.specifier), f"pypi:{requirement.name}")


def _ranges(arguments: str) -> Iterator[Requirement]:
    """Requirements with a range among an install command's arguments; exact `==` pins are
    read by the `name==version` pattern, and anything built by the shell is left alone."""
    try:
        words = shlex.split(arguments, comments=True)
    except ValueError:
        words = arguments.split()
    for word in words:
        if word in {"&&", "||", ";", "|"} or word.endswith(";"):
            return
        if word.startswith("-") or any(character in word for character in "$`{}()"):
            continue
        try:
            requirement = Requirement(word)
        except InvalidRequirement:
            continue
        operators = {specifier.operator for specifier in requirement.specifier}
        if requirement.url or not operators or operators & {"==", "==="}:
            continue
        yield requirement


def dockerfile_pins(path: Path, file: str) -> Iterator[Pin]:
    """Base images: not checkable here (container registries are out of reach), but listed."""
    stages: set[str] = set()
    for match in _FROM.finditer(path.read_text(encoding="utf-8")):
        image = match["image"]
        if image.lower() not in stages | {"scratch"} and "$" not in image:
            yield _image(file, image)
        if match["stage"]:
            stages.add(match["stage"].lower())


def _skipped(relative: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(relative, pattern) or relative == pattern for pattern in patterns)


def _files(root: Path) -> Iterator[Path]:
    """Files under root, without hidden folders other than .github and .ci, caches or node_modules."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if name not in {"__pycache__", "node_modules"}
            and (not name.startswith(".") or name in {".github", ".ci"})
        )
        yield from (Path(folder) / name for name in sorted(files))


def project_pins(root: Path, data: Mapping[str, Any], label: str = "") -> list[Pin]:
    """Every pin under `root`, named `label/relative-path`."""
    skip = data.get("scan", {}).get("skip", [])
    pins: list[Pin] = []
    for path in _files(root):
        relative = path.relative_to(root).as_posix()
        parts = relative.split("/")
        if _skipped(relative, skip):
            continue
        file = f"{label}{relative}"
        name = path.name
        if name == "pyproject.toml":
            pins += pyproject_pins(path, file)
        elif name == "uv.lock":
            pins += lock_pins(path, file)
        elif name == ".pre-commit-config.yaml":
            pins += precommit_pins(path, file, data.get("hook-repos", {}))
        elif name == "package.json":
            pins += package_json_pins(path, file)
        elif parts[0] == ".github" and path.suffix in {".yml", ".yaml"} and name != "dependabot.yml":
            pins += workflow_pins(path, file, data.get("action-inputs", {}))
        elif (
            name in {"Dockerfile", "Containerfile"}
            or name.startswith("Dockerfile.")
            or name.endswith(".Dockerfile")
        ):
            pins += dockerfile_pins(path, file)
        if name not in _STRUCTURED:
            pins += text_pins(path, file, data.get("scan", {}).get("not-pins", []))
    return pins


# --- newest releases ----------------------------------------------------------------------------


def fetch_json(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _release_document(name: str, url: str, fetch: FetchJson, source: str) -> dict[str, Any]:
    """The JSON object `source` (the package index, the npm registry) answers for `name`."""
    try:
        data = fetch(url)
    except urllib.error.HTTPError as error:
        raise ReleaseLookupError(f"{name}: {source} answered HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise ReleaseLookupError(f"{name}: {source} unreachable ({error})") from None
    except ValueError:  # a captive portal's HTML page, a proxy's error text
        raise ReleaseLookupError(f"{name}: {source} answered with something that is not JSON") from None
    if not isinstance(data, dict):
        raise ReleaseLookupError(f"{name}: {source} answered JSON that is not a release document")
    return data


def newest_pypi(name: str, fetch: FetchJson, index: str) -> Version:
    url = f"{index}/{urllib.parse.quote(str(canonicalize_name(name)))}/json"
    data = _release_document(name, url, fetch, "package index")
    releases = []
    for text, files in (data.get("releases") or {}).items():
        version = _version(text)
        if version is None or version.is_prerelease or version.is_devrelease:
            continue
        if files and all(file.get("yanked") for file in files):
            continue
        releases.append(version)
    if not releases:
        raise ReleaseLookupError(f"{name}: no final release on the package index")
    return max(releases)


def newest_npm(name: str, fetch: FetchJson, registry: str) -> Version:
    data = _release_document(name, f"{registry}/{urllib.parse.quote(name, safe='@')}", fetch, "npm registry")
    latest = _version(str((data.get("dist-tags") or {}).get("latest", "")))
    if latest is None:
        raise ReleaseLookupError(f"{name}: npm registry names no latest release")
    return latest


def _truncate(version: Version, components: int | None) -> Version:
    if components is None:
        return version
    return Version(".".join(str(part) for part in version.release[:components]))


# --- judging ------------------------------------------------------------------------------------


def _held_back(pin: Pin, held: Iterable[Mapping[str, str]]) -> Mapping[str, str] | None:
    pinned = _pinned_version(pin)
    for entry in held:
        same_name = canonicalize_name(entry["name"]) in {
            canonicalize_name(pin.name),
            canonicalize_name(pin.key),
        }
        if same_name and pinned is not None and _version(entry["pinned"]) == pinned:
            return entry
    return None


def _pinned_version(pin: Pin) -> Version | None:
    text = pin.pinned.removeprefix("==")
    return _version(text)


def judge_action(pin: Pin, actions: Mapping[str, Any], report: Report) -> None:
    known = actions.get(pin.key) or actions.get("/".join(pin.key.split("/")[:2]))
    if known is None:
        report.problems.append(f"{pin.file}: {pin.key} pinned {pin.pinned}, not in the verified action list")
        return
    candidates = {known["tag"]: known["sha"]}
    newer = known.get("newer_seen_elsewhere") or {}
    if newer.get("tag"):
        candidates[newer["tag"]] = newer["sha"]
    pinned = _version(pin.pinned)
    if pin.sha is not None:
        if pin.pinned not in candidates:
            if pinned is not None and pinned < (_version(known["tag"]) or pinned):
                report.behind.append(f"{pin.file}: {pin.key} pinned {pin.pinned}, newest {known['tag']}")
            else:
                report.problems.append(
                    f"{pin.file}: {pin.key} pinned {pin.pinned}, which the action list does not know "
                    f"(verified {known['tag']})"
                )
            return
        if candidates[pin.pinned] != pin.sha:
            report.problems.append(
                f"{pin.file}: {pin.key} {pin.pinned} pinned to {pin.sha}, but that tag is "
                f"{candidates[pin.pinned]} in the action list"
            )
            return
    verified = _version(known["tag"])
    if pinned is not None and verified is not None and pinned < verified:
        report.behind.append(f"{pin.file}: {pin.key} pinned {pin.pinned}, newest {known['tag']}")
        return
    unverified = _version(str(newer.get("tag", "")))
    if pinned is not None and unverified is not None and pinned < unverified:
        report.unverified.append(
            f"{pin.file}: {pin.key} pinned {pin.pinned}, newer seen {newer['tag']} "
            f"({newer['sha']}, not verified in the action's own repository)"
        )


def _newest(
    pin: Pin, fetch: FetchJson, index: str, registry: str, actions: Mapping[str, Any] | None
) -> Version:
    kind, _, key = pin.source.partition(":")
    if kind == "pypi":
        return _truncate(newest_pypi(key, fetch, index), pin.components)
    if kind == "npm":
        return newest_npm(key, fetch, registry)
    if kind == "final" and (final := _version(key)) is not None:
        return final
    if kind == "action" and actions is not None and key in actions:
        tag = _version(actions[key]["tag"])
        if tag is not None:
            return tag
    raise ReleaseLookupError(f"{key}: no source of releases known")


def judge(
    pins: Iterable[Pin],
    data: Mapping[str, Any],
    *,
    fetch: FetchJson = fetch_json,
    index: str = PYPI,
    registry: str = NPM,
    actions: Mapping[str, Any] | None = None,
) -> Report:
    """Compare every pin with its newest release; fetch is called once per package."""
    report = Report()
    pins = list(pins)
    skipped_actions = any(pin.source.startswith("action:") for pin in pins)
    held = data.get("held-back", [])
    releases: dict[str, Version | ReleaseLookupError] = {}

    def lookup(pin: Pin) -> Version | ReleaseLookupError:
        try:
            return _newest(pin, fetch, index, registry, actions)
        except ReleaseLookupError as error:
            return error

    # Without the action list, action pins and the tool versions that follow an action's tag
    # are left to Dependabot (one note below), not counted as uncheckable.
    pins = [pin for pin in pins if actions is not None or not pin.source.startswith("action:")]
    tool_pins = [pin for pin in pins if not (pin.source.startswith("action:") and pin.sha)]
    unique = {
        (pin.source, pin.components): pin
        for pin in tool_pins
        if not pin.source.startswith(("unknown:", "skip:", "unpinned:", "image:"))
    }
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for key, result in zip(unique, pool.map(lookup, unique.values()), strict=True):
            releases[f"{key[0]}#{key[1]}"] = result

    report.skipped = [
        f"{pin.file}: {pin.name} {pin.pinned} {pin.key}" for pin in pins if pin.source.startswith("skip:")
    ]
    pins = [pin for pin in pins if not pin.source.startswith("skip:")]
    used_holds: set[str] = set()
    for pin in pins:
        report.checked += 1
        if pin.source.startswith("action:") and pin.sha and actions is not None:
            judge_action(pin, actions, report)
            continue
        if pin.source.startswith("unknown:"):
            report.problems.append(
                f"{pin.file}: {pin.name} pinned {pin.pinned}: no release source for {pin.key}; "
                f"add it to .github/pins.toml [hook-repos]"
            )
            continue
        if pin.source.startswith("unpinned:"):
            report.problems.append(
                f"{pin.file}: {pin.name} pinned {pin.pinned}, a tag or branch, not a commit SHA: "
                "pin the SHA with its `# vX.Y.Z` comment"
            )
            continue
        if pin.source.startswith("image:"):
            digest = "" if pin.pinned.startswith("sha256:") else "; pin it by digest (@sha256:...)"
            report.problems.append(
                f"{pin.file}: {pin.name}: a container image, not checkable (container registries "
                f"are out of this script's reach){digest}"
            )
            continue
        newest = releases[f"{pin.source}#{pin.components}"]
        if isinstance(newest, ReleaseLookupError):
            report.problems.append(f"{pin.file}: {pin.name} pinned {pin.pinned}: {newest}")
            continue
        if _is_current(pin.pinned, newest):
            continue
        line = f"{pin.file}: {pin.name} pinned {pin.pinned}, newest {newest}"
        hold = _held_back(pin, held)
        if hold is not None:
            used_holds.add(hold["name"])
            report.held.append(f"{line}, held back: {hold['reason']}")
        else:
            report.behind.append(line)
            report.found.append(
                {
                    "file": pin.file,
                    "name": pin.name,
                    "source": pin.source,
                    "pinned": pin.pinned,
                    "newest": str(newest),
                }
            )
    for entry in held:
        if entry["name"] not in used_holds:
            report.notes.append(
                f".github/pins.toml: held-back {entry['name']} {entry['pinned']} matches no pin; remove it"
            )
    if actions is None and skipped_actions:
        report.notes.append("actions: not checked (no --actions-pins list); Dependabot keeps them current")
    return report


def unused_hook_repos(pins: Iterable[Pin], data: Mapping[str, Any]) -> list[str]:
    """Notes for [hook-repos] entries no scanned pre-commit config uses (only meaningful when the
    template and every bake were scanned: one project need not use them all)."""
    used = {_repo_key(pin.hook_repo) for pin in pins if pin.hook_repo}
    return [
        f".github/pins.toml: hook-repos {url} matches no hook repository of the template or a bake; remove it"
        for url in data.get("hook-repos", {})
        if _repo_key(url) not in used
    ]


def _is_current(pinned: str, newest: Version) -> bool:
    exact = _version(pinned.removeprefix("=="))
    if exact is not None:
        return exact >= newest
    try:
        specifier = SpecifierSet(pinned)
    except ValueError:
        return False
    if len(specifier) == 1 and next(iter(specifier)).operator in {"==", "==="}:
        return _version(next(iter(specifier)).version) == newest
    return specifier.contains(newest)


# --- bakes and the command line -----------------------------------------------------------------


def bake(template: Path, answers: Mapping[str, Any], output: Path) -> Path:
    """Bake with cookiecutter's API in a child process: the hooks' next steps stay off our output."""
    program = (
        "import json, sys\n"
        "from cookiecutter.main import cookiecutter\n"
        "print(cookiecutter(sys.argv[1], no_input=True, extra_context=json.loads(sys.argv[2]),"
        " output_dir=sys.argv[3]))\n"
    )
    command = [sys.executable, "-c", program, str(template), json.dumps(dict(answers)), str(output)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BakeFailed(f"baking {template} with {dict(answers)} failed:\n{done.stderr.strip()}")
    return Path(done.stdout.strip().splitlines()[-1])


def load_data(path: Path = DATA) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _directory(text: str) -> Path:
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is not a directory")
    return Path(text)


def main(argv: list[str] | None = None, *, fetch: FetchJson = fetch_json) -> int:
    parser = OneLineParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__[__doc__.index("Exit codes:") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--project", type=_directory, help="check one baked project instead")
    parser.add_argument("--data", type=Path, default=DATA, help="hook sources and held-back pins")
    parser.add_argument(
        "--index-url", type=http_url, default=PYPI, help="PyPI JSON API base (default: %(default)s)"
    )
    parser.add_argument(
        "--npm-registry", type=http_url, default=NPM, help="npm registry (default: %(default)s)"
    )
    parser.add_argument(
        "--actions-pins", type=Path, default=DEFAULT_ACTIONS_PINS, help="verified action pins (JSON)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object (see above)")
    args = parser.parse_args(argv)
    try:
        data = load_data(args.data)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        parser.error(f"argument --data: cannot read {args.data}: {error}")
    try:
        actions = (
            json.loads(args.actions_pins.read_text(encoding="utf-8")) if args.actions_pins.is_file() else None
        )
    except (OSError, ValueError) as error:
        parser.error(f"argument --actions-pins: cannot read {args.actions_pins}: {error}")

    with tempfile.TemporaryDirectory(prefix="pins-behind-") as scratch:
        if args.project is not None:
            pins = project_pins(args.project, data)
        else:
            pins = project_pins(REPOSITORY, data)
            for name, answers in (data.get("bakes") or {}).items():
                try:
                    baked = bake(REPOSITORY, answers, Path(scratch) / name)
                except BakeFailed as error:
                    print(f"error: {error}", file=sys.stderr)
                    return EXIT_UNCHECKABLE
                pins += project_pins(baked, data, label=f"bake:{name}/")
        report = judge(
            pins,
            data,
            fetch=fetch,
            index=args.index_url,
            registry=args.npm_registry,
            actions=actions,
        )
        if args.project is None:
            report.notes += unused_hook_repos(pins, data)
    if args.json:
        print(json.dumps({"behind": report.found, "lines": report.lines()}, indent=2))
        return report.exit_code
    for line in report.lines():
        print(line)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
