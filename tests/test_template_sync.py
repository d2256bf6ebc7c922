"""The template-sync workflow's trust boundary, and the pull request body it writes.

- The token path (render tier): the job that runs the template's code (`cruft update` replays
  its hooks and Jinja) holds read permission only, no environment and no secret; every job
  holding a write permission or a secret runs no command but the patch guard (git only), the
  body check (the default branch's own script) and `git apply` of the downloaded patch, and
  only SHA-pinned remote actions.
- What the patch leaves out (scripts tier): `.github/workflows/` and `.github/actions/` never
  reach the automated patch, since a branch runs its workflows before review; the propose
  job's guard, run with bash from the baked YAML, refuses a patch that touches them anyway.
- The body (scripts tier): `.github/scripts/template_sync.py`'s sanitising, imported and fed
  hostile commit subjects and file names. GitHub renders pull request bodies as GitHub Flavored
  Markdown, a CommonMark extension; markdown-it-py (CommonMark, in the locked environment through
  cruft's dependencies) checks that each neutralised subject is one code span holding the text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Bake
from github_api.openapi import Description
from github_api.server import FakeGitHub, serve
from markdown_it import MarkdownIt
from support.options import TEMPLATE

SCRIPTS = TEMPLATE / "{{cookiecutter.__project_dir}}" / ".github" / "scripts"
sys.path.insert(0, str(SCRIPTS))
import template_sync  # noqa: E402 (the baked script, imported from the template as it is baked)

WORKFLOW = ".github/workflows/template-sync.yml"
ZWJ = "\u200d"
SHA_PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
# The commands a job holding the token may run, exactly: plain git applying the handed-over
# patch, the git-only guard that refuses a patch touching workflows or local actions, and the
# default branch's own script checking the body (both before the patch is applied).
GIT_APPLY = re.compile(r'git apply "\$RUNNER_TEMP/[\w./-]+\.patch"')
PATCH_GUARD = """\
patch="$RUNNER_TEMP/template-sync/changes.patch"
export GIT_INDEX_FILE="$RUNNER_TEMP/template-sync-guard.index"
git read-tree HEAD
git apply --cached "$patch"
# Listed into a file first: `grep -q` ending a pipe early must never pass the patch.
git diff --cached --no-renames --name-only -z HEAD > "$RUNNER_TEMP/template-sync-paths"
if grep -zqiE '^\\.github(/(workflows|actions)(/|$)|$)' "$RUNNER_TEMP/template-sync-paths"; then
  echo "::error::The patch changes .github/workflows/ or .github/actions/, refused."
  exit 1
fi
"""
BODY_CHECK = 'python3 .github/scripts/template_sync.py --check-body "$RUNNER_TEMP/template-sync/body.md"'
TOKEN_CHECK = "python3 .github/scripts/template_sync.py --check-token"


def allowed_run(run: str) -> bool:
    return run in (PATCH_GUARD, BODY_CHECK, TOKEN_CHECK) or GIT_APPLY.fullmatch(run) is not None


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
    pytest.param("&commat;alice &#x40;bob Fixes &num;12 org/repo&#x23;3", id="character-references"),
    pytest.param(
        "[x](//evil.example) <a href=//evil.example>y</a> [z]: //evil.example", id="protocol-relative"
    ),
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
        if "cruft" in text or any(not allowed_run(r) for r in runs):
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
                if "run" in step and not allowed_run(str(step["run"])):
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
    # In propose: download, then the guard, the body check and the token check (the default
    # branch's script), then git apply, then the PR.
    order = [
        "download" if "download-artifact@" in str(s.get("uses")) else s.get("run", s.get("uses"))
        for s in jobs["propose"]["steps"]
        if "checkout@" not in str(s.get("uses"))
    ]
    assert order[:4] == ["download", PATCH_GUARD, BODY_CHECK, TOKEN_CHECK], order
    assert GIT_APPLY.fullmatch(order[4]), order
    assert len(order) == 6, order
    # The secret reaches the token check and the pull request step, nothing else.
    (token_check,) = [s for s in jobs["propose"]["steps"] if s.get("run") == TOKEN_CHECK]
    assert token_check["env"] == {"TEMPLATE_SYNC_TOKEN": "${{ secrets.TEMPLATE_SYNC_TOKEN }}"}
    holding = [s.get("name") or s.get("uses") for s in jobs["propose"]["steps"] if "secrets." in str(s)]
    assert holding == [token_check["name"], propose_pr["name"]]


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
    # The allow-list is exact: the body check with another script, or any other command, is refused.
    for run in (
        "python3 .github/scripts/template_sync.py --body body.md --patch x.patch",
        BODY_CHECK + " && curl https://example.com",
        PATCH_GUARD.replace("exit 1", "exit 0"),
        "uvx cruft check",
        "bash ./guard.sh",
    ):
        sneaky = {
            "jobs": {
                "prepare": {"permissions": {"contents": "read"}, "steps": [{"run": "uvx cruft update"}]},
                "propose": {
                    "permissions": {"contents": "write"},
                    "steps": [{"uses": "actions/download-artifact@" + "1" * 40}, {"run": run}],
                },
            }
        }
        assert f"propose holds a write token or secret and runs {run!r}" in token_path_problems(sneaky), run


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
        "**Contents** and **Pull requests: write**",
        "never changes `.github/workflows/` or `.github/actions/`",
        "What `prepare` still exposes",
    ):
        assert (needed in guide) is enabled, needed
    assert "Workflows: write" not in guide
    assert "may not push changes to `.github/workflows/`" not in guide


# ----------------------------------------------------------------------------- what the patch leaves out


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=True, env=GIT_ENV
    )
    return completed.stdout.decode()


GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
PROJECT_FILES = {
    ".cruft.json": json.dumps({"template": "/nonexistent/template", "commit": "old"}) + "\n",
    ".github/workflows/ci.yml": "on: pull_request\n",
    ".github/actions/setup-python-uv/action.yml": "runs:\n  using: composite\n",
    ".github/scripts/ci_plan.py": "print('plan')\n",
    "docs/deployment.md": "Deploy.\n",
}


def project_repo(root: Path) -> Path:
    """A committed project, as actions/checkout leaves it."""
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    for name, text in PROJECT_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "Initial")
    return root


def patched_paths(patch: Path) -> set[str]:
    """Every path a patch names, old and new side, from its git headers."""
    text = patch.read_text("utf-8")
    return set(re.findall(r"^diff --git a/(\S+) b/", text, re.MULTILINE)) | set(
        re.findall(r"^diff --git a/\S+ b/(\S+)$", text, re.MULTILINE)
    )


def bump_cruft(root: Path) -> None:
    (root / ".cruft.json").write_text(
        json.dumps({"template": "/nonexistent/template", "commit": "new"}), "utf-8"
    )


MOVES = {
    "workflow-only": (
        lambda r: (r / ".github/workflows/ci.yml").write_text("on: push\npermissions: write-all\n", "utf-8"),
        set(),
        {".github/workflows/ci.yml"},
    ),
    "mixed": (
        lambda r: [
            (r / ".github/workflows/ci.yml").write_text("on: push\n", "utf-8"),
            (r / "docs/deployment.md").write_text("Deploy, differently.\n", "utf-8"),
        ],
        {"docs/deployment.md"},
        {".github/workflows/ci.yml"},
    ),
    "actions": (
        lambda r: [
            (r / ".github/actions/setup-python-uv/action.yml").write_text("runs: {using: node20}\n", "utf-8"),
            (r / ".github/scripts/ci_plan.py").write_text("print('new plan')\n", "utf-8"),
        ],
        {".github/scripts/ci_plan.py"},
        {".github/actions/setup-python-uv/action.yml"},
    ),
    "rename-from-workflow": (
        lambda r: (r / ".github/workflows/ci.yml").rename(r / "docs/ci.yml"),
        {"docs/ci.yml"},
        {".github/workflows/ci.yml"},
    ),
    "rename-to-workflow": (
        lambda r: (r / "docs/deployment.md").rename(r / ".github/workflows/deploy.yml"),
        {"docs/deployment.md"},
        {".github/workflows/deploy.yml"},
    ),
    "new-workflow-and-odd-case": (
        lambda r: [
            (r / ".github/workflows/evil.yml").write_text("on: push\n", "utf-8"),
            (r / ".GitHub/Workflows").mkdir(parents=True),
            (r / ".GitHub/Workflows/also.yml").write_text("on: push\n", "utf-8"),
            (r / ".github/workflows-notes.md").write_text("kept: not the workflows folder\n", "utf-8"),
        ],
        {".github/workflows-notes.md"},
        {".github/workflows/evil.yml", ".GitHub/Workflows/also.yml"},
    ),
}


@pytest.mark.scripts
@pytest.mark.parametrize("move", MOVES, ids=list(MOVES))
def test_patch_leaves_out_workflows_and_actions(
    move: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    change, kept, held = MOVES[move]
    root = project_repo(tmp_path / "project")
    change(root)
    bump_cruft(root)
    monkeypatch.chdir(root)
    patch = tmp_path / "changes.patch"
    listed_kept, listed_held = template_sync.write_patch(patch)
    assert set(listed_held) == held
    assert set(listed_kept) == kept | {".cruft.json"}
    assert patched_paths(patch) == kept | {".cruft.json"}
    # The patch applies to a fresh checkout and changes nothing under the held-back folders.
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "--quiet", root.as_uri(), str(fresh))
    git(fresh, "apply", str(patch))
    for name in held:
        assert (fresh / name).exists() == (name in PROJECT_FILES), name
        if name in PROJECT_FILES:
            assert (fresh / name).read_text("utf-8") == PROJECT_FILES[name]


def fake_cruft(change: Any) -> Any:
    """cruft stand-in: `check` says the project is behind, `update` makes the template's move."""

    def run(spec: str, *args: str) -> subprocess.CompletedProcess[str]:
        if args[0] == "update":
            change(Path())
            bump_cruft(Path())
        return subprocess.CompletedProcess(["cruft", *args], 0 if args[0] != "check" else 1, "", "")

    return run


@pytest.mark.scripts
def test_only_workflow_changes_open_no_pull_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pull request that only moved .cruft.json on would bury the left-out files: none, a warning."""
    root = project_repo(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setattr(template_sync, "cruft", fake_cruft(MOVES["workflow-only"][0]))
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    handover = tmp_path / "handover"
    assert (
        template_sync.main(["--body", str(handover / "body.md"), "--patch", str(handover / "changes.patch")])
        == 0
    )
    assert outputs.read_text("utf-8").splitlines() == ["changed=false"]
    assert not (handover / "body.md").exists()
    assert not (handover / "changes.patch").exists()
    log = capsys.readouterr().out
    assert "::warning::Template sync: no pull request." in log
    assert ".github/workflows/ci.yml" in log
    assert "`uvx cruft update` on `main`" in log
    assert "- `.github/workflows/ci.yml`" in summary.read_text("utf-8")


@pytest.mark.scripts
def test_mixed_update_lists_left_out_files_in_the_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project_repo(tmp_path / "project")
    monkeypatch.chdir(root)

    def change(r: Path) -> None:
        MOVES["mixed"][0](r)
        (r / ".github/actions/setup-python-uv/action.yml").write_text("runs: {using: node20}\n", "utf-8")
        (r / ".github/workflows/ci.yml.rej").write_text("@@ a hunk\n", "utf-8")
        (r / "docs/deployment.md.rej").write_text("@@ a hunk\n", "utf-8")

    monkeypatch.setattr(template_sync, "cruft", fake_cruft(change))
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    handover = tmp_path / "handover"
    assert (
        template_sync.main(["--body", str(handover / "body.md"), "--patch", str(handover / "changes.patch")])
        == 0
    )
    assert outputs.read_text("utf-8").splitlines() == ["changed=true", "conflicts=true"]
    assert patched_paths(handover / "changes.patch") == {
        ".cruft.json",
        "docs/deployment.md",
        "docs/deployment.md.rej",
    }
    text = (handover / "body.md").read_text("utf-8")
    conflicts, left_out = text.split("## Conflicts to finish by hand")[1].split("## Left out:")
    assert [line for line in conflicts.splitlines() if line.startswith("- ")] == [
        "- `docs/deployment.md.rej`"
    ]
    assert [line for line in left_out.splitlines() if line.startswith("- ")] == [
        "- `.github/actions/setup-python-uv/action.yml`",
        "- `.github/workflows/ci.yml`",
        "- `.github/workflows/ci.yml.rej`",
    ]
    assert "`uvx cruft diff` on this branch" in left_out
    assert template_sync.body_problems(text) == []


# ----------------------------------------------------------------------------- the propose job's checks


TAMPERED = [
    pytest.param("Fixes #12", id="closing-keyword"),
    pytest.param("closes owner/repo#3", id="cross-repo"),
    pytest.param("resolves GH-7", id="gh-reference"),
    pytest.param("thanks @alice and @org/team", id="mentions"),
    pytest.param("fixes https://github.com/owner/repo/issues/9", id="issue-url"),
    pytest.param("see www.example.com", id="www"),
    pytest.param("[x](https://github.com/o/r/blob/main/CHANGELOG.md#1) Fixes #1", id="link-lookalike"),
    pytest.param("ok\x1b[31m", id="control-character"),
    pytest.param("x" * 70000, id="too-long"),
    pytest.param("thanks &commat;alice", id="named-reference-mention"),
    pytest.param("Fixes &#x23;12", id="hex-reference-issue"),
    pytest.param("[x](https&colon;//evil.example)", id="encoded-scheme"),
    pytest.param("[x](//evil.example)", id="protocol-relative-link"),
    pytest.param('<a href="https://evil.example">x</a>', id="html-tag"),
]


def hostile_body() -> str:
    commits = [("a1b2c3d", param.values[0]) for param in HOSTILE]
    return template_sync.body(
        "https://github.com/acme/template", commits, ["docs/@org/x.md.rej"], [".github/workflows/#1@bob.yml"]
    )


@pytest.mark.scripts
def test_body_check_passes_what_the_script_writes(tmp_path: Path) -> None:
    for text in (
        hostile_body(),
        template_sync.body("gh:acme/template", [], []),
        template_sync.body("/srv/template", [("a1b2c3d", "Fixes #1")], []),
        template_sync.body("https://github.com/acme/x/issues/1#", [], []),  # odd URL: shown as code, no link
    ):
        assert template_sync.body_problems(text) == [], text
    path = tmp_path / "body.md"
    path.write_text(hostile_body(), "utf-8")
    assert template_sync.main(["--check-body", str(path)]) == 0


@pytest.mark.scripts
@pytest.mark.parametrize("addition", TAMPERED)
def test_body_check_refuses_a_rewritten_body(
    addition: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a hook's background process could write into body.md after the script wrote it."""
    for text in (hostile_body() + addition + "\n", addition):
        assert template_sync.body_problems(text), text
    path = tmp_path / "body.md"
    path.write_text(hostile_body() + "\n" + addition + "\n", "utf-8")
    assert template_sync.main(["--check-body", str(path)]) == 1
    assert "::error::template_sync: refusing the pull request body" in capsys.readouterr().out


@pytest.mark.scripts
def test_body_check_refuses_a_body_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "body.md"
    path.write_bytes(b"\xff\xfe Fixes #1")
    assert template_sync.main(["--check-body", str(path)]) == 1
    assert template_sync.main(["--check-body", str(tmp_path / "missing.md")]) == 1


def run_step(script: str, checkout: Path, runner_temp: Path) -> subprocess.CompletedProcess[str]:
    """A `run:` step as GitHub runs it on Linux (`bash -e {0}`), in the checkout."""
    step = runner_temp / "step.sh"
    step.write_text(script, "utf-8")
    bash = shutil.which("bash")
    assert bash
    return subprocess.run(
        [bash, "-e", str(step)],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
        env={**GIT_ENV, "RUNNER_TEMP": str(runner_temp)},
    )


def crafted_patch(tmp_path: Path, change: Any, *, renames: bool = False) -> bytes:
    scratch = project_repo(tmp_path / "scratch")
    change(scratch)
    git(scratch, "add", "--all")
    return git(
        scratch, "diff", "--cached", "--binary", *(["-M"] if renames else ["--no-renames"]), "HEAD"
    ).encode()


GUARDED = {
    "changed-workflow": (lambda r: (r / ".github/workflows/ci.yml").write_text("on: push\n", "utf-8"), False),
    "new-workflow": (lambda r: (r / ".github/workflows/x.yml").write_text("on: push\n", "utf-8"), False),
    "local-action": (
        lambda r: (r / ".github/actions/setup-python-uv/action.yml").write_text("runs: {}\n", "utf-8"),
        False,
    ),
    "rename-out-of-workflows": (lambda r: (r / ".github/workflows/ci.yml").rename(r / "docs/ci.yml"), True),
    "rename-into-workflows": (
        lambda r: (r / "docs/deployment.md").rename(r / ".github/workflows/x.yml"),
        True,
    ),
    "mixed": (
        lambda r: [
            (r / "docs/deployment.md").write_text("x\n", "utf-8"),
            (r / ".github/workflows/x.yml").write_text("on: push\n", "utf-8"),
        ],
        False,
    ),
}


@pytest.mark.render
@pytest.mark.parametrize("case", GUARDED, ids=list(GUARDED))
def test_propose_guard_refuses_a_patch_touching_workflows(case: str, bake: Bake, tmp_path: Path) -> None:
    """The guard step's own text from the baked YAML, run with bash against a crafted patch."""
    (step,) = [
        s["run"] for s in bake().yaml(WORKFLOW)["jobs"]["propose"]["steps"] if "grep" in str(s.get("run", ""))
    ]
    change, renames = GUARDED[case]
    runner_temp = tmp_path / "runner-temp"
    (runner_temp / "template-sync").mkdir(parents=True)
    (runner_temp / "template-sync/changes.patch").write_bytes(
        crafted_patch(tmp_path, change, renames=renames)
    )
    checkout = project_repo(tmp_path / "checkout")
    guarded = run_step(step, checkout, runner_temp)
    assert guarded.returncode == 1, guarded
    assert "::error::The patch changes .github/workflows/ or .github/actions/" in guarded.stdout
    assert git(checkout, "status", "--porcelain") == "", "the guard touched the work tree"


@pytest.mark.render
def test_propose_guard_passes_what_prepare_writes(
    bake: Bake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (step,) = [
        s["run"] for s in bake().yaml(WORKFLOW)["jobs"]["propose"]["steps"] if "grep" in str(s.get("run", ""))
    ]
    prepared = project_repo(tmp_path / "prepared")
    MOVES["mixed"][0](prepared)
    (prepared / "docs/logo.png").write_bytes(b"\x89PNG\x00\xff" + bytes(range(256)))
    (prepared / ".github/workflows-notes.md").write_text("not a workflow\n", "utf-8")
    bump_cruft(prepared)
    monkeypatch.chdir(prepared)
    runner_temp = tmp_path / "runner-temp"
    template_sync.write_patch(runner_temp / "template-sync/changes.patch")
    checkout = project_repo(tmp_path / "checkout")
    guarded = run_step(step, checkout, runner_temp)
    assert guarded.returncode == 0, guarded
    assert git(checkout, "status", "--porcelain") == ""


# ----------------------------------------------------------------------------- the token


@pytest.fixture
def github(description: Description) -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(description)) as fake:
        yield fake
    assert fake.violations == [], "requests GitHub would refuse"


def check_token(github: FakeGitHub, token: str | None) -> subprocess.CompletedProcess[str]:
    """The propose job's token check, run as the workflow runs it, against the stand-in."""
    outside = ("GITHUB_", "TEMPLATE_")  # this machine's own, if any, never reach the script
    environ = {key: value for key, value in os.environ.items() if not key.startswith(outside)}
    environ |= {"GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": "octo/demo"}
    if token is not None:
        environ["TEMPLATE_SYNC_TOKEN"] = token
    return subprocess.run(
        [sys.executable, str(SCRIPTS / "template_sync.py"), "--check-token"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def annotations(result: subprocess.CompletedProcess[str], kind: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(f"::{kind}::")]


@pytest.mark.scripts
def test_an_expired_token_fails_in_one_line_naming_the_secret(github: FakeGitHub) -> None:
    """GitHub answers 401 to an expired or revoked token, which is still a non-empty secret."""
    result = check_token(github, "github_pat_expired")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [error] = annotations(result, "error")
    assert "TEMPLATE_SYNC_TOKEN is expired or revoked (GitHub answered 401)" in error
    assert "regenerate it" in error
    assert "template-sync environment" in error
    assert "github_pat_expired" not in result.stdout + result.stderr
    [call] = github.calls_to("repos/get")
    assert (call.path, call.status) == ("/repos/octo/demo", 401)


@pytest.mark.scripts
def test_a_token_github_accepts_passes_the_check(github: FakeGitHub) -> None:
    result = check_token(github, "admin-token")
    assert result.returncode == 0, result.stdout + result.stderr
    assert annotations(result, "error") == annotations(result, "warning") == []
    assert [call.status for call in github.calls_to("repos/get")] == [200]


@pytest.mark.scripts
def test_a_token_without_this_repository_fails_in_one_line(github: FakeGitHub) -> None:
    github.force("repos/get", 404, {"message": "Not Found", "status": "404"})
    result = check_token(github, "admin-token")
    assert result.returncode == 1
    [error] = annotations(result, "error")
    assert "TEMPLATE_SYNC_TOKEN cannot see octo/demo (GitHub answered 404)" in error


@pytest.mark.scripts
def test_no_token_is_no_failure_and_asks_github_nothing(github: FakeGitHub) -> None:
    for unset in (None, ""):
        result = check_token(github, unset)
        assert result.returncode == 0
        [notice] = annotations(result, "notice")
        assert "starts no CI" in notice
    assert github.calls == []


@pytest.mark.scripts
def test_an_unreachable_api_only_warns(github: FakeGitHub) -> None:
    """An outage is not the token's fault: the pull request step reports what it finds."""
    github.force("repos/get", 503, {"message": "Service Unavailable"})
    result = check_token(github, "admin-token")
    assert result.returncode == 0
    [warning] = annotations(result, "warning")
    assert "could not check TEMPLATE_SYNC_TOKEN (status=503)" in warning
