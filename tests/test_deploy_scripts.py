"""The staged deployment's scripts (container=ghcr+deploy), each run for real.

- `deploy/host/deploy_image.py`, the deploy key's forced command on the host: its grammar and
  exit codes, with a `docker` stand-in on PATH that records its calls and runs nothing.
- `.github/deploy/targets/ssh-compose` against a real OpenSSH server on 127.0.0.1 whose
  `authorized_keys` holds the line docs/environments.md prints, so the pinned host key, the
  key file and the forced command are exercised as on a host.
- `.github/scripts/deploy_stage.py` by import, against a local stand-in of GitHub's deployments
  API (request bodies checked against GitHub's OpenAPI description) and a live HTTP service,
  with a test double for the target that says so.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import Bake, Project
from github_api.openapi import Description
from support.background import serving
from support.github_deployments import Deployments, github_deployments
from support.sshd import SshServer, keypair, ssh_server

pytestmark = pytest.mark.scripts

ANSWERS = {"kind": "service", "container": "ghcr+deploy"}
TEMPLATE_SCRIPTS = Path(__file__).parents[1] / "{{cookiecutter.__project_dir}}" / ".github" / "scripts"
REPOSITORY = "your-github-name/example-pipeline-package"
IMAGE = f"ghcr.io/{REPOSITORY}"
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
DIGEST_C = "sha256:" + "c" * 64
COMMIT_A = "1" * 40
COMMIT_B = "2" * 40
COMMIT_C = "3" * 40

# A `docker` for the host stand-in: records each call (arguments and the DEPLOY_* variables
# Compose would read) to $DOCKER_CALLS and exits with the next code of $DOCKER_EXITS. It runs
# no container: the image rehearsal runs the real one.
RECORDING_DOCKER = """#!/usr/bin/env python3
import json, os, sys
calls = os.environ["DOCKER_CALLS"]
with open(calls, "a") as out:
    seen = {k: v for k, v in os.environ.items() if k.startswith("DEPLOY_")}
    out.write(json.dumps({"args": sys.argv[1:], "env": seen}) + "\\n")
codes = os.environ.get("DOCKER_EXITS", "").split()
count = sum(1 for _ in open(calls))
print("docker stand-in (records only, runs nothing):", " ".join(sys.argv[1:2]), file=sys.stderr)
sys.exit(int(codes[count - 1]) if len(codes) >= count else 0)
"""


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture(scope="module")
def project(bake: Bake) -> Project:
    return bake(**ANSWERS)


@dataclass
class Host:
    """A host's files for deploy_image.py: settings per environment, state, a recording docker."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "etc"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def calls_file(self) -> Path:
        return self.root / "docker-calls.jsonl"

    def calls(self) -> list[dict[str, Any]]:
        if not self.calls_file.exists():
            return []
        return [json.loads(line) for line in self.calls_file.read_text(encoding="utf-8").splitlines()]

    def env(self, exits: str = "") -> dict[str, str]:
        return {
            "PATH": f"{self.root / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "DOCKER_CALLS": str(self.calls_file),
            "DOCKER_EXITS": exits,
        }


@pytest.fixture
def host(tmp_path: Path, project: Project) -> Host:
    made = Host(tmp_path / "host")
    made.config.mkdir(parents=True)
    (made.config / "compose.yaml").write_text(
        (project.path / "deploy/host/compose.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (made.config / "staging.env").write_text("DEPLOY_PUBLISH=127.0.0.1:8101\n", encoding="utf-8")
    (made.config / "production.env").write_text("", encoding="utf-8")
    executable(made.root / "bin" / "docker", RECORDING_DOCKER)
    return made


def run_host(
    project: Project,
    host: Host,
    request: str | None,
    *args: str,
    exits: str = "",
    pinned: str = "staging",
) -> subprocess.CompletedProcess[str]:
    """deploy_image.py as the key line for `pinned` runs it."""
    env = {**host.env(exits)}
    if request is not None:
        env["SSH_ORIGINAL_COMMAND"] = request
    return subprocess.run(
        [
            sys.executable,
            str(project.path / "deploy/host/deploy_image.py"),
            "--config-dir",
            str(host.config),
            "--state-dir",
            str(host.state),
            "--environment",
            pinned,
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


# -- deploy_image.py, the forced command ----------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "fragment"),
    [
        ("", "no request"),
        ("sh -c id", "unknown request 'sh'"),
        (f"deploy staging {IMAGE}:latest", "only ghcr.io/"),
        (f"deploy staging ghcr.io/someone-else/app@{DIGEST_A}", "only ghcr.io/"),
        (f"deploy staging {IMAGE}@{DIGEST_A};id", "refused"),
        (f"deploy staging {IMAGE}@sha256:{'A' * 64}", "refused"),
        (f"deploy production {IMAGE}@{DIGEST_A}", "this key deploys staging only, not 'production'"),
        ("current production", "this key deploys staging only"),
        (f"deploy ../etc {IMAGE}@{DIGEST_A}", "is not a name"),
        (f"deploy staging {IMAGE}@{DIGEST_A} extra", "takes 2 argument(s), got 3"),
        ("current", "takes 1 argument(s), got 0"),
    ],
)
def test_the_host_refuses_anything_but_its_two_requests(
    project: Project, host: Host, request_: str, fragment: str
) -> None:
    done = run_host(project, host, request_)
    assert done.returncode == 2, done
    assert done.stderr.count("\n") == 1, done.stderr
    assert fragment in done.stderr
    assert done.stdout == ""
    assert host.calls() == []


def test_a_deployment_pulls_by_digest_and_waits_for_compose(project: Project, host: Host) -> None:
    reference = f"{IMAGE}@{DIGEST_A}"
    done = run_host(project, host, f"deploy staging {reference}")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"live_image={reference}\n"
    pull, up = host.calls()
    assert pull["args"] == ["pull", "--quiet", reference]
    assert up["args"][:5] == [
        "compose",
        "--project-name",
        "example-pipeline-package-staging",
        "--file",
        str(host.config / "compose.yaml"),
    ]
    assert up["args"][5:] == ["up", "--detach", "--wait", "--wait-timeout", "240", "--remove-orphans"]
    assert up["env"] == {
        "DEPLOY_IMAGE": reference,
        "DEPLOY_ENV_FILE": str(host.config / "staging.env"),
        "DEPLOY_PUBLISH": "127.0.0.1:8101",
    }
    current = run_host(project, host, "current staging")
    assert (current.returncode, current.stdout) == (0, reference + "\n")
    # Another environment has its own record; production publishes on the default address.
    assert run_host(project, host, "current production", pinned="production").stdout == ""
    run_host(project, host, f"deploy production {IMAGE}@{DIGEST_B}", pinned="production")
    assert host.calls()[-1]["env"]["DEPLOY_PUBLISH"] == "127.0.0.1:8000"
    assert run_host(project, host, "current staging").stdout == reference + "\n"


def test_a_failed_pull_changes_nothing_and_a_failed_start_says_so(project: Project, host: Host) -> None:
    run_host(project, host, f"deploy staging {IMAGE}@{DIGEST_A}")
    pull_failed = run_host(project, host, f"deploy staging {IMAGE}@{DIGEST_B}", exits="0 0 1")
    assert pull_failed.returncode == 2
    assert "nothing changed" in pull_failed.stderr
    assert len(host.calls()) == 3  # no compose call after the failed pull
    start_failed = run_host(project, host, f"deploy staging {IMAGE}@{DIGEST_B}", exits="0 0 0 0 1")
    assert start_failed.returncode == 1
    assert "did not become healthy" in start_failed.stderr
    # The record keeps the last image that came up healthy.
    assert run_host(project, host, "current staging").stdout == f"{IMAGE}@{DIGEST_A}\n"


@pytest.mark.parametrize("address", ["0.0.0.0:80;id", "8004", "localhost:8000"])
def test_a_bad_publish_address_is_refused_before_docker_runs(
    project: Project, host: Host, address: str
) -> None:
    """ADDRESS:PORT only: a bare port would publish on every interface, past a host firewall."""
    (host.config / "staging.env").write_text(f"DEPLOY_PUBLISH={address}\n", encoding="utf-8")
    done = run_host(project, host, f"deploy staging {IMAGE}@{DIGEST_A}")
    assert done.returncode == 2
    assert "DEPLOY_PUBLISH" in done.stderr
    assert host.calls() == []


def test_run_by_hand_the_request_is_the_arguments(project: Project, host: Host) -> None:
    done = run_host(project, host, None, "deploy", "staging", f"{IMAGE}@{DIGEST_A}")
    assert done.returncode == 0, done.stderr


# -- ssh-compose against a real sshd ------------------------------------------------------------


@dataclass
class SshHost:
    server: SshServer
    host: Host
    private_key: str


@pytest.fixture
def ssh_host(tmp_path: Path, project: Project, host: Host) -> Iterator[SshHost]:
    """sshd whose one key line is the guide's: restrict, and the forced deploy command (here
    with the test host's folders and recording docker, as a host's PATH would have docker)."""
    private, public = keypair(tmp_path / "staging_deploy_key", "example-pipeline-package-staging")
    forced = executable(
        tmp_path / "host" / "example-pipeline-package-deploy",
        "#!/bin/sh\n"
        + "".join(f"export {k}='{v}'\n" for k, v in host.env().items())
        + f"exec {sys.executable} {project.path / 'deploy/host/deploy_image.py'}"
        + f" --config-dir {host.config} --state-dir {host.state} --environment staging\n",
    )
    line = f'restrict,command="{forced}" {public}'
    with ssh_server(tmp_path / "sshd", [line]) as server:
        yield SshHost(server, host, private)


def target_env(ssh_host: SshHost, tmp_path: Path, **overrides: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DEPLOY_ENVIRONMENT": "staging",
        "DEPLOY_IMAGE": f"{IMAGE}@{DIGEST_A}",
        "DEPLOY_OUTPUT": str(tmp_path / "target-output"),
        "DEPLOY_HOST": ssh_host.server.address,
        "DEPLOY_USER": ssh_host.server.user,
        "DEPLOY_KNOWN_HOSTS": ssh_host.server.known_hosts_line,
        "DEPLOY_SSH_KEY": ssh_host.private_key,
        **overrides,
    }


def run_target(
    project: Project, env: dict[str, str], action: str = "deploy"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(project.path / ".github/deploy/targets/ssh-compose"), action],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_ssh_compose_deploys_through_the_forced_command(
    project: Project, ssh_host: SshHost, tmp_path: Path
) -> None:
    env = target_env(ssh_host, tmp_path)
    done = run_target(project, env)
    assert done.returncode == 0, done.stderr + ssh_host.server.log_text()
    assert (tmp_path / "target-output").read_text(encoding="utf-8") == f"live_image={IMAGE}@{DIGEST_A}\n"
    assert [call["args"][0] for call in ssh_host.host.calls()] == ["pull", "compose"]
    current = run_target(project, env, "current")
    assert (current.returncode, current.stdout) == (0, f"{IMAGE}@{DIGEST_A}\n")
    # The key file and known hosts lived in a temporary folder that is gone.
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("deploy-ssh-*/key"))


def test_the_key_runs_the_deploy_program_whatever_is_asked(
    project: Project, ssh_host: SshHost, tmp_path: Path
) -> None:
    """An attacker with the key who asks for a shell command gets the deploy program's refusal."""
    env = target_env(ssh_host, tmp_path)
    key = tmp_path / "stolen"
    key.write_text(ssh_host.private_key, encoding="utf-8")
    key.chmod(0o600)
    known = tmp_path / "known"
    known.write_text(ssh_host.server.known_hosts_line + "\n", encoding="utf-8")
    done = subprocess.run(
        [
            "ssh",
            "-F",
            "none",
            "-i",
            str(key),
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f"UserKnownHostsFile={known}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-p",
            str(ssh_host.server.port),
            "-l",
            ssh_host.server.user,
            "127.0.0.1",
            "cat /etc/passwd; deploy staging x",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2, done
    assert "refused: unknown request 'cat'" in done.stderr
    assert "root:" not in done.stdout
    assert ssh_host.host.calls() == []


def test_a_host_key_that_does_not_match_stops_before_anything_runs(
    project: Project, ssh_host: SshHost, tmp_path: Path
) -> None:
    _, other = keypair(tmp_path / "impostor", "impostor")
    kind, key = other.split()[:2]
    env = target_env(
        ssh_host, tmp_path, DEPLOY_KNOWN_HOSTS=f"[127.0.0.1]:{ssh_host.server.port} {kind} {key}"
    )
    done = run_target(project, env)
    assert done.returncode == 1
    assert "Host key verification failed" in done.stderr
    assert ssh_host.host.calls() == []


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"DEPLOY_IMAGE": f"{IMAGE}:1.2.3"}, "a target deploys digests only"),
        ({"DEPLOY_HOST": ""}, "DEPLOY_HOST is not set"),
        ({"DEPLOY_HOST": "host -oProxyCommand=id"}, "is not HOST or HOST:PORT"),
        ({"DEPLOY_USER": "-oProxyCommand=id"}, "is not a user name"),
        ({"DEPLOY_SSH_KEY": "hunter2"}, "DEPLOY_SSH_KEY is not a private key"),
        ({"DEPLOY_KNOWN_HOSTS": ""}, "DEPLOY_KNOWN_HOSTS is not set"),
    ],
)
def test_ssh_compose_refuses_bad_settings_in_one_line(
    project: Project, ssh_host: SshHost, tmp_path: Path, overrides: dict[str, str], fragment: str
) -> None:
    done = run_target(project, target_env(ssh_host, tmp_path, **overrides))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert fragment in done.stderr
    assert "hunter2" not in done.stderr
    assert ssh_host.host.calls() == []


def test_the_host_refusal_reaches_the_stage_as_a_refusal(
    project: Project, ssh_host: SshHost, tmp_path: Path
) -> None:
    (ssh_host.host.config / "staging.env").unlink()
    done = run_target(project, target_env(ssh_host, tmp_path))
    assert done.returncode == 2
    assert "environment 'staging' has no" in done.stderr
    assert "the host refused the deployment; nothing changed" in done.stderr


# -- deploy_stage.py ---------------------------------------------------------------------------


def load_stage_module() -> ModuleType:
    sys.path.insert(0, str(TEMPLATE_SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location("deploy_stage", TEMPLATE_SCRIPTS / "deploy_stage.py")
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["deploy_stage"] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(TEMPLATE_SCRIPTS))


stage_module = load_stage_module()
Release = stage_module.Release

# Test double of a target (records only): "deploys" by writing what the service reports to
# the file DEPLOY_HOST names, so the stage's wait sees the version change; exits with the next
# code the file lists.
FAKE_TARGET = """#!/usr/bin/env python3
import json, os, sys
from pathlib import Path
state_file = Path(os.environ["DEPLOY_HOST"])
state = json.loads(state_file.read_text())
call = {"action": sys.argv[1], "image": os.environ.get("DEPLOY_IMAGE"), "env": sorted(os.environ)}
state["calls"].append(call)
if sys.argv[1] == "current":
    print(state.get("image") or "")
    code = 0
else:
    code = state["exits"].pop(0) if state["exits"] else 0
    if code == 0:
        state["image"] = os.environ["DEPLOY_IMAGE"]
        if os.environ["DEPLOY_VERSION"] != state.get("never_live"):
            state.update(version=os.environ["DEPLOY_VERSION"], revision=os.environ["DEPLOY_REVISION"])
        Path(os.environ["DEPLOY_OUTPUT"]).write_text("live_image=" + os.environ["DEPLOY_IMAGE"] + "\\n")
state_file.write_text(json.dumps(state))
sys.exit(code)
"""


# Test double of the smoke suite: exits with the next of its codes, one run after another (the
# runs are counted in smoke-runs), and prints which SMOKE_/DEPLOY_/token variables it saw.
FAKE_SMOKE = """import os, sys
from pathlib import Path
runs = Path("smoke-runs")
done = runs.read_text().split() if runs.exists() else []
runs.write_text(" ".join([*done, "x"]))
print("smoke env", sorted(k for k in os.environ if k.startswith(("SMOKE_", "DEPLOY_", "GITHUB_TOKEN"))))
codes = sys.argv[1].split()
sys.exit(int(codes[len(done)]) if len(done) < len(codes) else 0)
"""


@dataclass
class World:
    github: Deployments
    state_file: Path
    url: str
    workdir: Path

    def state(self) -> dict[str, Any]:
        return json.loads(self.state_file.read_text(encoding="utf-8"))

    def set(self, **values: Any) -> None:
        self.state_file.write_text(json.dumps({**self.state(), **values}), encoding="utf-8")


@pytest.fixture
def world(tmp_path: Path, description: Description, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The deployments API, a live service whose /version follows the fake target's deploys,
    and a checkout holding the fake target, as the deploy job's working directory."""
    state_file = tmp_path / "service.json"
    state_file.write_text(json.dumps({"calls": [], "exits": [], "ready": True}), encoding="utf-8")
    workdir = tmp_path / "checkout"
    executable(workdir / ".github/deploy/targets/fake", FAKE_TARGET)
    monkeypatch.chdir(workdir)

    class Service(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state = json.loads(state_file.read_text(encoding="utf-8"))
            if self.path == "/version" and state.get("version"):
                code, body = (
                    200,
                    {
                        "name": "example-pipeline-package",
                        "version": state["version"],
                        "revision": state["revision"],
                    },
                )
            elif self.path == "/readyz":
                code, body = (200, {"status": "ready"}) if state["ready"] else (503, {"status": "not ready"})
            else:
                code, body = 503, {}
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    def check(operation_id: str, body: Any) -> list[str]:
        return description.body_errors(description.by_id[operation_id], body)

    service = ThreadingHTTPServer(("127.0.0.1", 0), Service)
    with serving(service, "service") as port, github_deployments(REPOSITORY, check) as github:
        yield World(github, state_file, f"http://127.0.0.1:{port}", workdir)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def make_stage(
    world: World, environment: str = "staging", smoke: list[int] | None = None, **fields: Any
) -> Any:
    """A Stage as deploy.yml's job makes it; `smoke` lists the smoke suite's exit codes in turn."""
    codes = " ".join(str(c) for c in (smoke or [0]))
    command = (sys.executable, str(executable(world.workdir / "smoke.py", FAKE_SMOKE)), codes)
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_API_URL": world.github.url,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_TOKEN": "job-token",
        "GITHUB_RUN_ID": "42",
        "RUNNER_TEMP": str(world.workdir.parent),
        "DEPLOY_TARGET": "fake",
        "DEPLOY_HOST": str(world.state_file),
        "DEPLOY_SSH_KEY": "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----",
        "DEPLOY_URL": world.url,
    }
    clock = FakeClock()
    return stage_module.Stage(
        environment=environment,
        url=world.url,
        env=env,
        github=stage_module.GitHub(env),
        clock=clock,
        sleep=clock.sleep,
        smoke_command=command,
        **fields,
    )


def release(digest: str, version: str, commit: str) -> Any:
    return Release(image=IMAGE, digest=digest, version=version, revision=commit)


def passed_before(world: World, environment: str, digest: str, version: str, commit: str) -> None:
    world.github.seed(
        environment, release(digest, version, commit).payload(), "in_progress", "success", ref=commit
    )
    world.set(image=f"{IMAGE}@{digest}", version=version, revision=commit)


def test_a_healthy_deployment_is_recorded_with_its_digest(
    world: World, capfd: pytest.CaptureFixture[str]
) -> None:
    report = stage_module.run_stage(make_stage(world), release(DIGEST_A, "1.0.0", COMMIT_A))
    assert report["outcome"] == "deployed"
    assert world.github.history("staging") == [("1.0.0", DIGEST_A, ["in_progress", "success"])]
    (record,) = world.github.records
    assert record["ref"] == COMMIT_A
    assert record["task"] == "deploy:image"
    assert record["payload"] == {"image": IMAGE, "digest": DIGEST_A, "version": "1.0.0", "revision": COMMIT_A}
    assert world.github.problems == []
    # The target got the contract's variables and the environment's settings, nothing else.
    deploy_call = world.state()["calls"][-1]
    assert set(deploy_call["env"]) <= {
        "PATH",
        "HOME",
        "TMPDIR",
        "DEPLOY_ENVIRONMENT",
        "DEPLOY_URL",
        "DEPLOY_TIMEOUT",
        "DEPLOY_OUTPUT",
        "DEPLOY_IMAGE",
        "DEPLOY_VERSION",
        "DEPLOY_REVISION",
        "DEPLOY_HOST",
        "DEPLOY_USER",
        "DEPLOY_KNOWN_HOSTS",
        "DEPLOY_SSH_KEY",
        "LC_CTYPE",
    }
    assert "GITHUB_TOKEN" not in deploy_call["env"]
    # The smoke suite saw the environment's URL and the expected version, never a secret.
    out = capfd.readouterr().out
    assert "smoke env ['SMOKE_REVISION', 'SMOKE_URL', 'SMOKE_VERSION']" in out


def test_a_failing_smoke_suite_rolls_back_to_the_last_digest_that_passed(world: World) -> None:
    passed_before(world, "staging", DIGEST_A, "1.0.0", COMMIT_A)
    report = stage_module.run_stage(make_stage(world, smoke=[1, 1, 1]), release(DIGEST_B, "1.1.0", COMMIT_B))
    assert report == {
        "environment": "staging",
        "version": "1.1.0",
        "digest": DIGEST_B,
        "url": world.url,
        "outcome": "rolled-back",
        "rolled_back_to": DIGEST_A,
    }
    assert (world.workdir / "smoke-runs").read_text().split() == ["x", "x", "x"]
    assert world.github.history("staging") == [
        ("1.0.0", DIGEST_A, ["in_progress", "success", "inactive"]),
        ("1.1.0", DIGEST_B, ["in_progress", "failure"]),
        ("1.0.0", DIGEST_A, ["in_progress", "success"]),
    ]
    assert world.state()["image"] == f"{IMAGE}@{DIGEST_A}"
    assert world.github.problems == []


def test_a_smoke_failure_that_clears_on_a_retry_deploys(world: World) -> None:
    report = stage_module.run_stage(make_stage(world, smoke=[1, 0]), release(DIGEST_A, "1.0.0", COMMIT_A))
    assert report["outcome"] == "deployed"


def test_a_version_that_never_goes_live_is_rolled_back_after_the_deadline(world: World) -> None:
    passed_before(world, "staging", DIGEST_A, "1.0.0", COMMIT_A)
    # The target says done, but the service keeps reporting the old version (a stuck proxy).
    world.set(never_live="1.1.0")
    stage = make_stage(world, wait_seconds=60)
    report = stage_module.run_stage(stage, release(DIGEST_B, "1.1.0", COMMIT_B))
    assert report["outcome"] == "rolled-back"
    assert stage.clock() >= 60
    assert not (world.workdir / "smoke-runs").exists()  # the smoke suite never ran


def test_a_target_failure_rolls_back_and_a_refusal_does_not(world: World) -> None:
    passed_before(world, "staging", DIGEST_A, "1.0.0", COMMIT_A)
    world.set(exits=[1])
    assert (
        stage_module.run_stage(make_stage(world), release(DIGEST_B, "1.1.0", COMMIT_B))["outcome"]
        == "rolled-back"
    )
    world.set(exits=[2])
    report = stage_module.run_stage(make_stage(world), release(DIGEST_C, "1.2.0", COMMIT_C))
    assert report["outcome"] == "refused"
    assert report["rolled_back_to"] == ""
    assert world.github.history("staging")[-1] == ("1.2.0", DIGEST_C, ["in_progress", "failure"])


def test_with_nothing_that_passed_before_the_failure_says_so(
    world: World, capfd: pytest.CaptureFixture[str]
) -> None:
    report = stage_module.run_stage(make_stage(world, smoke=[1, 1, 1]), release(DIGEST_A, "1.0.0", COMMIT_A))
    assert report["outcome"] == "failed"
    assert "nothing passed here before" in capfd.readouterr().out


def test_a_rollback_that_does_not_come_back_is_a_failure(world: World) -> None:
    passed_before(world, "staging", DIGEST_A, "1.0.0", COMMIT_A)
    world.set(exits=[1, 1])
    report = stage_module.run_stage(make_stage(world), release(DIGEST_B, "1.1.0", COMMIT_B))
    assert report["outcome"] == "failed"
    assert report["rolled_back_to"] == DIGEST_A
    assert world.github.history("staging")[-1] == ("1.0.0", DIGEST_A, ["in_progress", "error"])


def test_forged_records_are_never_a_rollback_target(world: World) -> None:
    """Any token with deployments: write can write a record: one with another image, a tag or
    a payload that is not ours is passed over for the last genuine one."""
    passed_before(world, "staging", DIGEST_A, "1.0.0", COMMIT_A)
    for payload in (
        {"image": "ghcr.io/attacker/app", "digest": DIGEST_C, "version": "9.9.9", "revision": COMMIT_C},
        {"image": IMAGE, "digest": "latest", "version": "9.9.9", "revision": COMMIT_C},
        {"image": IMAGE, "digest": DIGEST_C, "version": "$(id)", "revision": COMMIT_C},
        "not json",
    ):
        world.github.seed("staging", payload, "success")
    # A well-formed record and success that a person's token wrote, not a workflow's.
    forged = release(DIGEST_C, "1.0.1", COMMIT_C).payload()
    world.github.seed("staging", forged, "in_progress", "success", creator="mallory")
    report = stage_module.run_stage(make_stage(world, smoke=[1, 1, 1]), release(DIGEST_B, "1.1.0", COMMIT_B))
    assert report["rolled_back_to"] == DIGEST_A


def resolve_env(world: World, **values: str) -> dict[str, str]:
    return {
        "GITHUB_API_URL": world.github.url,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_TOKEN": "job-token",
        "DEPLOY_IMAGE": IMAGE,
        **values,
    }


def test_a_record_a_person_wrote_never_lets_a_version_through(world: World) -> None:
    """Anyone with deployments: write can post a `staging` success for a tag: only records and
    statuses a workflow's token wrote count."""
    forged = release(DIGEST_C, "1.0.0", COMMIT_A).payload()
    world.github.seed("staging", forged, "success", creator="mallory")
    env = resolve_env(
        world, DEPLOY_ENVIRONMENT="development", GITHUB_REF="refs/tags/v1.0.0", GITHUB_SHA=COMMIT_A
    )
    with pytest.raises(stage_module.StageError, match=r"1\.0\.0 never passed staging"):
        stage_module.resolve(env)
    # A genuine record whose success status a person added does not count either.
    record = world.github.seed("staging", release(DIGEST_A, "1.0.0", COMMIT_A).payload(), "in_progress")
    world.github._status(record, {"state": "success"}, "mallory")
    with pytest.raises(stage_module.StageError, match=r"1\.0\.0 never passed staging"):
        stage_module.resolve(env)


def test_a_manual_run_from_a_tag_deploys_what_passed_staging_for_it(world: World) -> None:
    passed_before(world, "staging", DIGEST_A, "1.0.0", COMMIT_A)
    passed_before(world, "staging", DIGEST_B, "1.1.0", COMMIT_B)
    found = stage_module.resolve(
        resolve_env(
            world, DEPLOY_ENVIRONMENT="production", GITHUB_REF="refs/tags/v1.0.0", GITHUB_SHA=COMMIT_A
        )
    )
    assert found == release(DIGEST_A, "1.0.0", COMMIT_A)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"GITHUB_REF": "refs/heads/main", "GITHUB_SHA": COMMIT_A}, "run Deploy from a release tag"),
        ({"GITHUB_REF": "refs/tags/v2.0.0", "GITHUB_SHA": COMMIT_C}, "2.0.0 never passed staging"),
        ({"GITHUB_REF": "refs/tags/v1.0.0", "GITHUB_SHA": COMMIT_C}, "not the tag's commit"),
        ({"DEPLOY_ENVIRONMENT": "qa", "GITHUB_REF": "refs/tags/v1.0.0"}, "environment 'qa' is not valid"),
        (
            {
                "DEPLOY_ENVIRONMENT": "production",
                "INPUT_DIGEST": DIGEST_C,
                "INPUT_VERSION": "3.0.0",
                "INPUT_REVISION": COMMIT_C,
            },
            "never passed staging: production takes only what did",
        ),
        (
            {"INPUT_DIGEST": "sha256:short", "INPUT_VERSION": "1.0.0", "INPUT_REVISION": COMMIT_A},
            "digest 'sha256:short'",
        ),
        (
            {
                "DEPLOY_ENVIRONMENT": "production",
                "INPUT_DIGEST": DIGEST_A,
                "INPUT_VERSION": "1.1.0rc1",
                "INPUT_REVISION": COMMIT_A,
            },
            "1.1.0rc1 is a pre-release: production takes final versions only",
        ),
        (
            {"INPUT_DIGEST": DIGEST_A, "INPUT_VERSION": "1.0.0; id", "INPUT_REVISION": COMMIT_A},
            "version '1.0.0; id'",
        ),
    ],
)
def test_what_a_run_may_deploy_is_checked_before_any_environment(
    world: World, values: dict[str, str], fragment: str
) -> None:
    passed_before(world, "staging", DIGEST_A, "1.0.0", COMMIT_A)
    with pytest.raises(stage_module.StageError, match=None) as refused:
        stage_module.resolve(resolve_env(world, **{"DEPLOY_ENVIRONMENT": "staging", **values}))
    assert fragment in str(refused.value)


def test_the_stage_refuses_a_plain_http_url(world: World) -> None:
    with pytest.raises(stage_module.StageError, match="must be an https:// URL"):
        stage_module.https_or_loopback("http://staging.example.org")
    assert stage_module.https_or_loopback("https://staging.example.org") == "https://staging.example.org"
