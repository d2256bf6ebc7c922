"""The template repository's own .github/dependabot.yml reads every pin it claims to keep current,
and every pin of a bake has exactly one updater: Dependabot or .github/scripts/refresh_pins.py.

Dependabot's choice of files is emulated from what dependabot-core's file fetchers read:
github-actions reads `action.yml`/`action.yaml` and `.github/workflows/*.y?ml` for the directory
`/`, and only the `*.y?ml` files directly inside any other directory; pre-commit reads the
directory's `.pre-commit-config.yaml`; uv reads its `pyproject.toml` and `uv.lock`. A file that
does not parse (Ruby's YAML.safe_load, TOML) fails the whole update of its directory, so every
file read must parse, here with PyYAML's safe_load and tomllib.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Bake
from packaging.utils import canonicalize_name
from support.options import TEMPLATE

pytestmark = pytest.mark.render

DEPENDABOT = TEMPLATE / ".github" / "dependabot.yml"
PROJECT_DIR = "{{cookiecutter.__project_dir}}"
sys.path.insert(0, str(TEMPLATE / ".github" / "scripts"))
_YAML = (".yml", ".yaml")
# A step's or job's `uses: owner/repo[/path]@<40 hex>`, as the template's workflows pin actions.
_SHA_PIN = re.compile(r"^[ \t]*(?:-[ \t]+)?uses:[ \t]*['\"]?[\w.-]+/[\w./-]+@[0-9a-f]{40}\b", re.MULTILINE)
_NOT_TEMPLATE = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}


def _entries(config: dict) -> Iterator[tuple[str, str]]:
    """(ecosystem, directory) for each directory of each update entry."""
    for update in config.get("updates", []):
        directories = update.get("directories") or [update["directory"]]
        for directory in directories:
            yield update["package-ecosystem"], directory


def files_read(root: Path, ecosystem: str, directory: str) -> list[Path]:
    """The files Dependabot would read for one directory of one ecosystem, existing or not."""
    folder = root / directory.strip("/")
    if ecosystem == "github-actions":
        if directory.strip("/") == "":
            workflows = folder / ".github" / "workflows"
            found = [folder / name for name in ("action.yml", "action.yaml") if (folder / name).is_file()]
            return found + sorted(path for path in workflows.glob("*") if path.suffix in _YAML)
        return sorted(path for path in folder.glob("*") if path.suffix in _YAML and path.is_file())
    if ecosystem == "pre-commit":
        return [folder / ".pre-commit-config.yaml"]
    if ecosystem == "uv":
        lock = folder / "uv.lock"
        return [folder / "pyproject.toml", *([lock] if lock.is_file() else [])]
    raise AssertionError(f"{DEPENDABOT}: no emulation of Dependabot's {ecosystem!r} ecosystem here")


def read_by(root: Path, config: dict, ecosystem: str) -> set[Path]:
    return {
        path
        for kind, directory in _entries(config)
        if kind == ecosystem
        for path in files_read(root, kind, directory)
    }


def template_files(root: Path) -> Iterator[Path]:
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in _NOT_TEMPLATE]
        yield from (Path(folder) / name for name in files)


def _config() -> dict:
    return yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))


def _reads() -> list[pytest.param]:
    return [
        pytest.param(ecosystem, directory, path, id=f"{ecosystem}:{path.relative_to(TEMPLATE).as_posix()}")
        for ecosystem, directory in _entries(_config())
        for path in files_read(TEMPLATE, ecosystem, directory)
    ]


@pytest.mark.parametrize(("ecosystem", "directory"), list(_entries(_config())))
def test_each_directory_gives_dependabot_something_to_read(ecosystem: str, directory: str) -> None:
    """An entry whose directory has none of its files fails in Dependabot ("not found")."""
    assert [path for path in files_read(TEMPLATE, ecosystem, directory) if path.is_file()], (
        f"{ecosystem} directory {directory}: Dependabot finds no file to read there"
    )


@pytest.mark.parametrize(("ecosystem", "directory", "path"), _reads())
def test_every_file_dependabot_reads_exists_and_parses(ecosystem: str, directory: str, path: Path) -> None:
    relative = path.relative_to(TEMPLATE).as_posix()
    assert path.is_file(), f"{ecosystem} directory {directory}: Dependabot reads {relative}, which is missing"
    text = path.read_text(encoding="utf-8")
    problem = ""
    try:
        if path.suffix == ".toml" or path.name == "uv.lock":
            tomllib.loads(text)
        else:
            yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        problem = " ".join(str(error).split())
    if problem:
        pytest.fail(
            f"{relative} is read by Dependabot's {ecosystem} entry ({directory}) but does not parse, "
            f"which fails that entry's whole update: {problem}",
            pytrace=False,
        )


def test_every_sha_pinned_file_is_read_by_a_github_actions_entry() -> None:
    read = read_by(TEMPLATE, _config(), "github-actions")
    pinned = {
        path
        for path in template_files(TEMPLATE)
        if path.suffix in _YAML and _SHA_PIN.search(path.read_text(encoding="utf-8"))
    }
    assert pinned, "no SHA-pinned action found: the scan is broken"
    unread = sorted(path.relative_to(TEMPLATE).as_posix() for path in pinned - read)
    assert unread == [], f"SHA pins no github-actions entry of {DEPENDABOT.name} reads: {unread}"


@pytest.mark.parametrize("answers", [{}, {"kind": "service", "container": "ghcr", "database": "postgresql"}])
def test_a_bakes_own_dependabot_reads_every_sha_pinned_file_of_the_bake(
    bake: Bake, answers: dict[str, str]
) -> None:
    """The user's Dependabot, not the template's: the composite action's pins move too."""
    project = bake(**answers).path
    config = yaml.safe_load((project / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    read = read_by(project, config, "github-actions")
    pinned = {
        path
        for path in template_files(project)
        if path.suffix in _YAML and _SHA_PIN.search(path.read_text(encoding="utf-8"))
    }
    assert project / ".github" / "actions" / "setup-python-uv" / "action.yml" in pinned
    unread = sorted(path.relative_to(project).as_posix() for path in pinned - read)
    assert unread == [], f"SHA pins the bake's own Dependabot does not read: {unread}"


def test_every_pre_commit_config_is_read_by_a_pre_commit_entry() -> None:
    read = read_by(TEMPLATE, _config(), "pre-commit")
    configs = {path for path in template_files(TEMPLATE) if path.name == ".pre-commit-config.yaml"}
    assert configs, "no .pre-commit-config.yaml found: the scan is broken"
    unread = sorted(path.relative_to(TEMPLATE).as_posix() for path in configs - read)
    assert unread == [], f"pre-commit configs no pre-commit entry reads: {unread}"


def _is_toml(path: Path) -> bool:
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        return False
    return True


def test_every_pyproject_that_is_toml_is_read_by_a_uv_entry() -> None:
    """The bake's pyproject.toml is Jinja, not TOML: .github/workflows/refresh-pins.yml keeps it."""
    read = read_by(TEMPLATE, _config(), "uv")
    projects = {path for path in template_files(TEMPLATE) if path.name == "pyproject.toml" and _is_toml(path)}
    assert TEMPLATE / "pyproject.toml" in projects
    unread = sorted(path.relative_to(TEMPLATE).as_posix() for path in projects - read)
    assert unread == [], f"pyproject.toml files no uv entry reads: {unread}"


def test_only_the_root_directory_reaches_into_github_workflows(tmp_path: Path) -> None:
    """The emulation itself: the layout that hid the baked workflows from Dependabot before."""
    for relative in (".github/workflows/ci.yml", "action.yml", "bake/.github/workflows/ci.yml", "bake/x.yml"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("on: push\n", encoding="utf-8")
    config = {"updates": [{"package-ecosystem": "github-actions", "directories": ["/", "/bake"]}]}
    read = {path.relative_to(tmp_path).as_posix() for path in read_by(tmp_path, config, "github-actions")}
    assert read == {".github/workflows/ci.yml", "action.yml", "bake/x.yml"}


def test_the_uv_entry_leaves_the_tools_the_bake_also_pins_to_the_refresh(bake: Bake) -> None:
    """A Dependabot bump of the template's copy alone would split it from the bake's pin."""
    import pins_behind
    import refresh_pins

    data = pins_behind.load_data()
    project = bake().path
    baked = {canonicalize_name(name) for _, name, _ in refresh_pins.exact_pins(project, data)}
    baked |= set(
        refresh_pins.hook_versions(refresh_pins.hook_revs(project / ".pre-commit-config.yaml"), data)
    )
    own = {canonicalize_name(name) for _, name, _ in refresh_pins.own_pins(TEMPLATE)}
    [uv] = [update for update in _config()["updates"] if update["package-ecosystem"] == "uv"]
    ignored = {canonicalize_name(rule["dependency-name"]) for rule in uv.get("ignore", [])}
    assert ignored == own & baked


# --- every pin of a bake has an updater ---------------------------------------------------------

DEPENDABOT_ACTIONS = "Dependabot github-actions"
HOOK_REVS = "Dependabot pre-commit / refresh"
REFRESH = "refresh"
NO_UPDATE = "no update needed"


def updater(pin: Any, template: Path, config: dict, refreshed: set[tuple[str, str, str]]) -> str | None:
    """The one updater that moves a bake's pin, or None.

    `refreshed` holds (file, name, pinned) of every pin of the bake refresh_pins.py refreshes
    (cookiecutter.json's answers): a pin that only another bake has is out of its reach.
    """
    import refresh_pins

    source = template / PROJECT_DIR / pin.file
    reached = (pin.file, pin.name, pin.pinned) in refreshed
    kind = refresh_pins.refresh_kind(pin)
    if pin.sha is not None and pin.source.startswith("action:"):
        return DEPENDABOT_ACTIONS if source in read_by(template, config, "github-actions") else None
    if kind == "rev":
        return HOOK_REVS if reached else None
    if kind in {"pin", "input", "range"}:
        return REFRESH if reached else None
    if refresh_pins.needs_no_update(pin):
        return NO_UPDATE
    return None


def without_updater(
    pins: Iterable[Any], template: Path, config: dict, refreshed: set[tuple[str, str, str]]
) -> list[str]:
    return [
        f"{pin.file}: {pin.name} {pin.pinned} ({pin.source})"
        for pin in pins
        if updater(pin, template, config, refreshed) is None
    ]


def test_every_pin_of_a_bake_has_an_updater(bake: Bake) -> None:
    """Issue 16: what the bake pins, Dependabot or the weekly refresh moves, or it never needs to."""
    import pins_behind

    data = pins_behind.load_data()
    refreshed = {(pin.file, pin.name, pin.pinned) for pin in pins_behind.project_pins(bake().path, data)}
    used: dict[str, int] = {}
    for name, answers in data["bakes"].items():
        pins = pins_behind.project_pins(bake(**answers).path, data)
        missing = without_updater(pins, TEMPLATE, _config(), refreshed)
        assert missing == [], f"bake {name}: pins no updater moves: {missing}"
        for pin in pins:
            label = str(updater(pin, TEMPLATE, _config(), refreshed))
            used[label] = used.get(label, 0) + 1
    # Every updater has pins to move, or the classification has stopped seeing them.
    assert set(used) == {DEPENDABOT_ACTIONS, HOOK_REVS, REFRESH, NO_UPDATE}, used


SYNTHETIC_WORKFLOW = """
name: ci
on: push
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
      - run: npx --yes prettier@3.6.2 --check . && pip install "black~=24.1" "pytest>=9"
"""


def test_a_pin_kind_nobody_updates_is_named(tmp_path: Path) -> None:
    """The check itself: an npm pin, a `~=` range and a container image have no updater."""
    import pins_behind

    bake = tmp_path / PROJECT_DIR
    for relative, text in {
        ".github/workflows/ci.yml": SYNTHETIC_WORKFLOW,
        "Dockerfile": "FROM python:3.13\n",
    }.items():
        (bake / relative).parent.mkdir(parents=True, exist_ok=True)
        (bake / relative).write_text(text, encoding="utf-8")
    pins = pins_behind.project_pins(bake, {})
    refreshed = {(pin.file, pin.name, pin.pinned) for pin in pins}
    config = {
        "updates": [{"package-ecosystem": "github-actions", "directory": f"/{PROJECT_DIR}/.github/workflows"}]
    }
    nobody = [
        ".github/workflows/ci.yml: prettier 3.6.2 (npm:prettier)",
        ".github/workflows/ci.yml: black ~=24.1 (pypi:black)",
        "Dockerfile: python:3.13 3.13 (image:python:3.13)",
    ]
    assert sorted(without_updater(pins, tmp_path, config, refreshed)) == sorted(nobody)
    # The same workflow in a folder no github-actions entry reads: its SHA pin has no updater either.
    unread = without_updater(pins, tmp_path, {"updates": []}, refreshed)
    assert ".github/workflows/ci.yml: actions/checkout v7.0.1 (action:actions/checkout)" in unread


def test_the_pre_commit_entry_leaves_the_hooks_of_tools_the_bake_pins_to_the_refresh(bake: Bake) -> None:
    """A hook whose tool the bake also pins as `==` moves with that pin, through refresh-pins:
    a Dependabot bump of the hook alone would split the two versions."""
    import pins_behind
    import refresh_pins

    data = pins_behind.load_data()
    project = bake().path
    pinned = {canonicalize_name(name) for _, name, _ in refresh_pins.exact_pins(project, data)}
    revs = refresh_pins.hook_revs(project / ".pre-commit-config.yaml")
    overlap = {url for url in revs if set(refresh_pins.hook_versions({url: revs[url]}, data)) & pinned}
    [pre_commit] = [update for update in _config()["updates"] if update["package-ecosystem"] == "pre-commit"]
    ignored = {rule["dependency-name"] for rule in pre_commit.get("ignore", [])}
    assert overlap, "no hook's tool is pinned by the bake: the check is broken"
    assert ignored == overlap
