"""One deployment stage: deploy by digest, wait, smoke-test, roll back on failure.

    deploy_stage.py resolve   check deploy.yml's inputs and write image, digest,
                              version and revision to $GITHUB_OUTPUT (a manual run:
                              from its tag)
    deploy_stage.py run       the stage itself, in the environment's job

`run` records a GitHub deployment (task deploy:image, the digest in its payload), calls
the target (.github/deploy/targets/$DEPLOY_TARGET, default ssh-compose), waits until
$DEPLOY_URL/version reports the version and revision and /readyz answers 200, then runs
the smoke suite (pytest -m smoke) against $DEPLOY_URL. If the target fails, the wait
times out or the smoke suite fails, it deploys the environment's last digest that passed
(from the deployment records, else what the target says runs now), waits for it to be
healthy again, and fails. It writes `report` (JSON: environment, outcome, version,
digest, url, rolled_back_to) to $GITHUB_OUTPUT; outcome is deployed, rolled-back, failed
or refused.

A manual run (workflow_dispatch, from a tag vX.Y.Z) deploys the digest that passed
staging for that version: a version that never passed staging is refused, so production
can never get an image that skipped it. Exit status: 0 deployed; 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import step_outputs

TASK = "deploy:image"
# Who a job's GITHUB_TOKEN acts as: only records it wrote count as having passed.
WORKFLOW_LOGIN = "github-actions[bot]"
PRE_RELEASE = re.compile(r"\d(?:a|b|rc|c|alpha|beta|pre|preview|dev)\d*", re.IGNORECASE)
ENVIRONMENTS = ("development", "staging", "production")
ENV_NAME = re.compile("|".join(ENVIRONMENTS))
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
IMAGE = re.compile(r"ghcr\.io/[a-z0-9._-]+/[a-z0-9._-]+")
VERSION = re.compile(r"[0-9A-Za-z.+!-]{1,64}")
REVISION = re.compile(r"[0-9a-f]{40}")
TAG_REF = re.compile(r"refs/tags/v(?P<version>[0-9A-Za-z.+!-]{1,64})")
TARGET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
TARGETS_DIR = Path(".github/deploy/targets")
# Passed to the target beside the contract's own variables: the environment's settings.
TARGET_SETTINGS = ("DEPLOY_HOST", "DEPLOY_USER", "DEPLOY_KNOWN_HOSTS", "DEPLOY_SSH_KEY")
# Never in the smoke suite's environment: it is the project's code.
SECRETS = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_RESULTS_URL",
    # The step's own files: the suite must not write this step's outputs or environment.
    "GITHUB_OUTPUT",
    "GITHUB_ENV",
    "GITHUB_PATH",
    "GITHUB_STATE",
    "GITHUB_STEP_SUMMARY",
)
POLL_SECONDS = 5.0
REQUEST_SECONDS = 5.0
SMOKE_COMMAND = ("uv", "run", "--locked", "pytest", "-m", "smoke", "--no-cov")
SMOKE_ATTEMPTS = 3
SMOKE_PAUSE_SECONDS = 10.0
EXIT_REFUSED = 2
TARGET_GRACE_SECONDS = (
    120  # beyond DEPLOY_WAIT_SECONDS, for the pull and the connection
)


class StageError(Exception):
    """The stage cannot go on; the message is one line for the log."""


@dataclass(frozen=True)
class Release:
    """What one deployment puts in an environment."""

    image: str
    digest: str
    version: str
    revision: str

    @property
    def reference(self) -> str:
        return f"{self.image}@{self.digest}"

    def payload(self) -> dict[str, str]:
        return {
            "image": self.image,
            "digest": self.digest,
            "version": self.version,
            "revision": self.revision,
        }


def checked(name: str, value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.fullmatch(value):
        msg = f"{name} {value!r} is not valid (expected {pattern.pattern})"
        raise StageError(msg)
    return value


def release_from_payload(payload: object) -> Release | None:
    """A deployment record's payload, or None when it is not one of ours (any token with
    deployments: write can write a record, so nothing in one is trusted unchecked)."""
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError:
            return None
    if not isinstance(payload, dict):
        return None
    patterns = {
        "image": IMAGE,
        "digest": DIGEST,
        "version": VERSION,
        "revision": REVISION,
    }
    fields: dict[str, str] = {}
    for key, pattern in patterns.items():
        value = payload.get(key)
        if not isinstance(value, str) or not pattern.fullmatch(value):
            return None
        fields[key] = value
    return Release(
        image=fields["image"],
        digest=fields["digest"],
        version=fields["version"],
        revision=fields["revision"],
    )


# -- GitHub's deployments API ----------------------------------------------------------


class GitHub:
    """The few deployments calls the stage makes, with the job's token."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
        self.repository = env.get("GITHUB_REPOSITORY", "")
        self.token = env.get("GITHUB_TOKEN", "")
        if not self.token or "/" not in self.repository:
            msg = (
                "GITHUB_TOKEN and GITHUB_REPOSITORY must be set (deploy.yml sets them)"
            )
            raise StageError(msg)

    def request(self, method: str, path: str, body: object = None) -> Any:
        url = f"{self.api}/repos/{self.repository}/{path}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                return json.load(answer)
        except urllib.error.HTTPError as error:
            msg = f"GitHub answered {error.code} to {method} {path}"
            raise StageError(msg) from error
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as error:
            msg = f"{method} {path} failed: {error}"
            raise StageError(msg) from error

    def deployments(self, environment: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode(
            {"environment": environment, "task": TASK, "per_page": 30}
        )
        found = self.request("GET", f"deployments?{query}")
        return found if isinstance(found, list) else []

    def statuses(self, deployment_id: int) -> list[dict[str, Any]]:
        found = self.request("GET", f"deployments/{deployment_id}/statuses?per_page=30")
        return (
            [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []
        )

    def create(self, environment: str, release: Release) -> int:
        created = self.request(
            "POST",
            "deployments",
            {
                "ref": release.revision,
                "task": TASK,
                "environment": environment,
                "payload": release.payload(),
                "description": f"{release.version} ({release.digest[:19]})",
                "auto_merge": False,
                "required_contexts": [],
                "production_environment": environment == "production",
            },
        )
        return int(created["id"])

    def status(self, deployment_id: int, state: str, env: Mapping[str, str]) -> None:
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        run = env.get("GITHUB_RUN_ID", "")
        body = {
            "state": state,
            "log_url": f"{server}/{self.repository}/actions/runs/{run}",
            "environment_url": env.get("DEPLOY_URL", ""),
            "auto_inactive": True,
        }
        self.request("POST", f"deployments/{deployment_id}/statuses", body)


def by_workflows(item: dict[str, Any]) -> bool:
    """Made with a workflow's own token (as deploy.yml writes), not a person's."""
    creator = item.get("creator")
    return isinstance(creator, dict) and creator.get("login") == WORKFLOW_LOGIN


def passed(github: GitHub, environment: str, image: str) -> list[Release]:
    """Releases that passed in `environment`, newest first: records and `success`
    statuses a workflow's token wrote (a status stays listed once marked inactive)."""
    releases = []
    for record in github.deployments(environment):
        release = release_from_payload(record.get("payload"))
        if release is None or release.image != image or not by_workflows(record):
            continue
        statuses = github.statuses(int(record["id"]))
        if any(s.get("state") == "success" and by_workflows(s) for s in statuses):
            releases.append(release)
    return releases


# -- resolve ---------------------------------------------------------------------------


def resolve(env: Mapping[str, str]) -> Release:
    environment = checked("environment", env.get("DEPLOY_ENVIRONMENT", ""), ENV_NAME)
    image = checked("image", env.get("DEPLOY_IMAGE", ""), IMAGE)
    github = GitHub(env)
    digest = env.get("INPUT_DIGEST", "")
    if digest:  # called by ci.yml or release.yml with what they built
        release = Release(
            image=image,
            digest=checked("digest", digest, DIGEST),
            version=checked("version", env.get("INPUT_VERSION", ""), VERSION),
            revision=checked("revision", env.get("INPUT_REVISION", ""), REVISION),
        )
    else:  # a manual run: the version is the tag it was started from
        ref = env.get("GITHUB_REF", "")
        tag = TAG_REF.fullmatch(ref)
        if not tag:
            msg = f"run Deploy from a release tag (vX.Y.Z), not {ref!r}"
            raise StageError(msg)
        version = tag["version"]
        found = [r for r in passed(github, "staging", image) if r.version == version]
        if not found:
            msg = f"{version} never passed staging: only one that did is redeployed"
            raise StageError(msg)
        release = found[0]
        if release.revision != env.get("GITHUB_SHA", ""):
            msg = (
                f"{version} passed staging as {release.revision}, not the tag's commit"
            )
            raise StageError(msg)
    if environment == "production" and PRE_RELEASE.search(release.version):
        msg = (
            f"{release.version} is a pre-release: production takes final versions only"
        )
        raise StageError(msg)
    if environment == "production" and not any(
        r.digest == release.digest for r in passed(github, "staging", image)
    ):
        msg = f"{release.digest} never passed staging: production takes only what did"
        raise StageError(msg)
    return release


# -- run -------------------------------------------------------------------------------


@dataclass
class Stage:
    """An environment's settings, and the clock the tests replace."""

    environment: str
    url: str
    env: dict[str, str]
    github: GitHub
    wait_seconds: float = 300.0
    smoke_seconds: float = 180.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    smoke_command: tuple[str, ...] = SMOKE_COMMAND

    def log(self, message: str) -> None:
        print(f"[{self.environment}] {message}", flush=True)

    def target(self, action: str, release: Release | None = None) -> tuple[int, str]:
        name = self.env.get("DEPLOY_TARGET") or "ssh-compose"
        if not TARGET_NAME.fullmatch(name) or not (TARGETS_DIR / name).is_file():
            msg = f"DEPLOY_TARGET {name!r} is no file in {TARGETS_DIR}"
            raise StageError(msg)
        # A private folder for the target's files (its key, its output), on the runner's
        # temporary disk, which the runner empties after the job.
        scratch = Path(
            tempfile.mkdtemp(prefix="deploy-", dir=self.env.get("RUNNER_TEMP"))
        )
        output = scratch / "output"
        contract = {
            "PATH": self.env.get("PATH", os.defpath),
            "HOME": self.env.get("HOME", "/"),
            "TMPDIR": str(scratch),
            "DEPLOY_ENVIRONMENT": self.environment,
            "DEPLOY_URL": self.url,
            "DEPLOY_TIMEOUT": str(int(self.wait_seconds)),
            "DEPLOY_OUTPUT": str(output),
            **{k: self.env[k] for k in TARGET_SETTINGS if self.env.get(k)},
        }
        if release is not None:
            contract |= {
                "DEPLOY_IMAGE": release.reference,
                "DEPLOY_VERSION": release.version,
                "DEPLOY_REVISION": release.revision,
            }
        try:
            done = subprocess.run(  # noqa: S603
                [str((TARGETS_DIR / name).resolve()), action],
                env=contract,
                capture_output=True,
                text=True,
                check=False,
                timeout=self.wait_seconds + TARGET_GRACE_SECONDS,
            )
        except subprocess.TimeoutExpired:
            self.log(f"{name} {action} did not return in time")
            return 1, ""
        finally:
            reported = output.read_text(encoding="utf-8") if output.exists() else ""
            shutil.rmtree(scratch, ignore_errors=True)
        for line in (done.stdout if action == "deploy" else "").splitlines():
            self.log(f"{name}: {line}")
        for line in done.stderr.splitlines():
            self.log(f"{name}: {line}")
        for line in reported.splitlines():
            self.log(f"{name} reports {line}")
        return done.returncode, done.stdout.strip()

    def fetch(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(  # noqa: S310
                self.url.rstrip("/") + path, timeout=REQUEST_SECONDS
            ) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            return error.code, None
        except (urllib.error.URLError, TimeoutError, OSError, json.JSONDecodeError):
            return 0, None

    def wait_for(self, release: Release | None) -> bool:
        """Until /version names the release (when known) and /readyz says ready."""
        deadline = self.clock() + self.wait_seconds
        seen = "no answer"
        while True:
            status, body = self.fetch("/version")
            if status == HTTPStatus.OK and isinstance(body, dict):
                seen = f"{body.get('version')} ({body.get('revision')})"
                live = release is None or (
                    body.get("version") == release.version
                    and body.get("revision") == release.revision
                )
                if live and self.fetch("/readyz")[0] == HTTPStatus.OK:
                    self.log(f"live and ready: {seen}")
                    return True
            if self.clock() >= deadline:
                self.log(
                    f"not live after {self.wait_seconds:.0f}s: /version said {seen}"
                )
                return False
            self.sleep(POLL_SECONDS)

    def smoke(self, release: Release) -> bool:
        """The smoke suite against the environment, up to SMOKE_ATTEMPTS times."""
        deadline = self.clock() + self.smoke_seconds
        env = {k: v for k, v in self.env.items() if not k.startswith("DEPLOY_")}
        for name in SECRETS:
            env.pop(name, None)
        env |= {
            "SMOKE_URL": self.url,
            "SMOKE_VERSION": release.version,
            "SMOKE_REVISION": release.revision,
        }
        command = list(self.smoke_command)
        for attempt in range(1, SMOKE_ATTEMPTS + 1):
            self.log(f"smoke suite, attempt {attempt}: {' '.join(command)}")
            done = subprocess.run(command, env=env, check=False)  # noqa: S603
            if done.returncode == 0:
                return True
            if (
                attempt == SMOKE_ATTEMPTS
                or self.clock() + SMOKE_PAUSE_SECONDS >= deadline
            ):
                break
            self.sleep(SMOKE_PAUSE_SECONDS)
        self.log("the smoke suite failed")
        return False

    def deploy(self, release: Release) -> tuple[int, int]:
        """(deployment id, target exit status) for one deployment of `release`."""
        record = self.github.create(self.environment, release)
        self.github.status(record, "in_progress", self.env)
        self.log(f"deploying {release.version}: {release.reference}")
        status, _ = self.target("deploy", release)
        return record, status

    def rollback_target(self, failing: Release) -> Release | str | None:
        """The last release that passed here other than `failing`, else None."""
        for release in passed(self.github, self.environment, failing.image):
            if release.digest != failing.digest:
                return release
        return None


def run_stage(stage: Stage, release: Release) -> dict[str, str]:
    report = {
        "environment": stage.environment,
        "version": release.version,
        "digest": release.digest,
        "url": stage.url,
        "outcome": "failed",
        "rolled_back_to": "",
    }
    previous = stage.rollback_target(release)
    if previous is None:
        status, running = stage.target("current")
        if status == 0 and running and running != release.reference:
            previous = running
    started = stage.clock()
    record, status = stage.deploy(release)
    if status == EXIT_REFUSED:
        stage.github.status(record, "failure", stage.env)
        stage.log("the target refused the deployment; nothing changed")
        report["outcome"] = "refused"
        return report
    healthy = status == 0 and stage.wait_for(release) and stage.smoke(release)
    if healthy:
        took = stage.clock() - started
        stage.log(
            f"deployed {release.version} in {took:.0f}s: live, ready and smoke-tested"
        )
        stage.github.status(record, "success", stage.env)
        report["outcome"] = "deployed"
        return report
    stage.github.status(record, "failure", stage.env)
    rollback_started = stage.clock()
    if previous is None:
        stage.log(
            "rollback: nothing passed here before, so there is nothing to return to"
        )
        return report
    if isinstance(previous, str):
        # Only the reference the target reports: no version or revision to wait for.
        digest = previous.rpartition("@")[2]
        earlier = Release(release.image, checked("digest", digest, DIGEST), "", "")
        stage.log(f"rollback to what ran before: {previous}")
        status, _ = stage.target("deploy", earlier)
        back = status == 0 and stage.wait_for(None)
    else:
        earlier = previous
        stage.log(f"rollback to {earlier.version}: {earlier.reference}")
        back_record, status = stage.deploy(earlier)
        back = status == 0 and stage.wait_for(earlier)
        stage.github.status(back_record, "success" if back else "error", stage.env)
    report["rolled_back_to"] = earlier.digest
    if back:
        report["outcome"] = "rolled-back"
        took = stage.clock() - rollback_started
        stage.log(f"rolled back to {earlier.digest} in {took:.0f}s, healthy again")
    else:
        stage.log(f"the rollback to {earlier.digest} did not come back healthy")
    return report


def https_or_loopback(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    loopback = parsed.scheme == "http" and parsed.hostname in {"127.0.0.1", "localhost"}
    if not (parsed.scheme == "https" or loopback) or not parsed.hostname:
        msg = f"DEPLOY_URL {url!r} must be an https:// URL (set it for the environment)"
        raise StageError(msg)
    return url


def seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name) or str(default)
    try:
        number = float(value)
    except ValueError:
        number = -1
    if number <= 0:
        msg = f"{name} {value!r} is not a number of seconds"
        raise StageError(msg)
    return number


def stopped(env: Mapping[str, str], outcome: str, error: StageError) -> int:
    """Report a stage that could not finish: `refused` before anything was deployed,
    `failed` when the GitHub API failed half way (the environment may have changed)."""
    print(f"::error::deploy: {error}")
    report = {
        "environment": env.get("DEPLOY_ENVIRONMENT", "")[:32],
        "outcome": outcome,
        "version": env.get("INPUT_VERSION") or env.get("DEPLOY_VERSION") or "",
        "reason": str(error),
    }
    step_outputs.write({"report": json.dumps(report, separators=(",", ":"))})
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["resolve", "run"])
    args = parser.parse_args(argv)
    env = dict(os.environ)
    try:
        if args.command == "resolve":
            release = resolve(env)
            step_outputs.write(release.payload())
            return 0
        environment = checked(
            "environment", env.get("DEPLOY_ENVIRONMENT", ""), ENV_NAME
        )
        release = Release(
            image=checked("image", env.get("DEPLOY_IMAGE", ""), IMAGE),
            digest=checked("digest", env.get("DEPLOY_DIGEST", ""), DIGEST),
            version=checked("version", env.get("DEPLOY_VERSION", ""), VERSION),
            revision=checked("revision", env.get("DEPLOY_REVISION", ""), REVISION),
        )
        stage = Stage(
            environment=environment,
            url=https_or_loopback(env.get("DEPLOY_URL", "")),
            env=env,
            github=GitHub(env),
            wait_seconds=seconds(env, "DEPLOY_WAIT_SECONDS", 300),
            smoke_seconds=seconds(env, "DEPLOY_SMOKE_SECONDS", 180),
        )
    except StageError as error:
        return stopped(env, "refused", error)
    try:
        report = run_stage(stage, release)
    except StageError as error:
        return stopped(env, "failed", error)
    step_outputs.write({"report": json.dumps(report, separators=(",", ":"))})
    if report["outcome"] != "deployed":
        print(f"::error::{environment}: {report['outcome']} ({release.version})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
