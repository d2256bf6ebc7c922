"""The baked project's `.github/scripts/notify.py`, run as `notify.yml` runs it.

The Slack payload is also posted to a local stand-in for an incoming webhook that checks
Block Kit the way Slack does (tests/support/slack_webhook.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.slack_webhook import SlackWebhook, check_message, slack_webhook

pytestmark = pytest.mark.scripts

TEMPLATE_ROOT = Path(__file__).parents[1]
SCRIPT = TEMPLATE_ROOT / "{{cookiecutter.__project_dir}}" / ".github" / "scripts" / "notify.py"

REPO = "example-org/tidewater"
SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
RUN_ID = "9876543210"
RUN_URL = f"https://github.com/{REPO}/actions/runs/{RUN_ID}"
BOTH = ["slack", "email"]
# Variables notify.yml sets (HAS_* only in the sending job, never for this script), and any a
# CI runner would leak into the script.
OWN_VARIABLES = {"RESULTS", "CHANNELS", "HAS_SLACK", "HAS_EMAIL", "REF_NAME", "DEPLOYMENT"}
OUTPUTS = {"slack", "email", "subject", "slack-payload", "email-body"}


def needs(**results: str) -> dict[str, Any]:
    """What `toJSON(needs)` gives for jobs that ended with these results."""
    return {job.replace("_", "-"): {"result": result, "outputs": {}} for job, result in results.items()}


ALL_GREEN = needs(plan="success", tests="success", quality="success", build="success", ci_passed="success")
TESTS_FAILED = needs(plan="success", tests="failure", quality="success", build="success", ci_passed="failure")
QUALITY_CANCELLED = needs(
    plan="success", tests="success", quality="cancelled", build="success", ci_passed="failure"
)
BUILD_SKIPPED = needs(
    plan="success", tests="success", quality="success", build="skipped", ci_passed="success"
)
# A newer push superseded the run: GitHub cancelled what was still running, the gate included.
SUPERSEDED = needs(
    plan="success", tests="cancelled", quality="cancelled", build="success", ci_passed="cancelled"
)


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    out_dir: Path
    github_output: Path

    @property
    def outputs(self) -> dict[str, str]:
        """Step outputs this run appended to $GITHUB_OUTPUT (after the earlier step's line)."""
        lines = self.github_output.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "earlier-step=kept"
        return dict(line.split("=", 1) for line in lines[1:])

    @property
    def notices(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::notice::")]

    def slack(self) -> dict[str, Any]:
        return dict(json.loads((self.out_dir / "slack.json").read_text(encoding="utf-8")))

    def email(self) -> str:
        return (self.out_dir / "email.txt").read_text(encoding="utf-8")


def run_notify(
    tmp_path: Path,
    results: dict[str, Any] | str,
    *,
    channels: list[str] | str = BOTH,
    event: str = "push",
    ref_name: str = "main",
    head_ref: str = "",
    **extra: str,
) -> Run:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GITHUB_", "RUNNER_")) and key not in OWN_VARIABLES
    }
    github_output = tmp_path / "github-output"
    github_output.write_text("earlier-step=kept\n", encoding="utf-8")
    environ |= {
        "RESULTS": results if isinstance(results, str) else json.dumps(results),
        "CHANNELS": channels if isinstance(channels, str) else json.dumps(channels),
        # notify.yml: REF_NAME: ${{ github.head_ref || github.ref_name }}
        "REF_NAME": head_ref or ref_name,
        "GITHUB_OUTPUT": str(github_output),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SHA": SHA,
        "GITHUB_RUN_ID": RUN_ID,
        "GITHUB_EVENT_NAME": event,
        "GITHUB_REF_NAME": ref_name,
        "GITHUB_WORKFLOW": "CI",
        **extra,
    }
    out_dir = tmp_path / "notify"
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--out-dir", str(out_dir)],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        check=False,
        timeout=60,
    )
    return Run(
        completed.returncode,
        completed.stdout.decode("utf-8"),
        completed.stderr.decode("utf-8"),
        out_dir,
        github_output,
    )


def assert_ran(run: Run) -> None:
    assert (run.returncode, run.stderr) == (0, ""), run
    assert (run.out_dir / "slack.json").is_file()
    assert (run.out_dir / "email.txt").is_file()


def test_script_is_copied_unrendered() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    assert "{{" not in text
    assert "{%" not in text


# --- which channels send ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "event", "channels", "slack", "email"),
    [
        pytest.param(ALL_GREEN, "push", BOTH, "true", "false", id="all-success-on-push"),
        pytest.param(TESTS_FAILED, "pull_request", BOTH, "true", "true", id="failure-on-pull-request"),
        pytest.param(TESTS_FAILED, "push", BOTH, "true", "true", id="failure-on-push"),
        # A cancelled stage beside a failed gate (a job that timed out, say) is still a failure.
        pytest.param(QUALITY_CANCELLED, "push", BOTH, "true", "true", id="cancelled-stage-failed-gate"),
        pytest.param(SUPERSEDED, "pull_request", BOTH, "false", "false", id="superseded-run-is-quiet"),
        pytest.param(SUPERSEDED, "push", BOTH, "false", "false", id="cancelled-run-on-main-is-quiet"),
        pytest.param(ALL_GREEN, "pull_request", BOTH, "false", "false", id="success-on-pull-request-quiet"),
        pytest.param(BUILD_SKIPPED, "push", BOTH, "true", "false", id="skipped-stage-is-not-a-failure"),
        pytest.param(TESTS_FAILED, "push", ["slack"], "true", "false", id="slack-only"),
        pytest.param(TESTS_FAILED, "push", ["email"], "false", "true", id="email-only"),
        pytest.param(ALL_GREEN, "push", ["email"], "false", "false", id="email-only-success"),
        pytest.param(TESTS_FAILED, "push", [], "false", "false", id="channels-empty-failure"),
        pytest.param(ALL_GREEN, "push", [], "false", "false", id="channels-empty-success"),
    ],
)
def test_decides_channels(
    tmp_path: Path, results: dict[str, Any], event: str, channels: list[str], slack: str, email: str
) -> None:
    run = run_notify(tmp_path, results, event=event, channels=channels)

    assert_ran(run)
    assert run.notices == []
    assert (run.outputs["slack"], run.outputs["email"]) == (slack, email)
    assert set(run.outputs) == OUTPUTS
    # The same lines go to the log.
    expected_lines = [f"{key}={value}" for key, value in run.outputs.items()]
    assert run.stdout.splitlines() == expected_lines


@pytest.mark.parametrize("configured", ["true", "false"])
def test_secrets_are_not_this_scripts_business(tmp_path: Path, configured: str) -> None:
    """notify.yml runs this script in a job without secrets; the sending job skips a channel
    whose secret is unset (with a notice). So the script's answer cannot depend on them."""
    run = run_notify(tmp_path, TESTS_FAILED, HAS_SLACK=configured, HAS_EMAIL=configured)

    assert_ran(run)
    assert (run.outputs["slack"], run.outputs["email"]) == ("true", "true")
    assert run.notices == []


def test_outputs_carry_the_messages(tmp_path: Path) -> None:
    """The sending job has no checkout: the messages travel as job outputs, one line each."""
    run = run_notify(tmp_path, TESTS_FAILED, event="pull_request", head_ref="tide-cache")

    assert_ran(run)
    assert json.loads(run.outputs["slack-payload"]) == run.slack()
    assert json.loads(run.outputs["email-body"]) == run.email()
    assert "\n" in run.email()


def test_outputs_are_appended_with_subject(tmp_path: Path) -> None:
    run = run_notify(tmp_path, TESTS_FAILED, event="pull_request", ref_name="42/merge", head_ref="tide-cache")

    assert_ran(run)
    lines = run.github_output.read_text(encoding="utf-8").splitlines()
    assert lines[:4] == [
        "earlier-step=kept",
        "slack=true",
        "email=true",
        f"subject=[{REPO}] CI failed on tide-cache",
    ]
    assert [line.split("=", 1)[0] for line in lines[4:]] == ["slack-payload", "email-body"]


def test_without_github_output_only_prints(tmp_path: Path) -> None:
    run = run_notify(tmp_path, ALL_GREEN, GITHUB_OUTPUT="")

    assert_ran(run)
    assert run.stdout.splitlines()[:3] == ["slack=true", "email=false", f"subject=[{REPO}] CI failed on main"]
    assert [line.split("=", 1)[0] for line in run.stdout.splitlines()] == [
        "slack",
        "email",
        "subject",
        "slack-payload",
        "email-body",
    ]
    assert run.github_output.read_text(encoding="utf-8") == "earlier-step=kept\n"


# --- the Slack message --------------------------------------------------------------------------


def blocks_of(payload: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [block for block in payload["blocks"] if block["type"] == kind]


def field_texts(payload: dict[str, Any]) -> list[str]:
    return [item["text"] for section in blocks_of(payload, "section") for item in section["fields"]]


@pytest.mark.parametrize(
    ("results", "status"),
    [
        pytest.param(TESTS_FAILED, "failure", id="failure"),
        pytest.param(QUALITY_CANCELLED, "failure", id="cancelled"),
        pytest.param(ALL_GREEN, "success", id="success"),
        pytest.param(BUILD_SKIPPED, "success", id="success-with-skipped"),
    ],
)
def test_slack_payload_structure(tmp_path: Path, results: dict[str, Any], status: str) -> None:
    run = run_notify(tmp_path, results, event="pull_request", ref_name="42/merge", head_ref="tide-cache")
    assert_ran(run)
    payload = run.slack()

    assert [block["type"] for block in payload["blocks"]] == ["header", "section", "context", "actions"]

    (header,) = blocks_of(payload, "header")
    assert header["text"]["type"] == "plain_text"
    title = header["text"]["text"]
    assert status in title
    assert REPO in title
    assert "CI" in title
    # The notification preview (and screen readers) get the same line.
    assert payload["text"] == title

    texts = field_texts(payload)
    assert len(texts) == len(results)
    for text, (job, value) in zip(texts, results.items(), strict=True):
        assert f"*{job}*" in text
        assert text.endswith(f": {value['result']}")
    assert all(item["type"] == "mrkdwn" for item in blocks_of(payload, "section")[0]["fields"])

    (context,) = blocks_of(payload, "context")
    (element,) = context["elements"]
    assert element["type"] == "mrkdwn"
    # The pull request's branch, not the synthetic merge ref.
    assert "`tide-cache`" in element["text"]
    assert "42/merge" not in element["text"]
    assert f"<https://github.com/{REPO}/commit/{SHA}|{SHA[:7]}>" in element["text"]
    assert "pull_request" in element["text"]

    (actions,) = blocks_of(payload, "actions")
    (button,) = actions["elements"]
    assert button["type"] == "button"
    assert button["text"]["type"] == "plain_text"
    assert button["url"] == RUN_URL


@pytest.mark.parametrize(
    ("count", "section_sizes"),
    [
        pytest.param(1, [1], id="one-stage"),
        pytest.param(10, [10], id="ten-stages-one-section"),
        pytest.param(11, [10, 1], id="eleven-stages"),
        pytest.param(23, [10, 10, 3], id="twenty-three-stages"),
    ],
)
def test_slack_fields_are_split_in_tens(tmp_path: Path, count: int, section_sizes: list[int]) -> None:
    results = {
        f"stage-{index:02d}": {"result": "failure" if index == 7 else "success"} for index in range(count)
    }
    run = run_notify(tmp_path, results)
    assert_ran(run)
    payload = run.slack()

    assert [len(section["fields"]) for section in blocks_of(payload, "section")] == section_sizes
    texts = field_texts(payload)
    assert len(texts) == count
    for index, text in enumerate(texts):
        assert f"*stage-{index:02d}*" in text


def test_header_is_cut_to_slacks_limit(tmp_path: Path) -> None:
    # GitHub's longest names: 39-character owner, 100-character repository.
    repository = f"{'o' * 39}/{'r' * 100}"
    run = run_notify(tmp_path, TESTS_FAILED, GITHUB_REPOSITORY=repository, GITHUB_WORKFLOW="W" * 80)
    assert_ran(run)
    payload = run.slack()

    (header,) = blocks_of(payload, "header")
    assert 0 < len(header["text"]["text"]) <= 150
    (button,) = blocks_of(payload, "actions")[0]["elements"]
    assert button["url"] == f"https://github.com/{repository}/actions/runs/{RUN_ID}"


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


@pytest.fixture
def webhook() -> Iterator[SlackWebhook]:
    with slack_webhook() as stand_in:
        yield stand_in


SCENARIOS: dict[str, dict[str, Any]] = {
    "failure-on-pull-request": {"results": TESTS_FAILED, "event": "pull_request", "head_ref": "tide-cache"},
    "success-on-main": {"results": ALL_GREEN},
    "cancelled-and-skipped": {
        "results": needs(
            plan="success", tests="cancelled", quality="skipped", build="skipped", ci_passed="failure"
        )
    },
    "unknown-result": {"results": needs(tests="neutral")},
    "twenty-three-stages": {"results": {f"stage-{index}": {"result": "failure"} for index in range(23)}},
    "longest-names": {
        "results": {"j" * 100: {"result": "failure"}},
        "GITHUB_REPOSITORY": f"{'o' * 39}/{'r' * 100}",
        "GITHUB_WORKFLOW": "W" * 80,
        "head_ref": "b" * 200,
        "event": "pull_request",
    },
    "no-stages": {"results": {}},
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_slack_accepts_the_payload(tmp_path: Path, webhook: SlackWebhook, scenario: str) -> None:
    run = run_notify(tmp_path, **SCENARIOS[scenario])
    assert_ran(run)
    # As slack-github-action sends payload-file-path: the file's JSON, as is.
    body = (run.out_dir / "slack.json").read_bytes()

    assert post(webhook.url, body) == (200, "ok"), webhook.rejections
    assert webhook.received == [json.loads(body)]


def valid_message() -> dict[str, Any]:
    return {
        "text": "CI failure",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "CI failure"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*tests*: failure"}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "branch `main`"}]},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": RUN_URL}
                ],
            },
        ],
    }


def header_text(message: dict[str, Any], text: str) -> None:
    message["blocks"][0]["text"]["text"] = text


def eleven_fields(message: dict[str, Any]) -> None:
    message["blocks"][1]["fields"] = [{"type": "mrkdwn", "text": f"*s{i}*: success"} for i in range(11)]


@pytest.mark.parametrize(
    ("spoil", "code", "reason"),
    [
        pytest.param(lambda m: header_text(m, "x" * 151), "invalid_blocks", "more than 150", id="header-151"),
        pytest.param(
            lambda m: m["blocks"][0]["text"].update(type="mrkdwn"),
            "invalid_blocks",
            "blocks[0].text.type",
            id="header-mrkdwn",
        ),
        pytest.param(eleven_fields, "invalid_blocks", "11 items, more than 10", id="eleven-fields"),
        pytest.param(
            lambda m: m["blocks"][1]["fields"][0].update(text=""),
            "invalid_blocks",
            "non-empty",
            id="empty-field",
        ),
        pytest.param(
            lambda m: m["blocks"][1].pop("fields"),
            "invalid_blocks",
            "needs text or fields",
            id="empty-section",
        ),
        pytest.param(
            lambda m: m["blocks"][2].update(elements=[]), "invalid_blocks", "non-empty", id="context-empty"
        ),
        pytest.param(
            lambda m: m["blocks"][3]["elements"][0].update(url="github.com/run"),
            "invalid_blocks",
            "http(s) URL",
            id="button-url-not-absolute",
        ),
        pytest.param(
            lambda m: m["blocks"][3]["elements"][0]["text"].update(text="x" * 76),
            "invalid_blocks",
            "more than 75",
            id="button-text-76",
        ),
        pytest.param(
            lambda m: m["blocks"][0].update(title="x"),
            "invalid_blocks",
            "unknown property 'title'",
            id="extra-key",
        ),
        pytest.param(
            lambda m: m["blocks"].append({"type": "table"}), "invalid_blocks", "'table'", id="unknown-block"
        ),
        pytest.param(lambda m: m.clear(), "no_text", "neither", id="empty-message"),
    ],
)
def test_stand_in_refuses_what_slack_refuses(
    webhook: SlackWebhook, spoil: Any, code: str, reason: str
) -> None:
    """The stand-in is only evidence if it would have refused a broken message."""
    assert check_message(valid_message()) == ("ok", [])
    message = valid_message()
    spoil(message)

    assert post(webhook.url, json.dumps(message).encode()) == (400, code)
    ((seen_code, reasons),) = webhook.rejections
    assert seen_code == code
    assert any(reason in line for line in reasons), reasons
    assert webhook.received == []


@pytest.mark.parametrize(
    ("path", "body", "content_type", "answer"),
    [
        pytest.param(
            "/services/T/B/X", b"{not json", "application/json", (400, "invalid_payload"), id="not-json"
        ),
        pytest.param("/services/T/B/X", b"{}", "text/plain", (400, "invalid_payload"), id="not-json-type"),
        pytest.param("/hooks/elsewhere", b"{}", "application/json", (404, "no_service"), id="wrong-path"),
    ],
)
def test_stand_in_refuses_bad_requests(
    webhook: SlackWebhook, path: str, body: bytes, content_type: str, answer: tuple[int, str]
) -> None:
    base = webhook.url.split("/services/")[0]
    assert post(base + path, body, content_type) == answer


# --- the email ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "results",
    [
        pytest.param(TESTS_FAILED, id="five-stages"),
        pytest.param(QUALITY_CANCELLED, id="cancelled"),
        pytest.param({f"stage-{index}": {"result": "failure"} for index in range(23)}, id="twenty-three"),
    ],
)
def test_email_lists_every_stage(tmp_path: Path, results: dict[str, Any]) -> None:
    run = run_notify(tmp_path, results, event="pull_request", ref_name="42/merge", head_ref="tide-cache")
    assert_ran(run)
    lines = run.email().splitlines()

    assert lines[0] == f"CI failed for {REPO} on tide-cache ({SHA[:7]})."
    stage_lines = [line for line in lines if line.startswith("  ")]
    assert stage_lines == [f"  {job}: {value['result']}" for job, value in results.items()]
    assert lines[-1] == f"Run: {RUN_URL}"
    assert run.outputs["subject"] == f"[{REPO}] CI failed on tide-cache"


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "fragment"),
    [
        pytest.param("", "RESULTS is not JSON", id="empty"),
        pytest.param("{'tests': 'failure'}", "RESULTS is not JSON", id="python-repr"),
        pytest.param('{"tests": {"result": "success"}', "RESULTS is not JSON", id="truncated"),
        pytest.param("[]", "RESULTS must be toJSON(needs)", id="array"),
        pytest.param("null", "RESULTS must be toJSON(needs)", id="null"),
        pytest.param('{"tests": "success"}', "RESULTS must be toJSON(needs)", id="flat-object"),
        pytest.param('{"tests": {"status": "success"}}', "RESULTS must be toJSON(needs)", id="no-result-key"),
    ],
)
def test_bad_results_is_one_line_error(tmp_path: Path, results: str, fragment: str) -> None:
    run = run_notify(tmp_path, results)

    assert run.returncode == 1
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("notify: error: ")
    assert fragment in lines[0]
    assert not run.out_dir.exists()
    assert run.github_output.read_text(encoding="utf-8") == "earlier-step=kept\n"


def test_results_unset_is_one_line_error(tmp_path: Path) -> None:
    github_output = tmp_path / "github-output"
    environ = {key: value for key, value in os.environ.items() if key not in OWN_VARIABLES}
    environ["GITHUB_OUTPUT"] = str(github_output)
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--out-dir", str(tmp_path / "notify")],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 1
    assert completed.stderr.startswith("notify: error: RESULTS is not JSON")
    assert len(completed.stderr.splitlines()) == 1
    assert not github_output.exists()


# --- regressions: each of these was a bug once ---------------------------------------------------


@pytest.mark.parametrize(
    "channels",
    [
        pytest.param("", id="empty-string-after-plan-failed"),
        pytest.param("null", id="null"),
        pytest.param("5", id="number"),
        pytest.param('"slack"', id="bare-string"),
    ],
)
def test_bad_channels_is_one_line_error(tmp_path: Path, channels: str) -> None:
    run = run_notify(tmp_path, TESTS_FAILED, channels=channels)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("notify: error: ")
    assert "CHANNELS" in lines[0]


@pytest.mark.parametrize(
    ("event", "ref_name"),
    [
        pytest.param(
            "merge_group",
            "gh-readonly-queue/main/pr-42-3f786850e387550fdab836ed7e6dc881de23001b",
            id="merge-group",
        ),
        pytest.param("workflow_dispatch", "tide-cache", id="dispatch-on-branch"),
    ],
)
def test_success_off_main_is_quiet(tmp_path: Path, event: str, ref_name: str) -> None:
    run = run_notify(tmp_path, ALL_GREEN, event=event, ref_name=ref_name)

    assert_ran(run)
    assert run.outputs["slack"] == "false"


def test_branch_is_escaped_for_mrkdwn(tmp_path: Path) -> None:
    run = run_notify(tmp_path, TESTS_FAILED, ref_name="fix<!channel>&more")
    assert_ran(run)
    (context,) = blocks_of(run.slack(), "context")

    assert "fix&lt;!channel&gt;&amp;more" in context["elements"][0]["text"]


def test_empty_channels_fall_back_to_pyproject(tmp_path: Path) -> None:
    """When the plan job failed its output is empty; the setting is read where plan reads it."""
    (tmp_path / "pyproject.toml").write_text('[tool.pipeline]\nnotify = ["email"]\n', encoding="utf-8")
    run = run_notify(tmp_path, TESTS_FAILED, channels="")

    assert_ran(run)
    assert run.outputs["email"] == "true"
    assert run.outputs["slack"] == "false"


# -- deployments (deploy.yml passes its report in DEPLOYMENT) --------------------------------

DIGEST = "sha256:" + "ab" * 32
EARLIER = "sha256:" + "cd" * 32
DEPLOY_NEEDS = needs(resolve="success", deploy="failure")


def report(outcome: str, **extra: str) -> str:
    return json.dumps(
        {
            "environment": "staging",
            "outcome": outcome,
            "version": "1.4.0",
            "digest": DIGEST,
            "url": "https://staging.example.org",
            "rolled_back_to": "",
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("outcome", "extra", "slack", "email", "words"),
    [
        ("deployed", {}, "true", "false", "deployed: 1.4.0 to staging"),
        (
            "rolled-back",
            {"rolled_back_to": EARLIER},
            "true",
            "true",
            f"rolled back: 1.4.0 to staging ({DIGEST}); back on {EARLIER}",
        ),
        ("failed", {}, "true", "true", "failed, not rolled back: 1.4.0 to staging"),
        ("refused", {}, "true", "true", "refused: 1.4.0 to staging"),
    ],
)
def test_every_deployment_outcome_is_news_naming_environment_version_and_digest(
    tmp_path: Path, outcome: str, extra: dict[str, str], slack: str, email: str, words: str
) -> None:
    """Slack hears every outcome (a tag's deployment is watched by nobody); email only those
    that did not deploy. The message names the environment, the version and the digest."""
    results = DEPLOY_NEEDS if outcome != "deployed" else needs(resolve="success", deploy="success")
    run = run_notify(tmp_path, results, event="push", ref_name="v1.4.0", DEPLOYMENT=report(outcome, **extra))
    assert_ran(run)
    assert (run.outputs["slack"], run.outputs["email"]) == (slack, email)
    payload = run.slack()
    (line,) = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    assert words in line
    assert DIGEST in line
    assert words.split(" (")[0] in blocks_of(payload, "header")[0]["text"]["text"]
    assert run.outputs["subject"] == f"[{REPO}] " + line
    assert run.email().splitlines()[0] == line


def test_a_deployment_message_is_accepted_by_slack(tmp_path: Path, webhook: SlackWebhook) -> None:
    run = run_notify(tmp_path, DEPLOY_NEEDS, DEPLOYMENT=report("rolled-back", rolled_back_to=EARLIER))
    assert_ran(run)
    assert post(webhook.url, (run.out_dir / "slack.json").read_bytes()) == (200, "ok"), webhook.rejections


@pytest.mark.parametrize(
    ("deployment", "fragment"),
    [("{", "DEPLOYMENT is not JSON"), ('{"outcome": "exploded"}', "DEPLOYMENT must hold an outcome")],
)
def test_a_bad_deployment_report_is_one_line_error(tmp_path: Path, deployment: str, fragment: str) -> None:
    run = run_notify(tmp_path, DEPLOY_NEEDS, DEPLOYMENT=deployment)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1
    assert fragment in run.stderr
