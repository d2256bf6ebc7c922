"""The update path, for real: cruft 2.16 and git against a local git copy of the template.

Each test clones a per-worker snapshot of this checkout's template (tag `v1`), bakes a project
from it, commits the project, then moves the template on with commits of its own and updates.

What cruft 2.16 does, measured here and asserted below:
- `cruft update` replays both bakes (old commit, new commit) with the recorded answers, diffs
  them and applies the diff with `git apply -3` when the project is a git repository. Changes
  are staged. A hunk that clashes with the user's edit becomes conflict markers
  (`<<<<<<< ours` ... `>>>>>>> theirs`) and an unmerged index entry, and cruft still exits 0.
  Only when git cannot merge three ways (the original blob is missing: a shallow clone, as
  actions/checkout makes) does cruft fall back to `git apply --reject`, leaving `*.rej` files.
- Changed defaults never reach an existing project (its answers are recorded); new questions
  arrive with their default.
- `--variables-to-update` switches an option: files the hook removes for the new answer are
  deleted, files it keeps come back. Editing `.cruft.json` by hand switches nothing.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import markdown
from support.next_steps import command_blocks
from support.template_repo import (
    BASE_TAG,
    TemplateRepo,
    commit_all,
    cookiecutter,
    cruft,
    git,
    init_project,
    isolated_env,
    replace_in,
    run,
)

pytestmark = pytest.mark.update

SLUG = "example-pipeline-package"
PACKAGE = "example_pipeline_package"
CONFLICT_LINE = "CI installs from `uv.lock` with `uv sync --locked`, so the lock file must be committed."
PLAN_TIMEOUT = "name: plan the test matrix\n    runs-on: ubuntu-latest\n    timeout-minutes: "


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path / "home")


@pytest.fixture
def template(template_snapshot: TemplateRepo, tmp_path: Path, env: dict[str, str]) -> TemplateRepo:
    return template_snapshot.clone(tmp_path / "template", env)


def create(template: TemplateRepo, out: Path, *, checkout: str | None = None, **answers: Any) -> Path:
    """`cruft create` a project (no prompts) into `out`; return its directory."""
    args: list[str] = ["create", template.url, "--no-input", "--output-dir", str(out)]
    if checkout:
        args += ["--checkout", checkout]
    if answers:
        args += ["--extra-context", json.dumps(answers)]
    out.mkdir(parents=True, exist_ok=True)
    cruft(*args, cwd=out, env=template.env)
    return out / SLUG


def cruft_state(project: Path) -> dict[str, Any]:
    return json.loads((project / ".cruft.json").read_text("utf-8"))


def files(root: Path) -> dict[str, bytes]:
    """Every file below root (except .git and bytecode) with its bytes.

    Running .github/scripts leaves __pycache__/ beside them unless PYTHONDONTWRITEBYTECODE is
    set (it is on the CI machine, not on a newcomer's): git ignores it, so no patch carries it.
    """
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not {".git", "__pycache__"} & set(path.relative_to(root).parts)
    }


def status(project: Path, env: dict[str, str]) -> str:
    return git("status", "--porcelain", cwd=project, env=env)


def advance(template: TemplateRepo) -> str:
    """Move the template on with four ordinary commits; return the new HEAD."""
    template.set_question("update_probe", "from-default", "A question added after the first release")
    template.write(
        "docs/updating.md",
        "# Updating {{ cookiecutter.project_name }}\n\n"
        "Run `uvx cruft update`. Probe: {{ cookiecutter.update_probe }}.\n",
    )
    template.commit("Add an updating guide and its question")
    template.replace(".github/workflows/ci.yml", PLAN_TIMEOUT + "5", PLAN_TIMEOUT + "6")
    template.commit("Give the plan job more time")
    template.replace("CONTRIBUTING.md", "\n## CI/CD\n", "\n## CI/CD pipeline\n")
    template.replace("docs/deployment.md", CONFLICT_LINE, CONFLICT_LINE.replace("must", "has to"))
    template.append("SECURITY.md", "\nSee also the template's advice.\n")
    template.commit("Reword the contributor and deployment guides")
    template.set_question("coverage_threshold", "90")
    return template.commit("Raise the default coverage threshold to 90")


def test_update_merges_template_changes_with_user_edits(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    old = template.rev(BASE_TAG)
    new = advance(template)
    project = create(template, tmp_path / "out", checkout=BASE_TAG)
    state = cruft_state(project)
    assert (state["template"], state["commit"], state["checkout"]) == (template.url, old, BASE_TAG)
    assert state["context"]["cookiecutter"]["_commit"] == old
    assert not (project / "docs/updating.md").exists(), "--checkout must bake the older commit"
    init_project(project, env)

    # (a) user-only edits, skipped (src) and not skipped (pyproject.toml)
    module = project / "src" / PACKAGE / "greeting.py"
    module.write_text(
        module.read_text("utf-8") + '\n\ndef farewell() -> str:\n    """Say goodbye."""\n    return "Bye!"\n',
        "utf-8",
    )
    replace_in(project / "pyproject.toml", "3 - Alpha", "4 - Beta")
    # (b) the template changes the same file elsewhere; (c) the same line; (d) the user deleted it
    replace_in(project / "CONTRIBUTING.md", "\n## Set up\n", "\n## Set up your machine\n")
    replace_in(project / "docs/deployment.md", CONFLICT_LINE, "We commit uv.lock: CI installs from it.")
    (project / "SECURITY.md").unlink()
    before = commit_all(project, env, "User edits")

    assert cruft("check", cwd=project, env=env, check=False).returncode == 1
    updated = cruft("update", "-y", cwd=project, env=env)  # exits 0 despite the conflict
    assert "with conflicts" in updated.stderr

    assert cruft_state(project)["commit"] == new
    # Template changes arrive: a new file (and its new question, at its default), a workflow change.
    assert (project / "docs/updating.md").read_text("utf-8") == (
        "# Updating Example Pipeline Package\n\nRun `uvx cruft update`. Probe: from-default.\n"
    )
    assert cruft_state(project)["context"]["cookiecutter"]["update_probe"] == "from-default"
    ci = (project / ".github/workflows/ci.yml").read_text("utf-8")
    assert PLAN_TIMEOUT + "6" in ci
    assert yaml.safe_load(ci)["jobs"]["plan"]["timeout-minutes"] == 6
    # A changed default does not rewrite the recorded answer.
    assert cruft_state(project)["context"]["cookiecutter"]["coverage_threshold"] == "85"
    assert "fail_under = 85\n" in (project / "pyproject.toml").read_text("utf-8")
    # User-only edits survive.
    assert "def farewell() -> str:" in module.read_text("utf-8")
    assert "4 - Beta" in (project / "pyproject.toml").read_text("utf-8")
    # Both sides' changes in different places merge.
    contributing = (project / "CONTRIBUTING.md").read_text("utf-8")
    assert "\n## Set up your machine\n" in contributing
    assert "\n## CI/CD pipeline\n" in contributing
    # The same line changed on both sides: conflict markers and an unmerged path, no .rej file.
    deployment = (project / "docs/deployment.md").read_text("utf-8")
    assert re.search(
        r"^<<<<<<< ours\nWe commit uv\.lock: CI installs from it\.\n=======\n"
        r".*the lock file has to be committed\.\n>>>>>>> theirs\n",
        deployment,
        re.MULTILINE,
    ), deployment
    unmerged = git("diff", "--name-only", "--diff-filter=U", cwd=project, env=env)
    assert unmerged.splitlines() == ["docs/deployment.md"]
    assert not list(project.rglob("*.rej"))
    # The deleted file stays deleted, though the template changed it.
    assert not (project / "SECURITY.md").exists()
    # Everything else cruft did is staged; only .cruft.json is left unstaged.
    changed = dict(line.split(maxsplit=1)[::-1] for line in status(project, env).splitlines())
    assert changed == {
        ".cruft.json": "M",
        ".github/workflows/ci.yml": "M",
        "CONTRIBUTING.md": "M",
        "docs/deployment.md": "UU",
        "docs/updating.md": "A",
    }
    assert git("rev-parse", "HEAD", cwd=project, env=env) == before

    # The updated project still passes its own checks, with the ruff version it pins.
    pyproject = (project / "pyproject.toml").read_text("utf-8")
    ruff_version = run(sys.executable, "-m", "ruff", "--version", cwd=project, env=env).stdout.split()[-1]
    assert f'"ruff=={ruff_version}"' in pyproject
    run(sys.executable, "-m", "ruff", "check", "--no-cache", ".", cwd=project, env=env)
    run(sys.executable, "-m", "ruff", "format", "--check", "--no-cache", ".", cwd=project, env=env)
    run(
        sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml", cwd=project, env=env
    )


def test_skipped_paths_are_never_touched(template: TemplateRepo, tmp_path: Path, env: dict[str, str]) -> None:
    project = create(template, tmp_path / "out")
    init_project(project, env)
    skipped = ("src", "tests", "CHANGELOG.md", "README.md")
    assert set(skipped) <= set(
        tomllib.loads((project / "pyproject.toml").read_text("utf-8"))["tool"]["cruft"]["skip"]
    )
    owned = {name: data for name, data in files(project).items() if name.split("/")[0] in skipped}

    marker = "Changed by the template after the first bake."
    template.append("src/{{cookiecutter.package_name}}/greeting.py", f"\n# {marker}\n")
    template.append("tests/test_greeting.py", f"\n# {marker}\n")
    template.write("tests/test_added_later.py", f'"""{marker}"""\n')
    template.append("CHANGELOG.md", f"\n{marker}\n")
    template.append("README.md", f"\n\n{marker}\n")
    template.append(".editorconfig", f"\n# {marker}\n")  # not skipped: proves the update ran
    new = template.commit("Change files the project owns")

    cruft("update", "-y", cwd=project, env=env)
    assert cruft_state(project)["commit"] == new
    assert (project / ".editorconfig").read_text("utf-8").endswith(f"# {marker}\n")
    assert {name: data for name, data in files(project).items() if name.split("/")[0] in skipped} == owned

    # Not vacuous: a fresh bake of the new commit does carry every change.
    fresh = files(create(template, tmp_path / "fresh"))
    for name in (f"src/{PACKAGE}/greeting.py", "tests/test_greeting.py", "CHANGELOG.md", "README.md"):
        assert marker in fresh[name].decode(), name
    assert "tests/test_added_later.py" in fresh


def test_switching_options_adds_and_removes_files(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    project = create(template, tmp_path / "out", notifications="slack")
    notify_files = (".github/workflows/notify.yml", ".github/scripts/notify.py")
    sync_files = (".github/workflows/template-sync.yml", ".github/scripts/template_sync.py")
    assert all((project / name).is_file() for name in notify_files + sync_files)
    assert "notify" in yaml.safe_load((project / ".github/workflows/ci.yml").read_text("utf-8"))["jobs"]
    init_project(project, env)

    cruft("update", "-y", "--variables-to-update", '{"notifications": "none"}', cwd=project, env=env)
    assert not any((project / name).exists() for name in notify_files)
    assert "notify" not in yaml.safe_load((project / ".github/workflows/ci.yml").read_text("utf-8"))["jobs"]
    assert "\nnotify = []\n" in (project / "pyproject.toml").read_text("utf-8")
    context = cruft_state(project)["context"]["cookiecutter"]
    assert (context["notifications"], context["__notify_json"]) == ("none", "[]")
    commit_all(project, env, "Notifications off")

    # Editing the recorded answer by hand switches nothing: with the template unchanged,
    # cruft has nothing to do, and the next real update would bake both sides with the new answer.
    state = cruft_state(project)
    state["context"]["cookiecutter"]["template_sync"] = False
    (project / ".cruft.json").write_text(json.dumps(state, indent=2) + "\n", "utf-8")
    commit_all(project, env, "Edit .cruft.json by hand")
    assert "Nothing to do" in cruft("update", "-y", cwd=project, env=env).stdout
    assert all((project / name).is_file() for name in sync_files)
    git("reset", "--quiet", "--hard", "HEAD~1", cwd=project, env=env)

    cruft("update", "-y", "--variables-to-update", '{"template_sync": false}', cwd=project, env=env)
    assert not any((project / name).exists() for name in sync_files)
    assert cruft_state(project)["context"]["cookiecutter"]["template_sync"] is False
    commit_all(project, env, "Template sync off")

    # Switching back on brings the files and the job back.
    cruft("update", "-y", "--variables-to-update", '{"notifications": "email"}', cwd=project, env=env)
    assert all((project / name).is_file() for name in notify_files)
    assert "notify" in yaml.safe_load((project / ".github/workflows/ci.yml").read_text("utf-8"))["jobs"]
    assert '\nnotify = ["email"]\n' in (project / "pyproject.toml").read_text("utf-8")


def test_an_update_follows_the_new_templates_manifest_not_the_stored_one(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    """.cruft.json stores `_options` with the answers, and cruft drops stored `_` keys before it
    replays: the hook must remove what the template updated to says, never what the old one did."""
    project = create(template, tmp_path / "out", notifications="none", codecov=False)
    stored = cruft_state(project)["context"]["cookiecutter"]["_options"]
    assert stored == template.cookiecutter_json()["_options"]
    init_project(project, env)

    # The template moves on: the notifications option now also brings a guide.
    template.write(".github/NOTIFICATIONS.md", "# Notifications\n\nSee docs/deployment.md.\n")
    context = template.cookiecutter_json()
    context["_options"]["notifications"]["adds"][0]["files"].append(".github/NOTIFICATIONS.md")
    (template.path / "cookiecutter.json").write_text(json.dumps(context, indent=2) + "\n", "utf-8")
    template.commit("Notifications bring a guide")

    cruft("update", "-y", cwd=project, env=env)
    assert not (project / ".github/NOTIFICATIONS.md").exists()
    assert not (project / "codecov.yml").exists()
    assert cruft_state(project)["context"]["cookiecutter"]["_options"] == context["_options"]
    commit_all(project, env, "Update")

    cruft("update", "-y", "--variables-to-update", '{"notifications": "slack"}', cwd=project, env=env)
    assert (project / ".github/NOTIFICATIONS.md").is_file()


def test_check_and_diff(template: TemplateRepo, tmp_path: Path, env: dict[str, str]) -> None:
    project = create(template, tmp_path / "out")
    init_project(project, env)
    assert cruft("check", cwd=project, env=env, check=False).returncode == 0
    assert cruft("diff", "--exit-code", cwd=project, env=env, check=False).returncode == 0

    replace_in(project / ".editorconfig", "indent_size = 4", "indent_size = 3")
    replace_in(project / "src" / PACKAGE / "greeting.py", "Hello", "Hi")  # skipped: not in the diff
    commit_all(project, env, "User edits")
    diff = cruft("diff", "--exit-code", cwd=project, env=env, check=False)
    assert diff.returncode == 1
    assert "--- upstream-template-old/.editorconfig\n+++ upstream-template-new/.editorconfig\n" in diff.stdout
    assert "\n-indent_size = 3\n+indent_size = 4\n" in diff.stdout  # project -> template
    assert "greeting.py" not in diff.stdout

    template.append(".editorconfig", "\n[Makefile]\nindent_style = tab\n")
    template.commit("Tabs in Makefiles")
    assert cruft("check", cwd=project, env=env, check=False).returncode == 1
    cruft("update", "-y", cwd=project, env=env)
    commit_all(project, env, "Update from the template")
    assert cruft("check", cwd=project, env=env, check=False).returncode == 0
    editorconfig = (project / ".editorconfig").read_text("utf-8")
    assert "indent_size = 3" in editorconfig
    assert editorconfig.endswith("[Makefile]\nindent_style = tab\n")


def test_plain_cookiecutter_project_links_then_updates(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    answers = {"cli": "typer", "license": "Apache-2.0"}
    old = template.rev(BASE_TAG)
    new = advance(template)
    out = tmp_path / "out"
    out.mkdir()
    cookiecutter(
        f"git+{template.path.as_uri()}",  # a URL, so cookiecutter clones it and honours --checkout
        "--checkout",
        BASE_TAG,
        "--no-input",
        "--output-dir",
        out,
        *(f"{key}={value}" for key, value in answers.items()),
        cwd=out,
        env=env,
    )
    project = out / SLUG
    assert not (project / ".cruft.json").exists()
    assert not (project / "docs/updating.md").exists()
    init_project(project, env)

    extra = json.dumps(answers)
    # Linking needs the commit the project was baked from: without it cruft records the
    # template's HEAD, calls the project up to date and would never bring it the changes between.
    cruft("link", template.url, "--no-input", "--extra-context", extra, cwd=project, env=env)
    assert cruft_state(project)["commit"] == new
    assert cruft("check", cwd=project, env=env, check=False).returncode == 0
    (project / ".cruft.json").unlink()
    # ... and the answers: with --no-input and no --extra-context it records the defaults.
    cruft("link", template.url, "--no-input", "--checkout", old, cwd=project, env=env)
    assert cruft_state(project)["context"]["cookiecutter"]["cli"] == "argparse"
    assert cruft("diff", "--exit-code", cwd=project, env=env, check=False).returncode == 1
    (project / ".cruft.json").unlink()

    cruft(
        "link", template.url, "--no-input", "--checkout", old, "--extra-context", extra, cwd=project, env=env
    )
    state = cruft_state(project)
    assert (state["template"], state["commit"], state["checkout"]) == (template.url, old, old)
    assert cruft("diff", "--exit-code", cwd=project, env=env, check=False).returncode == 0
    commit_all(project, env, "Link the project to its template")

    assert cruft("check", cwd=project, env=env, check=False).returncode == 1
    cruft("update", "-y", cwd=project, env=env)
    assert cruft_state(project)["commit"] == new
    assert (project / "docs/updating.md").is_file()
    assert PLAN_TIMEOUT + "6" in (project / ".github/workflows/ci.yml").read_text("utf-8")
    assert "the lock file has to be committed" in (project / "docs/deployment.md").read_text("utf-8")
    pyproject = (project / "pyproject.toml").read_text("utf-8")
    assert 'dependencies = ["typer>=0.29"]' in pyproject
    assert 'license = "Apache-2.0"' in pyproject
    assert status(project, env)  # changes staged, nothing committed yet
    assert not git("diff", "--name-only", "--diff-filter=U", cwd=project, env=env)
    commit_all(project, env, "Update from the template")
    assert cruft("check", cwd=project, env=env, check=False).returncode == 0


def test_update_is_replay_safe(template: TemplateRepo, tmp_path: Path, env: dict[str, str]) -> None:
    answers = {"notifications": "slack", "cli": "none", "publish": "none"}
    project = create(template, tmp_path / "out", **answers)
    init_project(project, env)
    advance(template)

    cruft("update", "-y", cwd=project, env=env)
    # The result is exactly a fresh bake of the new commit with the recorded answers (the changed
    # coverage default included): no file left behind, none missing, no byte different.
    recorded = cruft_state(project)["context"]["cookiecutter"]
    fresh = create(
        template, tmp_path / "fresh", **{k: v for k, v in recorded.items() if not k.startswith("_")}
    )
    assert files(project) == files(fresh)
    assert not [name for name in files(project) if name.endswith((".rej", ".orig"))]
    assert cruft("diff", "--exit-code", cwd=project, env=env, check=False).returncode == 0
    commit_all(project, env, "Update from the template")

    # Again: nothing to do. Forced to re-bake both sides (same answer), still no change at all.
    again = cruft("update", "-y", cwd=project, env=env)
    assert "Nothing to do" in again.stdout
    forced = cruft("update", "-y", "--variables-to-update", '{"cli": "none"}', cwd=project, env=env)
    assert "has been updated" in forced.stdout
    assert status(project, env) == ""


# --- .github/scripts/template_sync.py, run for real (uvx installs cruft 2.16.0 from PyPI) ---


def sync(project: Path, env: dict[str, str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run the baked script as the prepare job does (body and patch into tmp_path/handover);
    return the run and what it wrote to GITHUB_OUTPUT."""
    outputs = tmp_path / "github_output"
    outputs.write_text("", "utf-8")
    script = project / ".github/scripts/template_sync.py"
    completed = run(
        sys.executable,
        script,
        "--body",
        tmp_path / "handover" / "body.md",
        "--patch",
        tmp_path / "handover" / "changes.patch",
        "--cruft",
        "cruft==2.16.0",
        cwd=project,
        env={**env, "GITHUB_OUTPUT": str(outputs)},
    )
    return completed, outputs.read_text("utf-8")


# A commit subject as GitHub would read it in a pull request body: the neutralised code span
# the script writes, with its zero-width joiners removed.
LISTED = re.compile(r"^- `([0-9a-f]{7,40})` `(.+)`$", re.MULTILINE)
ZWJ = "\u200d"


def project_behind_with_conflict(template: TemplateRepo, tmp_path: Path, env: dict[str, str]) -> Path:
    project = create(template, tmp_path / "out")
    init_project(project, env)
    replace_in(project / "docs/deployment.md", CONFLICT_LINE, "We commit uv.lock: CI installs from it.")
    commit_all(project, env, "User edits")
    advance(template)
    return project


def test_template_sync_script_in_a_checkout_like_the_workflows(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    origin = project_behind_with_conflict(template, tmp_path, env)
    # actions/checkout fetches one commit: git cannot merge three ways, cruft leaves .rej files.
    project = tmp_path / "checkout"
    git("clone", "--quiet", "--depth", "1", origin.as_uri(), project, cwd=tmp_path, env=env)

    completed, outputs = sync(project, env, tmp_path)
    assert outputs.splitlines() == ["changed=true", "conflicts=true"]
    assert "changed=true" in completed.stdout
    body = (tmp_path / "handover/body.md").read_text("utf-8")
    listed = LISTED.findall(body)
    expected = template.log(BASE_TAG)
    assert [subject.replace(ZWJ, "") for _, subject in listed] == [line.split(" ", 1)[1] for line in expected]
    assert len(expected) == 4
    for (short, _), line in zip(listed, expected, strict=True):
        assert template.rev(short) == template.rev(line.split()[0])
    assert "## Conflicts to finish by hand" in body
    assert f"the template's CHANGELOG.md (`{template.url}`)" in body
    assert "- `docs/deployment.md.rej`" in body
    assert (project / "docs/deployment.md.rej").is_file()
    assert cruft_state(project)["commit"] == template.rev()
    assert (project / "docs/updating.md").is_file()

    # Up to date now: nothing to propose.
    shutil.rmtree(tmp_path / "handover")
    completed, outputs = sync(project, env, tmp_path)
    assert outputs.splitlines() == ["changed=false"]
    assert "up to date" in completed.stdout
    assert not (tmp_path / "handover").exists()


# Bytes no text decoder accepts: cookiecutter copies such a file unrendered, git diffs it as binary.
LOGO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00" + bytes(range(256))


# advance() changes this workflow: the sync leaves it out of the patch and lists it in the body.
LEFT_OUT = ".github/workflows/ci.yml"


def as_proposed(updated: dict[str, bytes], origin: Path) -> dict[str, bytes]:
    """What cruft update made, less the left-out workflow, which stays as origin's HEAD has it."""
    committed = subprocess.run(
        ["git", "show", f"HEAD:{LEFT_OUT}"], cwd=origin, capture_output=True, check=True
    ).stdout
    assert updated[LEFT_OUT] != committed, "advance() changes the workflow"
    return {**updated, LEFT_OUT: committed}


def apply_handover(origin: Path, patch: Path, destination: Path, env: dict[str, str]) -> Path:
    """What the propose job does: a fresh one-commit checkout, then plain `git apply` of the patch."""
    git("clone", "--quiet", "--depth", "1", origin.as_uri(), destination, cwd=destination.parent, env=env)
    git("apply", patch, cwd=destination, env=env)
    return destination


def test_template_sync_patch_carries_every_kind_of_change(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    """The patch, applied with plain git to a fresh checkout, gives exactly what cruft update made:
    changed, new, deleted and binary files, and the `.rej` files of a shallow checkout; all but
    the workflow the template changed, which is left out and listed in the body."""
    origin = project_behind_with_conflict(template, tmp_path, env)
    template.project_file("docs/logo.png").write_bytes(LOGO)
    template.remove(".editorconfig")
    new = template.commit("Add a logo; drop .editorconfig")
    project = tmp_path / "checkout"
    git("clone", "--quiet", "--depth", "1", origin.as_uri(), project, cwd=tmp_path, env=env)

    _, outputs = sync(project, env, tmp_path)
    assert "changed=true" in outputs.splitlines()
    assert cruft_state(project)["commit"] == new
    patch = (tmp_path / "handover/changes.patch").read_bytes()
    assert b"GIT binary patch" in patch
    assert b"diff --git a/.editorconfig b/.editorconfig\ndeleted file mode" in patch
    assert b"diff --git a/docs/deployment.md.rej b/docs/deployment.md.rej\nnew file mode" in patch
    # Making the patch left cruft's work tree and index as they were.
    assert "?? docs/deployment.md.rej" in status(project, env).splitlines()

    assert f"diff --git a/{LEFT_OUT}".encode() not in patch
    assert f"- `{LEFT_OUT}`" in (tmp_path / "handover/body.md").read_text("utf-8")

    applied = apply_handover(origin, tmp_path / "handover/changes.patch", tmp_path / "applied", env)
    assert files(applied) == as_proposed(files(project), origin)
    assert (applied / "docs/logo.png").read_bytes() == LOGO
    assert not (applied / ".editorconfig").exists()
    assert (applied / "docs/deployment.md.rej").is_file()
    assert cruft_state(applied)["commit"] == new


def test_template_sync_script_without_cruft_json(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    project = create(template, tmp_path / "out")
    (project / ".cruft.json").unlink()
    completed, outputs = sync(project, env, tmp_path)
    assert outputs.splitlines() == ["changed=false"]
    assert completed.stdout.startswith("::notice::No .cruft.json: link the project first")
    assert not (tmp_path / "handover").exists()


def test_template_sync_script_reports_conflict_markers(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    project = project_behind_with_conflict(template, tmp_path, env)
    _, outputs = sync(project, env, tmp_path)
    assert "<<<<<<< ours" in (project / "docs/deployment.md").read_text("utf-8")
    assert "conflicts=true" in outputs.splitlines()
    assert "- `docs/deployment.md`" in (tmp_path / "handover/body.md").read_text("utf-8")
    # The conflict markers travel in the patch as text; the unmerged index entry stays here.
    assert git("diff", "--name-only", "--diff-filter=U", cwd=project, env=env) == "docs/deployment.md"
    applied = apply_handover(project, tmp_path / "handover/changes.patch", tmp_path / "applied", env)
    assert files(applied) == as_proposed(files(project), project)


# --- answers as cruft replays them ---

# Typed text that renders to itself: quotes, backslashes, a tab, `$`, unicode and the closing halves
# of Jinja tags. Cookiecutter renders answers as Jinja once; cruft stores that result in .cruft.json
# and renders it again on every update, so only such text gives the same project on replay.
REPLAYABLE = {
    "project_slug": SLUG,
    "project_name": 'Quoted "Name"\tand \\ back }} %} #}',
    "description": "It's $HOME: #1 ✓ ${ x } }}",
    "author_name": "Zoë O'Brien",
}
JINJA_AFTER_RENDERING = "{% raw %}${{ github.token }}{% endraw %}"


def test_stored_answers_replay_to_the_same_project(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    project = create(template, tmp_path / "out", **REPLAYABLE)
    init_project(project, env)
    stored = cruft_state(project)["context"]["cookiecutter"]
    assert {key: stored[key] for key in REPLAYABLE} == REPLAYABLE
    # Forced to re-bake both sides from the stored answers: not one byte may change.
    forced = cruft("update", "-y", "--variables-to-update", '{"cli": "argparse"}', cwd=project, env=env)
    assert "has been updated" in forced.stdout
    assert status(project, env) == ""
    # The heading is written as Markdown (templates/markdown.jinja) and shows the name as typed.
    shown = markdown.where_answers_show(project)["README.md heading"]
    assert shown == markdown.collapsed(REPLAYABLE["project_name"])


def test_answer_still_holding_jinja_is_refused_by_cruft_create(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    answers = json.dumps({"description": JINJA_AFTER_RENDERING})
    completed = cruft(
        "create", template.url, "--no-input", "--output-dir", out, "--extra-context", answers,
        cwd=out, env=env, check=False,
    )  # fmt: skip
    assert completed.returncode != 0
    ours = [line for line in (completed.stdout + completed.stderr).splitlines() if line.startswith("error: ")]
    assert len(ours) == 1, completed.stderr
    assert ours[0].startswith("error: description='${{ github.token }}' is not accepted: ")
    assert "cruft renders the stored answers as Jinja again" in ours[0]
    assert list(out.iterdir()) == []


def test_without_the_refusal_replay_would_not_be_the_same_project(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    """Why the hook refuses: take the check out and the stored answer no longer replays."""
    replace_in(template.path / "hooks/pre_gen_project.py", "    check_no_jinja,\n", "")
    template.commit("Accept answers that still hold Jinja")
    project = create(template, tmp_path / "out", project_slug=SLUG, description=JINJA_AFTER_RENDERING)
    init_project(project, env)
    assert cruft_state(project)["context"]["cookiecutter"]["description"] == "${{ github.token }}"
    replayed = cruft(
        "update", "-y", "--variables-to-update", '{"cli": "argparse"}', cwd=project, env=env, check=False
    )
    assert replayed.returncode != 0 or status(project, env) != "", replayed.stdout + replayed.stderr


def test_a_refused_answer_under_cruft_prints_commands_that_work(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    """`cruft create` with a refused answer prints a create command (the same commit, the other
    answers as JSON) and an update command; the first, corrected, creates the intended project."""
    out = tmp_path / "out"
    out.mkdir()
    answers = {"project_name": "Kept Name", "license": "Proprietary", "publish": "pypi"}
    refused = cruft(
        "create",
        template.url,
        "--no-input",
        "--extra-context",
        json.dumps(answers),
        cwd=out,
        env=env,
        check=False,
    )
    assert refused.returncode != 0
    lines = (refused.stdout + refused.stderr).splitlines()
    [error] = [line for line in lines if line.startswith("error: ")]
    assert error.startswith("error: publish='pypi' is not accepted:")
    create_line = lines[lines.index("For a new project:") + 1]
    update_line = lines[lines.index("For a project being updated, from its folder:") + 1]
    create = shlex.split(create_line)
    assert create[:4] == ["uvx", "cruft", "create", template.url]
    assert create[4:6] == ["--checkout", template.rev()]
    extra = json.loads(create[create.index("--extra-context") + 1])
    assert extra == {"project_name": "Kept Name", "license": "Proprietary", "publish": "..."}
    assert shlex.split(update_line) == [
        "uvx",
        "cruft",
        "update",
        "--variables-to-update",
        '{"publish": "..."}',
    ]
    assert list(out.iterdir()) == []

    # The user writes the answer in place of the dots; cruft as the tests have it (no network).
    extra["publish"] = "private-index"
    create[create.index("--extra-context") + 1] = json.dumps(extra)
    cruft(*create[2:], cwd=out, env=env)
    context = cruft_state(out / "kept-name")["context"]["cookiecutter"]
    assert (context["project_name"], context["license"], context["publish"]) == (
        "Kept Name",
        "Proprietary",
        "private-index",
    )


def test_the_printed_link_command_records_exactly_the_baked_answers(
    template: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    """Asked again, `cruft link` offers the template's defaults: pressing Enter would record
    options the project does not have. The printed command carries the bake's own answers."""
    answers = {"cli": "typer", "license": "Apache-2.0", "notifications": "email", "codecov": "yes"}
    old = template.rev(BASE_TAG)
    advance(template)
    out = tmp_path / "out"
    out.mkdir()
    baked = cookiecutter(
        f"git+{template.path.as_uri()}",
        "--checkout",
        BASE_TAG,
        "--no-input",
        "--output-dir",
        out,
        *(f"{key}={value}" for key, value in answers.items()),
        cwd=out,
        env=env,
    )
    blocks = command_blocks(baked.stderr)
    assert blocks[0][0] == f"cd {shlex.quote(str(out / SLUG))}"
    [(link, add, commit)] = [block for block in blocks if block[0].startswith("uvx cruft link ")]
    words = shlex.split(link)
    assert words[3] == template.path.as_uri()  # a URL git clones, without cookiecutter's git+
    project = out / SLUG
    assert words[4:6] == ["--project-dir", str(project)]
    init_project(project, env)

    # Run where cookiecutter ran, as printed; the cruft of the tests' environment, not uvx's.
    cruft(*words[2:], cwd=out, env=env)
    for step in (add, commit):
        git(*shlex.split(step)[1:], cwd=out, env=env)
    assert status(project, env) == ""
    state = cruft_state(project)
    assert state["commit"] == old
    recorded = state["context"]["cookiecutter"]
    assert (recorded["cli"], recorded["license"], recorded["notifications"], recorded["codecov"]) == (
        "typer",
        "Apache-2.0",
        "email",
        True,
    )
    # Linked to what it was baked from: nothing differs from a replay of that commit.
    assert cruft("diff", "--exit-code", cwd=project, env=env, check=False).returncode == 0
