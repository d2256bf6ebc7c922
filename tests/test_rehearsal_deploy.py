"""Rehearsal of the staged deployment (container=ghcr+deploy), run with act on this host.

The baked workflows run as they are: ci.yml deploys main's image to `development`; release.yml
pushes the release image and promotes that one digest to `staging`, then `production`; deploy.yml
run by hand redeploys a released version. What stands in for what:

- **The deployment host**: Debian's OpenSSH server on 127.0.0.1 (tests/support/sshd.py) with the
  `authorized_keys` line docs/environments.md prints, so the ssh-compose target, the pinned host
  key and the forced command run for real. The forced command is the baked
  deploy/host/deploy_image.py, installed as the guide says, with the host's Compose file and one
  settings file per environment. Its `docker` is tests/rehearsal/host/docker: it pulls the image
  by digest from the local registry and runs the image's own server with buildah, so the wait,
  the smoke suite and the rollback talk to a live process of the released image.
- **GHCR**: Debian's docker-registry on 127.0.0.1, as in the image rehearsal, with the image built
  by buildah on the stand-in base (tests/support/containers.py).
- **GitHub's deployments API**: tests/support/github_deployments.py, reached through
  GITHUB_API_URL, request bodies checked against GitHub's OpenAPI description.
- Slack and SMTP: the local receivers the other rehearsals use.

What cannot run here is printed by each test (NOT_HERE), beside act's own list.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Bake, Project
from github_api.openapi import Description
from support.container_registry import LocalRegistry, local_registry, need_registry_tools
from support.containers import STAND_IN_PYTHON, Storage, cache_dir, temporary_storage
from support.github_deployments import Deployments, github_deployments
from support.rehearsal import Rehearsal, git, not_executed, notification_secrets, prepare_repository, rehearse
from support.slack_webhook import SlackWebhook, slack_webhook
from support.smtp_server import SmtpServer, smtp_server
from support.sshd import SshServer, keypair, ssh_server
from test_rehearsal_release import release_copy, release_env, tag

pytestmark = pytest.mark.rehearsal

ANSWERS = {
    "kind": "service",
    "container": "ghcr+deploy",
    "python_max": STAND_IN_PYTHON,
    "publish": "none",
    "notifications": "slack+email",
}
HOST_BIN = Path(__file__).parent / "rehearsal" / "host"
ENVIRONMENTS = ("development", "staging", "production")
NOT_HERE = (
    "GitHub's environments: act runs protected jobs without waiting for reviewers, wait timers or "
    "deployment branch rules, and makes no automatic deployment record; the jobs that would have "
    "waited for a reviewer are listed as 'approval simulated'",
    "environment-scoped variables and secrets: act has one set, so every environment here is the "
    "same host and the same published port (a deployment to one replaces the process of another), "
    "and its one key line takes the environment from the request instead of pinning one "
    "(the pin is tested with sshd in test_deploy_scripts.py)",
    "concurrency groups: act runs one job at a time and queues nothing",
    "Docker Engine and Compose on the host: tests/rehearsal/host/docker follows the host's Compose "
    "file with buildah (no network namespace, restart policy, read-only root or dropped capabilities)",
    "GHCR, a VM across a network and TLS to DEPLOY_URL: a local registry and 127.0.0.1 over HTTP",
    "linux/arm64: the host platform is built alone",
)


@pytest.fixture(scope="module")
def containers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Storage, str]]:
    need_registry_tools("the deployment rehearsal builds, pushes and runs the baked image")
    with temporary_storage(tmp_path_factory.mktemp("containers"), cache_dir()) as made:
        yield made


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[LocalRegistry]:
    with local_registry(tmp_path / "registry") as running:
        yield running


@pytest.fixture
def deployments(description: Description) -> Iterator[Deployments]:
    def check(operation_id: str, body: Any) -> list[str]:
        return description.body_errors(description.by_id[operation_id], body)

    with github_deployments("your-github-name/example-pipeline-package", check) as api:
        yield api


@pytest.fixture
def receivers() -> Iterator[tuple[SlackWebhook, SmtpServer]]:
    with slack_webhook() as slack, smtp_server() as smtp:
        yield slack, smtp


@dataclass
class Host:
    """The stand-in deployment host: sshd, the installed deploy program, its settings."""

    server: SshServer
    state: Path
    url: str
    private_key: str

    def variables(self) -> dict[str, str]:
        """What each environment's variables hold (one set: act has no environment scope)."""
        return {
            # The repository variable that turns the deployments on, once a host exists.
            "DEPLOY_ENABLED": "true",
            "DEPLOY_URL": self.url,
            "DEPLOY_HOST": self.server.address,
            "DEPLOY_USER": self.server.user,
            "DEPLOY_KNOWN_HOSTS": self.server.known_hosts_line,
        }

    def version(self) -> dict[str, Any]:
        import urllib.request

        with urllib.request.urlopen(f"{self.url}/version", timeout=5) as answer:
            return dict(json.load(answer))

    def running(self) -> dict[str, Any]:
        path = self.state / "projects.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def stop_all(self) -> None:
        for running in self.running().values():
            with contextlib.suppress(OSError):
                os.killpg(int(running["pid"]), signal.SIGTERM)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def host(
    tmp_path: Path, bake: Bake, containers: tuple[Storage, str], registry: LocalRegistry
) -> Iterator[Host]:
    """A host set up as docs/environments.md says: the deploy program installed, the Compose
    file and each environment's settings in the config folder, the key's forced command."""
    project = bake(**ANSWERS)
    storage, _ = containers
    root = tmp_path / "host"
    config, state, host_state = root / "etc", root / "var-lib", root / "docker-state"
    config.mkdir(parents=True)
    program = root / "usr-local-bin" / "example-pipeline-package-deploy"
    program.parent.mkdir()
    program.write_text(
        (project.path / "deploy/host/deploy_image.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (config / "compose.yaml").write_text(
        (project.path / "deploy/host/compose.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    port = free_port()
    for environment in ENVIRONMENTS:
        (config / f"{environment}.env").write_text(f"DEPLOY_PUBLISH=127.0.0.1:{port}\n", encoding="utf-8")
    # The host's environment: its docker (the stand-in) on PATH, and the stand-in's storage.
    exports = {
        "PATH": os.pathsep.join(
            [str(HOST_BIN), str(Path(sys.executable).parent), "/usr/sbin:/usr/bin:/sbin:/bin"]
        ),
        **storage.env,
        "TMPDIR": str(storage.root / "tmp"),
        "BUILDAH_ISOLATION": "chroot",
        "REHEARSAL_REGISTRY_MAP": json.dumps({"ghcr.io": registry.host}),
        "REHEARSAL_HOST_STATE": str(host_state),
    }
    forced = root / "forced-command"
    forced.write_text(
        "#!/bin/sh\n"
        + "".join(f"export {name}='{value}'\n" for name, value in exports.items())
        # act has one DEPLOY_SSH_KEY for every environment, so this one key line takes its
        # environment from the request; a host's line per key pins one (test_deploy_scripts.py).
        + "set -- $SSH_ORIGINAL_COMMAND\n"
        + f'exec python3 {program} --config-dir {config} --state-dir {state} --environment "$2"\n',
        encoding="utf-8",
    )
    forced.chmod(0o755)
    private, public = keypair(tmp_path / "deploy_key", "example-pipeline-package-deploy")
    with ssh_server(root / "sshd", [f'restrict,command="{forced}" {public}']) as server:
        made = Host(server, host_state, f"http://127.0.0.1:{port}", private)
        try:
            yield made
        finally:
            made.stop_all()


def deploy_env(
    containers: tuple[Storage, str], registry: LocalRegistry, deployments: Deployments, smtp: SmtpServer
) -> dict[str, str]:
    storage, base = containers
    return {
        **release_env({}),
        **storage.env,
        "REHEARSAL_BASE_IMAGE": base,
        "REHEARSAL_REGISTRY_MAP": json.dumps({"ghcr.io": registry.host}),
        "GITHUB_API_URL": deployments.url,
        "REHEARSAL_SMTP_PORT": str(smtp.port),
    }


def secrets_for(host: Host, slack: SlackWebhook, smtp: SmtpServer) -> dict[str, str]:
    notify, _ = notification_secrets(slack.url, smtp.port)
    return {**notify, "DEPLOY_SSH_KEY": host.private_key}


@dataclass
class Repository:
    """What every act run of one scenario shares: the stand-ins' environment, the repository's
    variables (one set for every environment: act has no environment scope) and secrets."""

    env: dict[str, str]
    variables: dict[str, str]
    secrets: dict[str, str]

    def run(
        self, project: Project, event: str, workflow: str, payload: dict[str, Any], **extra: Any
    ) -> Rehearsal:
        return rehearse(
            project.path,
            event,
            workflow=workflow,
            event_payload=payload,
            env=self.env,
            variables=self.variables,
            secrets=self.secrets,
            timeout=2400,
            **extra,
        )

    def release(self, project: Project, tag_name: str, sha: str) -> Rehearsal:
        """The push of a release tag: release.yml."""
        payload = {"ref": f"refs/tags/{tag_name}", "head_commit": {"id": sha}}
        return self.run(project, "push", "release.yml", payload)

    def deploy_by_hand(self, project: Project, ref: str, environment: str) -> Rehearsal:
        """Deploy run by hand, "Use workflow from" `ref`."""
        payload = {"ref": ref, "inputs": {"environment": environment}}
        return self.run(project, "workflow_dispatch", "deploy.yml", payload)


@pytest.fixture
def repository(
    containers: tuple[Storage, str],
    registry: LocalRegistry,
    deployments: Deployments,
    receivers: tuple[SlackWebhook, SmtpServer],
    host: Host,
) -> Repository:
    slack, smtp = receivers
    return Repository(
        deploy_env(containers, registry, deployments, smtp), host.variables(), secrets_for(host, slack, smtp)
    )


def show(rehearsal: Rehearsal, label: str, started: float) -> float:
    wall = time.monotonic() - started
    print(f"\n{rehearsal.report(label)}  (wall {wall:.1f}s)")
    for line in not_executed(rehearsal):
        print(f"    not executed: {line}")
    for job in rehearsal.jobs.values():
        if job.job_id == "deploy" and not job.name.endswith(" to development"):
            print(f"    approval simulated: {job.name} (its environment requires a reviewer)")
    for line in NOT_HERE:
        print(f"    not run here: {line}")
    return wall


def stage_log(rehearsal: Rehearsal) -> str:
    return "\n".join(job.text() for job in rehearsal.matching("deploy"))


def test_a_manual_run_from_a_branch_is_refused_before_any_environment(
    bake: Bake,
    tmp_path: Path,
    deployments: Deployments,
    receivers: tuple[SlackWebhook, SmtpServer],
    host: Host,
    repository: Repository,
) -> None:
    slack, smtp = receivers
    project = bake(**ANSWERS).copy_to(tmp_path / "project")
    started = time.monotonic()
    run = repository.deploy_by_hand(project, "refs/heads/main", "production")
    show(run, "manual deploy from main to production", started)
    run.assert_job("check what is deployed where", "failure")
    assert (
        "run Deploy from a release tag (vX.Y.Z), not 'refs/heads/main'"
        in run.job("check what is deployed where").text()
    )
    assert [j.name for j in run.jobs.values() if j.job_id == "deploy"] == []
    assert deployments.records == []
    assert host.running() == {}
    # Refused is news too: Slack and email hear of it.
    assert any("refused" in json.dumps(message) for message in slack.received), slack.received
    assert any("refused" in mail.subject for mail in smtp.messages), smtp.messages


def jobs_named(rehearsal: Rehearsal, job_id: str) -> dict[str, str]:
    """act's label -> result, for every job with this id (a reusable workflow's jobs appear once
    per caller)."""
    return {j.name: j.result for j in rehearsal.jobs.values() if j.job_id == job_id}


def bump(project: Project, version: str, change: str) -> None:
    """What a maintainer does for the next release, as the runbook says: an entry under
    [Unreleased], the version in pyproject.toml, `changelog.py cut`, and the lock the
    pre-commit hook would refresh."""
    changelog = project.path / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text(encoding="utf-8").replace(
            "## [Unreleased]\n", f"## [Unreleased]\n\n### Changed\n\n- {change}\n", 1
        ),
        encoding="utf-8",
    )
    pyproject = project.path / "pyproject.toml"
    text, count = re.subn(
        r'^version = ".*"$', f'version = "{version}"', pyproject.read_text("utf-8"), count=1, flags=re.M
    )
    assert count == 1
    pyproject.write_text(text, encoding="utf-8")
    for command in (
        [sys.executable, ".github/scripts/changelog.py", "cut", version, "--date", "2026-12-01"],
        ["uv", "lock", "--quiet"],
    ):
        done = subprocess.run(command, cwd=project.path, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr


def slack_lines(slack: SlackWebhook) -> list[str]:
    return [
        block["text"]["text"]
        for message in slack.received
        for block in message.get("blocks", [])
        if block.get("type") == "section" and "text" in block
    ]


def test_a_release_is_promoted_by_digest_rolled_back_and_redeployed(
    bake: Bake,
    tmp_path: Path,
    deployments: Deployments,
    receivers: tuple[SlackWebhook, SmtpServer],
    host: Host,
    repository: Repository,
) -> None:
    """Scenarios 1-3 of the issue on one repository's life: tag v0.2.0 promotes one digest to
    staging then production; v0.3.0, whose /healthz answer a commit changed, fails staging's
    smoke suite and staging returns to 0.2.0, healthy, while production never starts; then
    Deploy run by hand from tag v0.2.0 redeploys it, and from v0.3.0 to production is refused."""
    slack, smtp = receivers
    project = release_copy(bake(**ANSWERS), tmp_path / "project", "0.2.0")
    sha_020 = tag(project, "v0.2.0")

    # 1. The release, promoted by digest.
    started = time.monotonic()
    first = repository.release(project, "v0.2.0", sha_020)
    to_production = show(first, "tag v0.2.0: release.yml, staging then production", started)
    first.assert_job("publish-image", "success")
    digest = first_output(first, "publish-image", "digest")
    assert digest.startswith("sha256:")
    assert set(jobs_named(first, "deploy").values()) == {"success"}, first.summary()
    assert len(jobs_named(first, "deploy")) == 2
    for environment in ("staging", "production"):
        (record,) = deployments.history(environment)
        assert record[:2] == ("0.2.0", digest), record
        assert "success" in record[2], record
    assert host.version() == {"name": "example-pipeline-package", "version": "0.2.0", "revision": sha_020}
    lines = slack_lines(slack)
    for environment in ("staging", "production"):
        assert any(f"deployed: 0.2.0 to {environment} ({digest})" in line for line in lines), lines
    assert deployments.problems == []
    print(
        f"    figure: tag to production {to_production:.0f}s (image build, two stages, approvals simulated)"
    )

    # 2. The next release breaks what the smoke suite checks: staging rolls back.
    app = project.path / "src" / "example_pipeline_package" / "app.py"
    app.write_text(
        app.read_text(encoding="utf-8").replace('{"status": "ok"}', '{"status": "fine"}'), encoding="utf-8"
    )
    unit = project.path / "tests" / "test_app.py"
    unit.write_text(
        unit.read_text(encoding="utf-8").replace('{"status": "ok"}', '{"status": "fine"}'), encoding="utf-8"
    )
    bump(project, "0.3.0", "`/healthz` answers `fine`.")
    sha_030 = tag(project, "v0.3.0")
    started = time.monotonic()
    second = repository.release(project, "v0.3.0", sha_030)
    show(second, "tag v0.3.0: staging's smoke suite fails, staging rolls back", started)
    second.assert_job("publish-image", "success")
    broken = first_output(second, "publish-image", "digest")
    assert broken != digest
    assert set(jobs_named(second, "deploy").values()) == {"failure"}, second.summary()
    log = stage_log(second)
    assert "the smoke suite failed" in log
    assert log.count("smoke suite, attempt") == 3
    rolled = re.search(r"rolled back to (sha256:[0-9a-f]{64}) in (\d+)s, healthy again", log)
    assert rolled, log[-3000:]
    assert rolled[1] == digest
    staging = deployments.history("staging")
    assert [(v, d) for v, d, _ in staging] == [("0.2.0", digest), ("0.3.0", broken), ("0.2.0", digest)]
    assert staging[1][2] == ["in_progress", "failure"]
    assert staging[2][2][-1] == "success"
    assert len(deployments.history("production")) == 1  # production never started
    assert host.version() == {"name": "example-pipeline-package", "version": "0.2.0", "revision": sha_020}
    assert any(
        f"rolled back: 0.3.0 to staging ({broken}); back on {digest}" in line for line in slack_lines(slack)
    )
    assert any("rolled back: 0.3.0 to staging" in mail.subject for mail in smtp.messages)
    print(f"    figure: time to roll back {rolled[2]}s (deploy the earlier digest, wait until healthy)")

    # 3. Deploy run by hand from a tag: what passed staging for it, and nothing that did not.
    git(project.path, "checkout", "--quiet", "v0.2.0")  # "Use workflow from: v0.2.0": its commit is the run's
    started = time.monotonic()
    redeploy = repository.deploy_by_hand(project, "refs/tags/v0.2.0", "development")
    show(redeploy, "Deploy by hand from v0.2.0 to development", started)
    assert set(jobs_named(redeploy, "deploy").values()) == {"success"}, redeploy.summary()
    ((version, deployed, states),) = deployments.history("development")
    assert (version, deployed, states[-1]) == ("0.2.0", digest, "success")

    git(project.path, "checkout", "--quiet", "v0.3.0")
    started = time.monotonic()
    refused = repository.deploy_by_hand(project, "refs/tags/v0.3.0", "production")
    show(refused, "Deploy by hand from v0.3.0 to production", started)
    refused.assert_job("check what is deployed where", "failure")
    assert "0.3.0 never passed staging" in refused.job("check what is deployed where").text()
    assert jobs_named(refused, "deploy") == {}
    assert len(deployments.history("production")) == 1
    assert deployments.problems == []


def first_output(rehearsal: Rehearsal, job_id: str, name: str) -> str:
    values = [
        str(e.get("arg", ""))
        for e in rehearsal.entries
        if e.get("command") == "set-output" and e.get("jobID") == job_id and e.get("name") == name
    ]
    assert values, f"{job_id} set no output {name}"
    return values[-1]


def test_a_push_to_main_deploys_its_image_to_development(
    bake: Bake,
    tmp_path: Path,
    registry: LocalRegistry,
    deployments: Deployments,
    receivers: tuple[SlackWebhook, SmtpServer],
    host: Host,
    repository: Repository,
) -> None:
    """ci.yml on a push to main: once ci-passed is green, the image is built once, pushed as
    sha-<commit> and deployed to `development` by digest, where the commit's own smoke suite
    passes against the live service."""
    slack, smtp = receivers
    project = bake(**ANSWERS).copy_to(tmp_path / "project")
    prepare_repository(project.path)
    sha = git(project.path, "rev-parse", "HEAD")
    started = time.monotonic()
    run = repository.run(project, "push", "ci.yml", {}, matrix={"python": STAND_IN_PYTHON})
    show(run, "push to main: ci.yml, then development", started)
    run.assert_job("ci-passed", "success")
    run.assert_job("publish-dev-image", "success")
    digest = first_output(run, "publish-dev-image", "digest")
    package = "your-github-name/example-pipeline-package"
    assert registry.tags(package) == [f"sha-{sha}"]
    assert registry.digest(f"{package}:sha-{sha}") == digest
    assert set(jobs_named(run, "deploy").values()) == {"success"}, run.summary()
    ((version, deployed, states),) = deployments.history("development")
    assert (version, deployed, states[-1]) == ("0.1.0", digest, "success")
    assert host.version() == {"name": "example-pipeline-package", "version": "0.1.0", "revision": sha}
    log = stage_log(run)
    assert "smoke suite, attempt 1" in log
    assert re.search(r"deployed 0\.1\.0 in \d+s: live, ready and smoke-tested", log), log[-2000:]
    assert any(f"deployed: 0.1.0 to development ({digest})" in line for line in slack_lines(slack))
    assert smtp.messages == []  # email hears only of deployments that did not deploy
