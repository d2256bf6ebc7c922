"""Render tier: the names docs/deployment.md gives in backticks are the ones the bake uses.

A user copies an environment, secret or variable name from the deployment guide into GitHub's
settings; GitHub matches it exactly, and a misspelt environment is even created on the spot,
unprotected. So each name the guide shows as code must exist in the baked workflows or data,
and each secret, variable and environment the workflows read must be in the guide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import Bake, Project
from markdown_it import MarkdownIt
from support.github_policy import environments_named_by_workflows

pytestmark = pytest.mark.render

GUIDE = "docs/deployment.md"
WORKFLOWS = ".github/workflows"

BAKES = [
    pytest.param({"publish": "pypi"}, id="pypi"),
    pytest.param({"publish": "private-index", "notifications": "email"}, id="private-index-email"),
    pytest.param({"publish": "none", "template_sync": False}, id="none-no-template-sync"),
    pytest.param({"notifications": "slack+email", "codecov": True}, id="slack-email-codecov"),
    pytest.param(
        {"kind": "service", "container": "ghcr+deploy", "notifications": "slack"}, id="deploy-slack"
    ),
]
# A deploying bake's environments and their settings have a guide of their own, linked from
# the runbook: both are read as one.
ENVIRONMENTS_GUIDE = "docs/environments.md"

# A secret, variable or environment variable, as GitHub spells them.
UPPER_NAME = re.compile(r"[A-Z][A-Z0-9_]{2,}")
# Where a workflow reads a secret or a variable.
CONTEXT_READ = re.compile(r"\b(secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)")
# Where a workflow's shell reads an environment variable: GitHub's own, or one set in `env:`.
SHELL_READ = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")
# Text right before a code span that makes it an environment's name ("the environment `pypi`",
# "environments (`testpypi`, `pypi`)"), and the text that joins a list of such names.
BEFORE_ENVIRONMENT = re.compile(r"\benvironments?\s+\(?$")
BETWEEN_NAMES = re.compile(r"^\s*(,|and|or|, and|, or)\s*$")
# The automatic token, named in prose; workflows read it as `github.token`.
GITHUB_OWN = frozenset({"GITHUB_TOKEN"})

_PARSER = MarkdownIt("commonmark").enable(["table"])


@dataclass
class Guide:
    """What the guide shows as code, outside code blocks."""

    code: set[str] = field(default_factory=set)
    environments: set[str] = field(default_factory=set)


@dataclass
class Workflows:
    """The names the baked workflows read, and the files that exist."""

    files: set[str] = field(default_factory=set)
    environments: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    shell: set[str] = field(default_factory=set)


def read_guide(markdown: str) -> Guide:
    guide = Guide()
    for token in _PARSER.parse(markdown):
        if token.type != "inline":
            continue
        naming_environments = False
        for child in token.children or []:
            if child.type == "code_inline":
                guide.code.add(child.content)
                if naming_environments:
                    guide.environments.add(child.content)
            elif child.type == "text":
                if BEFORE_ENVIRONMENT.search(child.content):
                    naming_environments = True
                elif not (naming_environments and BETWEEN_NAMES.match(child.content)):
                    naming_environments = False
            else:
                naming_environments = False
    return guide


def env_keys(node: Any) -> set[str]:
    """Every key of every `env:` mapping, at workflow, job and step level."""
    keys: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, dict):
                keys |= set(value)
            keys |= env_keys(value)
    elif isinstance(node, list):
        for item in node:
            keys |= env_keys(item)
    return keys


def read_workflows(project: Project) -> Workflows:
    found = Workflows()
    for path in sorted((project.path / WORKFLOWS).glob("*.yml")):
        found.files.add(path.name)
        workflow = project.yaml(f"{WORKFLOWS}/{path.name}")
        text = project.text(f"{WORKFLOWS}/{path.name}")
        for kind, name in CONTEXT_READ.findall(text):
            (found.secrets if kind == "secrets" else found.variables).add(name)
        found.shell |= set(SHELL_READ.findall(text)) | env_keys(workflow)
    found.secrets -= GITHUB_OWN
    # deploy.yml's environment is its input: the names its callers and its manual run pass.
    found.environments = set(environments_named_by_workflows(project.path))
    return found


def deployment_names(project: Project) -> set[str]:
    """The names the deployment's scripts read and set (the target contract, the host's
    settings): the environments guide documents them for whoever adds a target or a host."""
    files = [
        *(project.path / ".github/deploy/targets").glob("*"),
        *(project.path / "deploy/host").glob("*"),
        project.path / ".github/scripts/deploy_stage.py",
    ]
    names: set[str] = set()
    for path in files:
        if path.is_file():
            names |= set(re.findall(r'"([A-Z][A-Z0-9_]{2,})"', path.read_text(encoding="utf-8")))
            names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]{2,})", path.read_text(encoding="utf-8")))
    return names


def guide_text(project: Project) -> str:
    extra = project.text(ENVIRONMENTS_GUIDE) if project.exists(ENVIRONMENTS_GUIDE) else ""
    return project.text(GUIDE) + "\n" + extra


def named_path_missing(project: Project, code: str, workflow_files: set[str]) -> bool:
    """Whether `code` names a file of the project that the bake does not have."""
    if " " in code or "://" in code or "@" in code:
        return False
    if code.endswith(".yml") and "/" not in code:
        return code not in workflow_files and not project.exists(code)
    if code.startswith(".github/") or re.fullmatch(r"[\w.-]+/[\w.*/-]+\.(json|yml|py|md)", code):
        places = [project.path, project.path / ".github"]
        return not any(list(place.glob(code.rstrip("/"))) for place in places)
    return False


@pytest.fixture(params=BAKES)
def project(request: pytest.FixtureRequest, bake: Bake) -> Project:
    return bake(**request.param)


def test_every_upper_case_name_in_the_guide_is_read_by_a_workflow(project: Project) -> None:
    guide = read_guide(guide_text(project))
    found = read_workflows(project)
    known = found.secrets | found.variables | found.shell | GITHUB_OWN | deployment_names(project)
    named = {code for code in guide.code if UPPER_NAME.fullmatch(code)}
    assert named, "the guide names no secret or variable"
    assert sorted(named - known) == []


def test_every_environment_the_guide_names_is_used_and_has_its_data(project: Project) -> None:
    guide = read_guide(guide_text(project))
    found = read_workflows(project)
    data = {path.stem for path in (project.path / ".github/environments").glob("*.json")}
    assert sorted(guide.environments - found.environments) == []
    assert sorted(guide.environments - data) == []


def test_every_file_the_guide_names_exists(project: Project) -> None:
    guide = read_guide(guide_text(project))
    files = read_workflows(project).files
    assert sorted(code for code in guide.code if named_path_missing(project, code, files)) == []
    assert any(code.endswith((".yml", ".json")) for code in guide.code), "the guide names no file"


def test_every_secret_variable_and_environment_of_the_workflows_is_in_the_guide(
    project: Project,
) -> None:
    guide = read_guide(guide_text(project))
    found = read_workflows(project)
    assert sorted((found.secrets | found.variables) - guide.code) == []
    assert sorted(found.environments - guide.environments) == []


def test_the_guide_reader_sees_environment_lists() -> None:
    guide = read_guide(
        "Limited to `main` (environments `repository-admin`, `template-sync`) or to tags "
        "(environment `pypi`), not the label `skip-changelog`.\n"
    )
    assert guide.environments == {"repository-admin", "template-sync", "pypi"}
    assert "main" in guide.code


def test_a_misspelt_name_in_the_guide_is_caught(project: Project) -> None:
    """The checks above compare against the bake, so a wrong spelling cannot pass them."""
    found = read_workflows(project)
    environment = sorted(found.environments)[0]
    typo = read_guide(f"Store it in the environment `{environment}x` as `{environment.upper()}_TOKN`.\n")
    assert typo.environments - found.environments == {f"{environment}x"}
    assert f"{environment.upper()}_TOKN" not in found.secrets | found.variables | found.shell
