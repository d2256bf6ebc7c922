"""Shared fixtures: `bake(**overrides)` returns a baked Project, cached for the whole session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from github_api.install import OpenApiUnavailable, ensure_installed, is_installed
from github_api.openapi import Description
from support.commands import run
from support.machine import REQUIRE_ALL, inventory, need_tool, require_all
from support.options import TEMPLATE
from support.template_repo import TemplateRepo, isolated_env

# Tools must never reach for a Python or a template over the network.
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")
# `uv run` names its own binary in $UV; put it first on PATH so baked projects, their scripts
# and pre-commit find the same uv even where it was installed off PATH (pip install --user).
if uv_binary := os.environ.get("UV"):
    os.environ["PATH"] = os.pathsep.join([str(Path(uv_binary).parent), os.environ.get("PATH", "")])


@dataclass
class Project:
    """A baked project: where it is, what it was asked, and ways to look inside."""

    path: Path
    answers: dict[str, Any]
    _parsed: dict[str, Any] = field(default_factory=dict, repr=False)

    def run(
        self,
        *command: str | Path,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        return run(*command, cwd=self.path, env={**os.environ, **(env or {})}, check=check, timeout=timeout)

    def exists(self, relative: str) -> bool:
        return (self.path / relative).exists()

    def text(self, relative: str) -> str:
        return (self.path / relative).read_text(encoding="utf-8")

    def toml(self, relative: str = "pyproject.toml") -> dict[str, Any]:
        if relative not in self._parsed:
            self._parsed[relative] = tomllib.loads(self.text(relative))
        return self._parsed[relative]

    def yaml(self, relative: str) -> Any:
        if relative not in self._parsed:
            self._parsed[relative] = yaml.safe_load(self.text(relative))
        return self._parsed[relative]

    def files(self) -> list[str]:
        """Every file, relative and with forward slashes, ignoring tool output."""
        skip = {
            ".venv",
            ".git",
            "dist",
            "__pycache__",
            ".ruff_cache",
            ".pytest_cache",
        }
        return sorted(
            path.relative_to(self.path).as_posix()
            for path in self.path.rglob("*")
            if path.is_file() and not skip.intersection(path.relative_to(self.path).parts)
        )

    def copy_to(self, destination: Path) -> Project:
        """A private copy, for tests that sync, build or install: the shared bake stays pristine."""
        shutil.copytree(self.path, destination)
        return Project(destination, dict(self.answers))

    @property
    def package(self) -> str:
        return str(self.answers["package_name"])


Bake = Callable[..., Project]


@pytest.fixture(scope="session")
def bake(cookies_session: Any) -> Bake:
    """Bake once per distinct set of overrides per test session (per xdist worker)."""
    cache: dict[str, Project] = {}

    def _bake(**overrides: Any) -> Project:
        key = json.dumps(overrides, sort_keys=True)
        if key not in cache:
            result = cookies_session.bake(extra_context=overrides, template=str(TEMPLATE))
            if result.exception is not None:
                pytest.fail(f"bake with {overrides} failed: {result.exception!r}", pytrace=False)
            cache[key] = Project(Path(result.project_path), dict(result.context))
        return cache[key]

    return _bake


@pytest.fixture(scope="session")
def template_dir() -> Path:
    return TEMPLATE


TIERS = ("render", "project", "negative", "hooks", "scripts", "update", "rehearsal", "browser", "machine")


def pytest_report_header() -> list[str]:
    """What this machine lacks for the suite (tests/support/machine.py), before any test runs."""
    absent = [requirement for requirement, where in inventory() if where is None]
    if not absent:
        return ["machine: every interpreter and tool the suite can use is here"]
    then = f"{REQUIRE_ALL} is set: their tests fail" if require_all() else "their tests skip, naming them"
    return [f"machine: missing {', '.join(absent)}; {then}"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test belongs to exactly one tier, so selecting tiers by marker never drops one."""
    for item in items:
        tiers = [tier for tier in TIERS if item.get_closest_marker(tier)]
        if len(tiers) != 1:
            raise pytest.UsageError(
                f"{item.nodeid} must carry exactly one tier marker of {TIERS}, has {tiers}"
            )


@pytest.fixture(scope="session")
def template_snapshot(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    """A git copy of this template's working tree, shared by the cruft and template-sync tests."""
    root = tmp_path_factory.mktemp("template-snapshot")
    return TemplateRepo.snapshot(TEMPLATE, root / "template", isolated_env(root / "home"))


@pytest.fixture(scope="session")
def description() -> Description:
    """GitHub's REST API description (npm @octokit/openapi), which request bodies must fit."""
    if not is_installed():
        need_tool("npm")
    try:
        path = ensure_installed()
    except OpenApiUnavailable as problem:
        pytest.fail(f"GitHub's OpenAPI description is unavailable: {problem}", pytrace=False)
    return Description.load(path)
