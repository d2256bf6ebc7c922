"""Write the pipeline's notification messages and decide which channels send them.

Reads the caller's ``toJSON(needs)`` from $RESULTS and the enabled channels from
$CHANNELS (when it is empty, because the plan job failed, from pyproject.toml's
``[tool.pipeline] notify``); everything else comes from the standard GitHub Actions
variables. Writes ``slack.json`` (a Block Kit payload) and ``email.txt`` to
--out-dir, and to $GITHUB_OUTPUT: ``slack`` and ``email`` (whether each channel has
news), ``subject``, ``slack-payload`` (the payload as one line of JSON) and
``email-body`` (the body as a JSON string). notify.yml runs this without any secret;
a separate job sends the outputs, and skips a channel whose secret is unset.

Slack hears about every failure and every finished push to main (ci.yml runs on
pushes to main only); email only about failures. A cancelled run (a newer push
superseded it, or someone stopped it) is news to nobody: when a stage was cancelled
and none failed, nothing is sent.
A deployment (deploy.yml passes its report in $DEPLOYMENT: environment, outcome,
version, digest, url, rolled_back_to) is news in every outcome for Slack; email hears
of those that did not deploy (failed, rolled back, refused).
Values from the event are only ever written into files and outputs, never into a shell.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

import step_outputs

FAILED = frozenset({"failure"})
CANCELLED = frozenset({"cancelled"})
ICONS = {"success": "✅", "failure": "❌", "cancelled": "⏹️", "skipped": "⏭️"}
CHANNELS = ("slack", "email")
# Successes are only news for the branch everyone builds on.
LOUD_SUCCESS_EVENTS = frozenset({"push"})
DEPLOYED = "deployed"
OUTCOMES = {
    DEPLOYED: "🚀 deployed",
    "rolled-back": "↩️ rolled back",
    "failed": "❌ failed, not rolled back",
    "refused": "⛔ refused",
}


class NotifyError(Exception):
    """The inputs cannot be turned into a message."""


def stage_results(results_json: str) -> dict[str, str]:
    try:
        needs = json.loads(results_json)
    except json.JSONDecodeError as error:
        msg = f"RESULTS is not JSON: {error}"
        raise NotifyError(msg) from error
    if not isinstance(needs, dict) or not all(
        isinstance(v, dict) and "result" in v for v in needs.values()
    ):
        msg = "RESULTS must be toJSON(needs): an object of {job: {result: ...}}"
        raise NotifyError(msg)
    return {job: str(value["result"]) for job, value in needs.items()}


def enabled_channels(value: str, pyproject: Path) -> list[str]:
    if value.strip():
        try:
            channels = json.loads(value)
        except json.JSONDecodeError as error:
            msg = f"CHANNELS is not JSON: {error}"
            raise NotifyError(msg) from error
    else:
        try:
            settings = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            channels = settings["tool"]["pipeline"].get("notify", [])
        except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
            msg = f"CHANNELS is empty and {pyproject} has no [tool.pipeline] notify"
            raise NotifyError(msg) from error
    if not isinstance(channels, list) or not all(c in CHANNELS for c in channels):
        msg = f"CHANNELS must be a JSON list from {list(CHANNELS)}, not {channels!r}"
        raise NotifyError(msg)
    return channels


def deployment_report(value: str) -> dict[str, str] | None:
    """deploy.yml's report, or None when this is no deployment."""
    if not value.strip():
        return None
    try:
        report = json.loads(value)
    except json.JSONDecodeError as error:
        msg = f"DEPLOYMENT is not JSON ({value[:80]!r}): {error}"
        raise NotifyError(msg) from error
    if not isinstance(report, dict) or report.get("outcome") not in OUTCOMES:
        msg = f"DEPLOYMENT must hold an outcome from {sorted(OUTCOMES)}"
        raise NotifyError(msg)
    return {str(k): str(v) for k, v in report.items() if v is not None}


def deployment_line(report: dict[str, str]) -> str:
    where = report.get("environment") or "an environment"
    version = report.get("version") or "?"
    line = f"{OUTCOMES[report['outcome']]}: {version} to {where}"
    if report.get("digest"):
        line += f" ({report['digest']})"
    if report.get("rolled_back_to"):
        line += f"; back on {report['rolled_back_to']}"
    if report.get("reason"):
        line += f": {report['reason']}"
    return line


def mrkdwn(text: str) -> str:
    """Escape text for Slack mrkdwn, where <...> is a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def overall(results: dict[str, str]) -> str:
    """failure beats cancelled: a run that failed, then was cancelled, still failed."""
    if FAILED.intersection(results.values()):
        return "failure"
    if CANCELLED.intersection(results.values()):
        return "cancelled"
    return "success"


def context(env: dict[str, str]) -> dict[str, str]:
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    repository = env.get("GITHUB_REPOSITORY", "")
    return {
        "repository": repository,
        "ref": env.get("REF_NAME") or env.get("GITHUB_REF_NAME", ""),
        "sha": env.get("GITHUB_SHA", "")[:7],
        "event": env.get("GITHUB_EVENT_NAME", ""),
        "workflow": env.get("GITHUB_WORKFLOW", "CI"),
        "run_url": f"{server}/{repository}/actions/runs/{env.get('GITHUB_RUN_ID', '')}",
        "commit_url": f"{server}/{repository}/commit/{env.get('GITHUB_SHA', '')}",
    }


def slack_payload(
    results: dict[str, str],
    ctx: dict[str, str],
    report: dict[str, str] | None = None,
) -> dict[str, Any]:
    status = overall(results)
    title = f"{ICONS[status]} {ctx['workflow']} {status} on {ctx['repository']}"
    if report is not None:
        title = f"{deployment_line(report)} · {ctx['repository']}"
    stages = [
        {
            "type": "mrkdwn",
            "text": f"{ICONS.get(result, '❔')} *{mrkdwn(job)}*: {mrkdwn(result)}",
        }
        for job, result in results.items()
    ]
    return {
        "text": mrkdwn(title),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            *(
                [
                    {
                        "type": "section",
                        "text": {
                            "type": "mrkdwn",
                            "text": mrkdwn(deployment_line(report)),
                        },
                    }
                ]
                if report is not None
                else []
            ),
            # Slack allows at most ten fields in one section.
            *(
                {"type": "section", "fields": stages[i : i + 10]}
                for i in range(0, len(stages), 10)
            ),
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"branch `{mrkdwn(ctx['ref'])}` · commit "
                        f"<{ctx['commit_url']}|{ctx['sha']}> · {mrkdwn(ctx['event'])}",
                    }
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the run"},
                        "url": ctx["run_url"],
                    }
                ],
            },
        ],
    }


def email_text(
    results: dict[str, str],
    ctx: dict[str, str],
    report: dict[str, str] | None = None,
) -> tuple[str, str]:
    subject = f"[{ctx['repository']}] {ctx['workflow']} failed on {ctx['ref']}"
    if report is not None:
        subject = f"[{ctx['repository']}] {deployment_line(report)}"
    lines = [
        *([deployment_line(report), ""] if report is not None else []),
        f"{ctx['workflow']} failed for {ctx['repository']}"
        f" on {ctx['ref']} ({ctx['sha']}).",
        "",
        *(f"  {job}: {result}" for job, result in results.items()),
        "",
        f"Run: {ctx['run_url']}",
    ]
    return subject, "\n".join(lines) + "\n"


def decide(
    channels: list[str],
    results: dict[str, str],
    env: dict[str, str],
    report: dict[str, str] | None = None,
) -> dict[str, bool]:
    """Which channels have news (whether their secrets are set is for the sender)."""
    if report is not None:
        return {
            "slack": "slack" in channels,
            "email": "email" in channels and report["outcome"] != DEPLOYED,
        }
    status = overall(results)
    failed = status == "failure"
    loud_success = (
        status == "success" and env.get("GITHUB_EVENT_NAME") in LOUD_SUCCESS_EVENTS
    )
    return {
        "slack": "slack" in channels and (failed or loud_success),
        "email": "email" in channels and failed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    env = dict(os.environ)
    try:
        results = stage_results(env.get("RESULTS", ""))
        channels = enabled_channels(env.get("CHANNELS", ""), Path("pyproject.toml"))
        report = deployment_report(env.get("DEPLOYMENT", ""))
    except NotifyError as error:
        print(f"notify: error: {error}", file=sys.stderr)
        return 1
    ctx = context(env)
    send = decide(channels, results, env, report)
    subject, body = email_text(results, ctx, report)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    slack = json.dumps(
        slack_payload(results, ctx, report), ensure_ascii=False, indent=2
    )
    (args.out_dir / "slack.json").write_text(slack, encoding="utf-8")
    (args.out_dir / "email.txt").write_text(body, encoding="utf-8")
    outputs = {channel: str(on).lower() for channel, on in send.items()}
    step_outputs.write(
        outputs
        | {
            "subject": subject,
            "slack-payload": json.dumps(
                slack_payload(results, ctx, report),
                ensure_ascii=False,
                separators=(",", ":"),
            ),
            "email-body": json.dumps(body, ensure_ascii=False),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
