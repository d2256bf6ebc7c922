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

GIT_USER = {
    "GIT_AUTHOR_NAME": "Baker",
    "GIT_AUTHOR_EMAIL": "baker@example.invalid",
    "GIT_COMMITTER_NAME": "Baker",
    "GIT_COMMITTER_EMAIL": "baker@example.invalid",
}

MARKDOWN_IN_ANSWERS = {
    "project_name": "Yahoo! *beta*\t#1 #",
    "project_slug": "yahoo",
    "description": "1. See https://example.com  or me@example.org: `code`, [link] & <b>bold</b>.",
}

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


def _git_repo(project: Path, *, sync: bool = True) -> None:
    """The printed next steps up to the commit: git init, `uv sync` (which writes uv.lock), git add.

    pre-commit only sees files git tracks; without `sync`, a user who skipped `uv sync`.
    """
    commands = [("git", "init", "--quiet", "-b", "main")]
    if sync:
        commands.append(("uv", "sync", "--quiet"))
    commands.append(("git", "add", "--all"))
    for command in commands:
        completed = _run(project, *command)
        assert completed.returncode == 0, completed.stderr


def _commit(project: Path, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run(project, "git", "commit", "--quiet", *args, env={**env, **GIT_USER})


def _failed_hooks(completed: subprocess.CompletedProcess[str]) -> list[str]:
    # Without --verbose, pre-commit prints `- hook id:` under failed hooks only (on stderr
    # when git runs it as the pre-commit hook).
    output = completed.stdout + completed.stderr
    return [found["id"] for line in output.splitlines() if (found := _HOOK_ID.match(line))]


def _uv_errors(completed: subprocess.CompletedProcess[str]) -> list[str]:
    """uv's `error:` messages, each as one line (uv wraps long ones to the terminal's width)."""
    errors: list[str] = []
    continuing = False
    for line in (completed.stdout + completed.stderr).splitlines():
        if line.startswith("error:"):
            errors.append(line)
            continuing = True
        elif continuing and line.startswith(" ") and line.strip():
            errors[-1] += " " + line.strip()
        else:
            continuing = False
    return errors


def _committed(project: Path) -> list[str]:
    listed = _run(project, "git", "ls-files")
    assert listed.returncode == 0, listed.stderr
    return listed.stdout.splitlines()


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
    [
        pytest.param({}, id="default"),
        pytest.param(ALL_ON, id="all-on"),
        pytest.param(ALL_OFF, id="all-off"),
        # Free text that is Markdown markup when written raw (test_render.py has the full list).
        pytest.param(MARKDOWN_IN_ANSWERS, id="markdown-in-answers"),
    ],
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


def test_first_commit_without_uv_sync_is_stopped_by_the_lock_check(
    tmp_path: Path, precommit_cache: Path
) -> None:
    """A user with pre-commit installed who skips `uv sync` cannot commit without uv.lock."""
    project = _bake(tmp_path)
    _git_repo(project, sync=False)
    env = build_mirrors(project / ".pre-commit-config.yaml", precommit_cache)
    # pre-commit from outside the project (pipx, say): `uv run pre-commit install` would lock.
    installed = _run(project, sys.executable, "-m", "pre_commit", "install", env=env)
    assert installed.returncode == 0, _report(installed)

    refused = _commit(project, env, "-m", "Start from cookiecutter-python-pipeline")

    assert refused.returncode != 0, _report(refused)
    assert _failed_hooks(refused) == ["uv-lock"], _report(refused)
    # One line from uv, naming the file and the command that makes it.
    [error] = _uv_errors(refused)
    assert "Unable to find lockfile at `uv.lock`" in error, error
    assert "run `uv lock`" in error, error
    # The hook only checks: it wrote no lock, and nothing was committed.
    assert not (project / "uv.lock").exists()
    assert _run(project, "git", "rev-parse", "--verify", "--quiet", "HEAD").returncode != 0

    # Doing what the line says is enough.
    for command in (("uv", "lock", "--quiet"), ("git", "add", "uv.lock")):
        done = _run(project, *command)
        assert done.returncode == 0, _report(done)
    accepted = _commit(project, env, "-m", "Start from cookiecutter-python-pipeline")
    assert accepted.returncode == 0, _report(accepted)
    assert "uv.lock" in _committed(project)


def test_commit_with_a_stale_lock_is_stopped_by_the_lock_check(tmp_path: Path, precommit_cache: Path) -> None:
    """After the next steps, a version bump without `uv lock` is stopped before it reaches CI."""
    project = _bake(tmp_path)
    _git_repo(project)
    env = build_mirrors(project / ".pre-commit-config.yaml", precommit_cache)
    installed = _run(project, "uv", "run", "pre-commit", "install", env=env)
    assert installed.returncode == 0, _report(installed)
    first = _commit(project, env, "-m", "Start from cookiecutter-python-pipeline")
    assert first.returncode == 0, _report(first)
    assert "uv.lock" in _committed(project)

    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert text.count('version = "0.1.0"\n') == 1
    pyproject.write_text(text.replace('version = "0.1.0"\n', 'version = "0.2.0"\n'), encoding="utf-8")
    refused = _commit(project, env, "--all", "-m", "Release 0.2.0")

    assert refused.returncode != 0, _report(refused)
    assert _failed_hooks(refused) == ["uv-lock"], _report(refused)
    [error] = _uv_errors(refused)
    assert "The lockfile at `uv.lock` needs to be updated" in error, error
    assert "run `uv lock`" in refused.stdout + refused.stderr

    relocked = _run(project, "uv", "lock", "--quiet")
    assert relocked.returncode == 0, _report(relocked)
    accepted = _commit(project, env, "--all", "-m", "Release 0.2.0")
    assert accepted.returncode == 0, _report(accepted)


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
