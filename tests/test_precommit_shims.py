"""The baked project's own .pre-commit-config.yaml, run for real with `pre-commit run --all-files`.

GitHub is out of reach here, so every remote hook repo is served by a local shim mirror
(tests/support/precommit_mirrors.py) that installs the same tool at the same version from PyPI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.main import cookiecutter
from support.options import ALL_OFF, ALL_ON
from support.precommit_mirrors import MirrorError, build_mirrors

pytestmark = pytest.mark.project

TEMPLATE_DIR = Path(__file__).resolve().parents[1]

# Cold hook environments download every tool from PyPI once; later runs only execute them.
PRE_COMMIT_TIMEOUT = 1800

# With --verbose, pre-commit prints every hook's status line followed by its id.
_STATUS = re.compile(r"(?P<status>Passed|Failed|Skipped)$")
_HOOK_ID = re.compile(r"^- hook id: (?P<id>\S+)$")


@pytest.fixture(scope="session")
def precommit_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where mirrors and PRE_COMMIT_HOME live; PIPELINE_TEMPLATE_CACHE lets CI keep them across runs."""
    configured = os.environ.get("PIPELINE_TEMPLATE_CACHE")
    if configured:
        path = Path(configured).resolve() / "pre-commit"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("pre-commit-cache")


def _bake(output_dir: Path, **overrides: Any) -> Path:
    return Path(
        cookiecutter(str(TEMPLATE_DIR), no_input=True, output_dir=str(output_dir), extra_context=overrides)
    )


def _run(
    project: Path, *command: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=project,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=PRE_COMMIT_TIMEOUT,
        check=False,
    )


def _git_repo(project: Path) -> None:
    # pre-commit only sees files git tracks.
    for command in (("git", "init", "--quiet", "-b", "main"), ("git", "add", "--all")):
        completed = _run(project, *command)
        assert completed.returncode == 0, completed.stderr


def _pre_commit(project: Path, cache: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run every hook over every file; return the run and each hook id's status."""
    env = build_mirrors(project / ".pre-commit-config.yaml", cache)
    completed = _run(
        project,
        sys.executable,
        "-m",
        "pre_commit",
        "run",
        "--all-files",
        "--show-diff-on-failure",
        "--verbose",
        "--color=never",
        env=env,
    )
    statuses: dict[str, str] = {}
    status = None
    for line in completed.stdout.splitlines():
        if found := _STATUS.search(line):
            status = found["status"]
        elif (hook := _HOOK_ID.match(line)) and status is not None:
            statuses[hook["id"]] = status
            status = None
    return completed, statuses


def _config_hook_ids(project: Path) -> set[str]:
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}


def _report(completed: subprocess.CompletedProcess[str]) -> str:
    return f"--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}"


@pytest.mark.parametrize(
    "overrides",
    [pytest.param({}, id="default"), pytest.param(ALL_ON, id="all-on"), pytest.param(ALL_OFF, id="all-off")],
)
def test_baked_project_passes_its_own_pre_commit_hooks(
    tmp_path: Path, precommit_cache: Path, overrides: dict[str, Any]
) -> None:
    project = _bake(tmp_path, **overrides)
    _git_repo(project)

    completed, statuses = _pre_commit(project, precommit_cache)

    failed = sorted(hook for hook, status in statuses.items() if status == "Failed")
    assert completed.returncode == 0, f"hooks failed: {failed}\n{_report(completed)}"
    # Every configured hook ran through a shim (none silently missing from the output).
    assert set(statuses) == _config_hook_ids(project), _report(completed)


def test_pre_commit_run_reports_real_problems(tmp_path: Path, precommit_cache: Path) -> None:
    project = _bake(tmp_path)
    (project / "NOTES.txt").write_text("A line that ends in spaces   \nnext\n", encoding="utf-8")
    (project / "sloppy.py").write_text("values = {  'a':1 }\n", encoding="utf-8")
    _git_repo(project)

    completed, statuses = _pre_commit(project, precommit_cache)

    assert completed.returncode == 1, _report(completed)
    # One fixer from pre-commit-hooks and one tool from a mirror-style repo, each naming the file.
    assert statuses["trailing-whitespace"] == "Failed", _report(completed)
    assert statuses["ruff-format"] == "Failed", _report(completed)
    assert "Fixing NOTES.txt" in completed.stdout
    assert "1 file reformatted" in completed.stdout
    assert "sloppy.py" in completed.stdout


CODESPELL = "https://github.com/codespell-project/codespell"


@pytest.mark.parametrize(
    ("url", "rev", "hook_id", "named"),
    [
        ("https://github.com/example/unknown-hooks", "v1.0.0", "x", "example/unknown-hooks"),
        (CODESPELL, "v2.4.3", "not-a-codespell-hook", "not-a-codespell-hook"),
        (CODESPELL, "63c8f8312b7559622c0d82815639671ae42132ac", "codespell", "63c8f83"),
    ],
    ids=["unknown-repo", "unknown-hook-id", "frozen-sha"],
)
def test_config_without_a_shim_fails_loudly(
    tmp_path: Path, url: str, rev: str, hook_id: str, named: str
) -> None:
    config = tmp_path / ".pre-commit-config.yaml"
    repo = {"repo": url, "rev": rev, "hooks": [{"id": hook_id}]}
    config.write_text(yaml.safe_dump({"repos": [repo]}), encoding="utf-8")

    with pytest.raises(MirrorError, match=named):
        build_mirrors(config, tmp_path / "cache")
