"""A local git copy of the template that tests can move forward, and the tools that update from it.

`cruft` only works against a git repository, and GitHub is out of reach, so the update tier
snapshots the template's working tree (the files git would commit: tracked plus untracked but
not ignored) into a scratch repository once per xdist worker, then clones that snapshot per
test. A test advances its own clone with real commits and runs the real cruft, cookiecutter and
git against it, each in a subprocess whose git identity, git config and cookiecutter config all
live in the test's temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.commands import run

PROJECT_DIR = "{{cookiecutter.__project_dir}}"
# The tag every snapshot starts at: "the template as it is in this checkout".
BASE_TAG = "v1"
# What a local copy never needs: tool output and environments (used when the source is no git work tree).
_NOT_TEMPLATE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".ruff_cache", ".pytest_cache", "node_modules", ".cache"
)


def isolated_env(home: Path) -> dict[str, str]:
    """os.environ plus a private git identity/config and cookiecutter config under `home`."""
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n", "utf-8")
    cookiecutter_config = home / "cookiecutter.yaml"
    cookiecutter_config.write_text(
        f"cookiecutters_dir: {json.dumps(str(home / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(home / 'replay'))}\n",
        "utf-8",
    )
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "Template Tester",
        "GIT_AUTHOR_EMAIL": "tester@example.com",
        "GIT_COMMITTER_NAME": "Template Tester",
        "GIT_COMMITTER_EMAIL": "tester@example.com",
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "COOKIECUTTER_CONFIG": str(cookiecutter_config),
        "NO_COLOR": "1",
        "TERM": "dumb",
        "COLUMNS": "200",
    }


def git(*args: str | Path, cwd: Path, env: Mapping[str, str]) -> str:
    return run("git", *args, cwd=cwd, env=env).stdout.strip()


def cruft(
    *args: str | Path, cwd: Path, env: Mapping[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    """The cruft of the template's own environment, through its CLI."""
    return run(sys.executable, "-m", "cruft", *args, cwd=cwd, env=env, check=check)


def cookiecutter(*args: str | Path, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Plain cookiecutter (no cruft), through its CLI, with the private config from `isolated_env`."""
    return run(sys.executable, "-m", "cookiecutter", *args, cwd=cwd, env=env)


def commit_all(project: Path, env: Mapping[str, str], message: str) -> str:
    """Stage everything (resolving nothing: conflict markers are committed as text) and commit."""
    git("add", "-A", cwd=project, env=env)
    git("commit", "--quiet", "--no-verify", "--allow-empty", "-m", message, cwd=project, env=env)
    return git("rev-parse", "HEAD", cwd=project, env=env)


def init_project(project: Path, env: Mapping[str, str]) -> str:
    """`git init` a freshly baked project and commit it, as the template's next steps say."""
    git("init", "--quiet", "-b", "main", cwd=project, env=env)
    return commit_all(project, env, "Start from cookiecutter-python-pipeline")


def _source_files(source: Path, env: Mapping[str, str]) -> list[str] | None:
    """Files git would commit in `source` (tracked or untracked-but-not-ignored); None if no git."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        env=dict(env),
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        return None
    return [name for name in listed.stdout.decode().split("\0") if name]


@dataclass
class TemplateRepo:
    """A scratch git repository holding the template; edit its files, then `commit`."""

    path: Path
    env: dict[str, str]

    @classmethod
    def snapshot(cls, source: Path, destination: Path, env: dict[str, str]) -> TemplateRepo:
        """Copy the template's working tree into a new repository, commit it and tag it BASE_TAG."""
        destination.mkdir(parents=True)
        names = _source_files(source, env)
        if names is None:
            shutil.copytree(source, destination, ignore=_NOT_TEMPLATE, dirs_exist_ok=True)
        else:
            for name in names:
                origin = source / name
                if origin.is_file():  # listed but deleted in the work tree: not part of it
                    target = destination / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, target)
        repo = cls(destination, env)
        repo.git("init", "--quiet", "-b", "main")
        repo.commit("Template as checked out")
        repo.git("tag", BASE_TAG)
        return repo

    def clone(self, destination: Path, env: dict[str, str]) -> TemplateRepo:
        """An independent copy (with tags) that one test may advance freely, run with `env`."""
        git("clone", "--quiet", "--no-hardlinks", self.path, destination, cwd=self.path.parent, env=env)
        return TemplateRepo(destination, env)

    @property
    def url(self) -> str:
        return str(self.path)

    def git(self, *args: str | Path) -> str:
        return git(*args, cwd=self.path, env=self.env)

    def rev(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", f"{ref}^{{commit}}")

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "--quiet", "-m", message)
        return self.rev()

    def log(self, old: str, new: str = "HEAD") -> list[str]:
        """`%h %s` lines from old to new, newest first, as template_sync.py lists them."""
        return self.git("log", "--format=%h %s", f"{old}..{new}").splitlines()

    # Editing the baked project's files (paths relative to {{cookiecutter.__project_dir}}).

    def project_file(self, relative: str) -> Path:
        return self.path / PROJECT_DIR / relative

    def write(self, relative: str, text: str) -> None:
        target = self.project_file(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def append(self, relative: str, text: str) -> None:
        target = self.project_file(relative)
        target.write_text(target.read_text(encoding="utf-8") + text, encoding="utf-8")

    def replace(self, relative: str, old: str, new: str) -> None:
        """Replace the first `old` in a template file; fail loudly once the template no longer has it."""
        replace_in(self.project_file(relative), old, new)

    def remove(self, relative: str) -> None:
        self.project_file(relative).unlink()

    # cookiecutter.json: keep key order, cookiecutter renders later keys from earlier ones.

    def cookiecutter_json(self) -> dict[str, Any]:
        return json.loads((self.path / "cookiecutter.json").read_text("utf-8"))

    def set_question(self, key: str, default: Any, prompt: str | None = None) -> None:
        """Change a question's default, or add a new question (before the private keys)."""
        context = self.cookiecutter_json()
        if key in context:
            context[key] = default
        else:
            public = {k: v for k, v in context.items() if not k.startswith("_")}
            private = {k: v for k, v in context.items() if k.startswith("_")}
            context = {**public, key: default, **private}
        if prompt is not None:
            context.setdefault("__prompts__", {})[key] = prompt
        (self.path / "cookiecutter.json").write_text(json.dumps(context, indent=2) + "\n", "utf-8")


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if old not in text:
        pytest.fail(f"{path} no longer contains {old!r}; update the test's edit", pytrace=False)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
