"""The template-sync workflow's trust boundary, and the pull request body it writes.

- The token path (render tier): the job that runs the template's code (`cruft update` replays
  its hooks and Jinja) holds read permission only, no environment and no secret; every job
  holding a write permission or a secret runs no command but `git apply` of the downloaded
  patch, and only SHA-pinned remote actions.
- The body (scripts tier): `.github/scripts/template_sync.py`'s sanitising, imported and fed
  hostile commit subjects and file names. GitHub renders pull request bodies as GitHub Flavored
  Markdown, a CommonMark extension; markdown-it-py (CommonMark, in the locked environment through
  cruft's dependencies) checks that each neutralised subject is one code span holding the text.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
import yaml
from conftest import Bake
from markdown_it import MarkdownIt
from support.options import TEMPLATE

SCRIPTS = TEMPLATE / "{{cookiecutter.project_slug}}" / ".github" / "scripts"
sys.path.insert(0, str(SCRIPTS))
import template_sync  # noqa: E402 (the baked script, imported from the template as it is baked)

WORKFLOW = ".github/workflows/template-sync.yml"
ZWJ = "\u200d"
SHA_PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
# The one command a job holding the token may run: plain git applying the handed-over patch.
GIT_APPLY = re.compile(r'git apply "\$RUNNER_TEMP/[\w./-]+\.patch"')
# What GitHub links or notifies on (docs: "Autolinked references and URLs", "Linking a pull
# request to an issue using a keyword"): mentions, issue and pull request references in every
# form a closing keyword accepts, and URLs.
GITHUB_SYNTAX = {
    "mention": re.compile(r"@[A-Za-z0-9]"),
    "issue reference": re.compile(r"#[0-9]"),
    "GH- reference": re.compile(r"\bGH-[0-9]", re.IGNORECASE),
    "URL": re.compile(r"://|\bwww\.", re.IGNORECASE),
    "closing keyword": re.compile(
        r"\b(close[sd]?|fix(e[sd])?|resolve[sd]?)\b:?\s+([\w.-]+/[\w.-]+)?(#|GH-)[0-9]", re.IGNORECASE
    ),
}
HOSTILE = [
    pytest.param("Fixes #12", id="closing-keyword"),
    pytest.param("closes owner/repo#3 and resolves GH-7, fixed gh-8", id="cross-repo-and-gh-refs"),
    pytest.param("Thanks @org/team and @alice (cc @bob-1)", id="mentions"),
    pytest.param("Resolve https://github.com/owner/repo/issues/9 www.example.com", id="urls"),
    pytest.param("Use `uv` and ``double`` ticks `", id="backticks"),
    pytest.param("`starts and ends with a backtick`", id="backtick-edges"),
    pytest.param("[click me](https://evil.example/x) <img src=x onerror=alert(1)> **bold**", id="markdown"),
    pytest.param("fix #1\n\n@everyone\r\x1b[31mred\x00", id="control-characters"),
    pytest.param("Fixes #12 " + "x" * 5000, id="very-long"),
    pytest.param("Ünïcode ✓ — émoji 🎉 #١٢", id="unicode"),
]


# ----------------------------------------------------------------------------- the token path


def token_path_problems(workflow: dict[str, Any]) -> list[str]:
    """Why a job that runs the template's code could reach a write token or a secret, if it can."""
    problems = []
    jobs = workflow["jobs"]
    template_code, privileged = [], []
    for job_id, job in jobs.items():
        text = yaml.safe_dump(job)
        permissions = job.get("permissions") or {}
        runs = [str(step["run"]) for step in job.get("steps", []) if "run" in step]
        if "cruft" in text or "template_sync.py" in text or any(not GIT_APPLY.fullmatch(r) for r in runs):
            template_code.append(job_id)
            if set(permissions.values()) - {"read"}:
                problems.append(f"{job_id} runs template code with permissions {permissions}")
            if "environment" in job:
                problems.append(f"{job_id} runs template code in environment {job['environment']!r}")
            for needle in ("secrets.", "github.token", "GITHUB_TOKEN"):
                if needle in text:
                    problems.append(f"{job_id} runs template code and references {needle}")
        if "write" in permissions.values() or "environment" in job or "secrets." in text:
            privileged.append(job_id)
            for step in job.get("steps", []):
                uses = str(step.get("uses", ""))
                if "run" in step and not GIT_APPLY.fullmatch(str(step["run"])):
                    problems.append(f"{job_id} holds a write token or secret and runs {step['run']!r}")
                if uses and not SHA_PINNED.fullmatch(uses):
                    problems.append(f"{job_id} holds a write token or secret and uses {uses!r}")
            downloads = [s for s in job.get("steps", []) if "download-artifact@" in str(s.get("uses", ""))]
            applies = [s for s in job.get("steps", []) if "run" in s]
            if applies and not downloads:
                problems.append(f"{job_id} applies a patch it did not download")
    if not template_code:
        problems.append("no job runs the template update: the workflow does nothing")
    if not privileged:
        problems.append("no job holds the token: nobody opens the pull request")
    return problems


@pytest.mark.render
def test_template_sync_token_path(bake: Bake) -> None:
    """Template code never runs where the write token or TEMPLATE_SYNC_TOKEN is."""
    project = bake()
    assert project.answers["template_sync"] is True
    workflow = project.yaml(WORKFLOW)
    assert token_path_problems(workflow) == []
    # The hand-over: prepare -> artifact -> propose, only when something changed.
    jobs = workflow["jobs"]
    assert jobs["propose"]["needs"] == "prepare"
    assert jobs["propose"]["if"] == "needs.prepare.outputs.changed == 'true'"
    (upload,) = [s for s in jobs["prepare"]["steps"] if "upload-artifact@" in str(s.get("uses", ""))]
    assert upload["with"]["retention-days"] == 1
    (propose_pr,) = [s for s in jobs["propose"]["steps"] if "create-pull-request@" in str(s.get("uses"))]
    assert propose_pr["with"]["branch"] == "template-sync"
    assert propose_pr["with"]["token"] == "${{ secrets.TEMPLATE_SYNC_TOKEN || github.token }}"


@pytest.mark.render
def test_token_path_check_catches_a_single_job_sync() -> None:
    """The check is not vacuous: the one-job design it replaced (template code and the token
    in one job) and a propose job that runs a local action are both refused."""
    merged: dict[str, Any] = {
        "jobs": {
            "sync": {
                "permissions": {"contents": "write", "pull-requests": "write"},
                "environment": "template-sync",
                "steps": [
                    {"run": "python3 .github/scripts/template_sync.py --body body.md"},
                    {
                        "uses": "peter-evans/create-pull-request@" + "0" * 40,
                        "with": {"token": "${{ secrets.TEMPLATE_SYNC_TOKEN || github.token }}"},
                    },
                ],
            }
        }
    }
    problems = token_path_problems(merged)
    assert any("runs template code with permissions" in p for p in problems), problems
    assert any("runs template code in environment" in p for p in problems), problems
    assert any("references secrets." in p for p in problems), problems
    local = {
        "jobs": {
            "prepare": {"permissions": {"contents": "read"}, "steps": [{"run": "uvx cruft update"}]},
            "propose": {
                "permissions": {"contents": "write"},
                "steps": [
                    {"uses": "actions/download-artifact@" + "1" * 40},
                    {"run": 'git apply "$RUNNER_TEMP/x/changes.patch"'},
                    {"uses": "./.github/actions/setup-python-uv"},
                ],
            },
        }
    }
    assert token_path_problems(local) == [
        "propose holds a write token or secret and uses './.github/actions/setup-python-uv'"
    ]


# ----------------------------------------------------------------------------- the body


def github_syntax(text: str) -> dict[str, list[str]]:
    found = {name: pattern.findall(text) for name, pattern in GITHUB_SYNTAX.items()}
    return {name: hits for name, hits in found.items() if hits}


def code_spans(markdown: str) -> list[str]:
    """The inline tokens of a rendered paragraph: ('code_inline', content) or ('text', content)."""
    tokens = MarkdownIt("commonmark").parseInline(markdown)[0].children or []
    return [f"{t.type}:{t.content}" for t in tokens]


@pytest.mark.scripts
@pytest.mark.parametrize("subject", HOSTILE)
def test_neutralised_subject_is_inert_code(subject: str) -> None:
    shown = template_sync.neutralise(subject)
    assert github_syntax(shown) == {}, shown
    assert "\n" not in shown
    assert "\r" not in shown
    assert "\x00" not in shown
    # One code span, nothing else: markdown, HTML and links inside stay literal.
    (span,) = code_spans(shown)
    assert span.startswith("code_inline:"), code_spans(shown)
    content = span.removeprefix("code_inline:")
    # A reader sees the subject: the same characters, less the invisible joiners and controls.
    expected = " ".join(re.sub(r"[\x00-\x1f\x7f]+", " ", subject).split())
    visible = " ".join(content.replace(ZWJ, "").split())
    if len(subject) > template_sync.MAX_SUBJECT:
        assert len(content) <= template_sync.MAX_SUBJECT + template_sync.MAX_SUBJECT // 4
        assert visible.endswith("…")
        assert expected.startswith(visible.removesuffix("…").rstrip())
    else:
        assert visible == expected


@pytest.mark.scripts
def test_neutralise_is_not_a_no_op() -> None:
    """The patterns do find what GitHub would act on in the raw subjects."""
    for param in HOSTILE[:4]:
        (subject,) = param.values
        assert github_syntax(subject), subject
    assert set(github_syntax("Fixes #12, @org/team, GH-3, https://x")) >= {
        "closing keyword",
        "mention",
        "issue reference",
        "GH- reference",
        "URL",
    }


@pytest.mark.scripts
def test_body_with_hostile_commits_and_file_names() -> None:
    commits = [("a1b2c3d", param.values[0]) for param in HOSTILE]
    rejects = ["docs/@org/team.md.rej", "docs/`Fixes #4`.md.rej", "docs/deployment.md"]
    text = template_sync.body("https://github.com/acme/template", commits, rejects)
    # The only link left is the one the script writes itself, to the template's changelog.
    outside_changelog_link = text.replace(
        "(https://github.com/acme/template/blob/main/CHANGELOG.md)", "(CHANGELOG)"
    )
    assert github_syntax(outside_changelog_link) == {}, outside_changelog_link
    listed = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(listed) == len(commits) + len(rejects)
    for line in listed:
        tokens = code_spans(line.removeprefix("- "))
        assert all(t.startswith("code_inline:") or t == "text: " for t in tokens), (line, tokens)
    rendered = MarkdownIt("commonmark").render(text)
    assert "<img" not in rendered
    assert "<a href" in rendered  # the changelog link
    assert rendered.count("<a href") == 1
    assert len(text) < 65536  # GitHub's limit on a pull request body


@pytest.mark.scripts
def test_body_lists_at_most_max_commits() -> None:
    many = [(f"{n:07x}", f"Commit {n}") for n in range(template_sync.MAX_COMMITS + 5)]
    text = template_sync.body("/srv/template", many, [])
    assert "- and 5 older commits" in text
    assert text.count("\n- `") == template_sync.MAX_COMMITS


@pytest.mark.render
@pytest.mark.parametrize("enabled", [True, False], ids=["sync-on", "sync-off"])
def test_deployment_guide_explains_what_the_sync_needs(bake: Bake, enabled: bool) -> None:
    guide = bake(template_sync=enabled).text("docs/deployment.md")
    for needed in (
        "**Allow GitHub Actions to create and approve pull requests**",
        "Settings > Actions > General",
        "secret `TEMPLATE_SYNC_TOKEN`",
        "GitHub starts no workflow for a pull request that token opens",
        "may not push changes to `.github/workflows/`",
    ):
        assert (needed in guide) is enabled, needed
