"""The template's pin refresh, .github/scripts/refresh_pins.py, run for real on a copy of the template.

Stand-ins on 127.0.0.1 and on disk: a local package index (pypiserver) answers pins_behind's
questions and uv's, shim mirrors (tests/support/precommit_mirrors.py) stand in for the hook
repositories `pre-commit autoupdate` fetches, a bare git repository for GitHub's git side, and
the GitHub REST API stand-in for the pull request. Nothing reaches GitHub.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from github_api.openapi import Description
from github_api.server import FakeGitHub, serve
from support.local_index import LocalIndex, local_index, pypiserver_available
from support.precommit_mirrors import build_mirrors
from support.template_repo import PROJECT_DIR, TemplateRepo, isolated_env, replace_in

pytestmark = [
    pytest.mark.scripts,
    pytest.mark.skipif(not pypiserver_available(), reason="pypiserver is not installed (uv sync)"),
]

SCRIPT = Path(".github") / "scripts" / "refresh_pins.py"
RUMDL_HOOKS = "https://github.com/rvben/rumdl-pre-commit"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".github" / "scripts"))
import pins_behind  # noqa: E402
import refresh_pins  # noqa: E402


def wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel: enough for an index to list it and uv to lock it."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        writer.writerow([path, f"sha256={digest}", len(text.encode())])
    writer.writerow([f"{dist}.dist-info/RECORD", "", ""])
    target = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as archive:
        for path, text in {**files, f"{dist}.dist-info/RECORD": record.getvalue()}.items():
            archive.writestr(path, text)
    return target


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LocalIndex]:
    with local_index(tmp_path / "index") as served:
        yield served


@pytest.fixture
def template(template_snapshot: TemplateRepo, tmp_path: Path) -> TemplateRepo:
    return template_snapshot.clone(tmp_path / "template", isolated_env(tmp_path / "home"))


def mirrors(template: TemplateRepo, cache: Path, *newer: tuple[str, str, str]) -> dict[str, str]:
    """Shim mirrors of the bake's hook repositories, each tagged at its rev, plus newer revs."""
    config = yaml.safe_load((template.path / PROJECT_DIR / ".pre-commit-config.yaml").read_text("utf-8"))
    for url, rev, hook in newer:
        config["repos"].append({"repo": url, "rev": rev, "hooks": [{"id": hook}]})
    extended = cache / "hooks-with-newer-revs.yaml"
    extended.parent.mkdir(parents=True, exist_ok=True)
    extended.write_text(yaml.safe_dump(config), encoding="utf-8")
    return build_mirrors(extended, cache)


def refresh(template: TemplateRepo, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(template.path / SCRIPT), *args],
        cwd=template.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def lock_versions(template: TemplateRepo) -> dict[str, str]:
    import tomllib

    lock = tomllib.loads((template.path / "uv.lock").read_text("utf-8"))
    return {package["name"]: package.get("version", "") for package in lock["package"]}


def propose_env(template: TemplateRepo, github: FakeGitHub | None = None, **extra: str) -> dict[str, str]:
    """The propose job's environment: a run on the default branch, main."""
    env = {
        **template.env,
        "GITHUB_TOKEN": "admin-token",
        "GITHUB_REPOSITORY": "octo/demo",
        "GITHUB_REF": "refs/heads/main",
        "DEFAULT_BRANCH": "main",
        **({"GITHUB_API_URL": github.url} if github else {}),
    }
    return {**env, **extra}


def listed(tmp_path: Path, *paths: str) -> str:
    """prepare's list of changed files, as propose reads it."""
    target = tmp_path / "files.txt"
    target.write_text("".join(f"{path}\n" for path in paths), encoding="utf-8")
    return str(target)


def bare_remote(tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    return remote


def remote_head(remote: Path) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(remote), "rev-parse", "refs/heads/refresh-pins"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def github(description: Description) -> Iterator[FakeGitHub]:
    fake = FakeGitHub(description)
    with serve(fake):
        yield fake
    assert fake.violations == []


def test_newer_releases_are_written_into_the_template_and_proposed(
    template: TemplateRepo, index: LocalIndex, github: FakeGitHub, tmp_path: Path
) -> None:
    """A newer rumdl hook tag and a newer ty on the index: the template's files move, one PR."""
    for name, version in (("ty", "0.0.109"), ("rumdl", "0.3.1")):
        wheel(index.packages, name, version)
    env = {
        **template.env,
        **mirrors(template, tmp_path / "cache", (RUMDL_HOOKS, "v0.3.1", "rumdl")),
        # uv asks the local index first for the names it holds, PyPI for the rest.
        "UV_INDEX": index.simple_url,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    body, patch = tmp_path / "out" / "body.md", tmp_path / "out" / "changes.patch"
    files = tmp_path / "out" / "files.txt"
    index_api = index.url.rstrip("/")
    done = refresh(
        template,
        "prepare",
        "--index-url",
        index_api,
        "--body",
        str(body),
        "--patch",
        str(patch),
        "--files",
        str(files),
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    baked_config = yaml.safe_load(template.project_file(".pre-commit-config.yaml").read_text("utf-8"))
    revs = {repo["repo"]: repo.get("rev") for repo in baked_config["repos"]}
    assert revs[RUMDL_HOOKS] == "v0.3.1"
    baked_pyproject = template.project_file("pyproject.toml").read_text("utf-8")
    assert '"ty==0.0.109"' in baked_pyproject
    assert "ty==0.0.108" not in baked_pyproject
    own = (template.path / "pyproject.toml").read_text("utf-8")
    assert '"rumdl==0.3.1"' in own
    assert '"ty==0.0.109"' in own
    assert {"rumdl": "0.3.1", "ty": "0.0.109"}.items() <= lock_versions(template).items()
    assert (tmp_path / "output").read_text("utf-8") == "changed=true\n"
    text = body.read_text("utf-8")
    assert f"`{PROJECT_DIR}/.pre-commit-config.yaml`: {RUMDL_HOOKS} v0.3.0 -> v0.3.1" in text
    assert f"`{PROJECT_DIR}/pyproject.toml`: ty ==0.0.108 -> ==0.0.109" in text
    assert "`pyproject.toml`: rumdl ==0.3.0 -> ==0.3.1" in text
    assert patch.read_text("utf-8").startswith("diff --git")
    assert sorted(files.read_text("utf-8").splitlines()) == [
        "pyproject.toml",
        "uv.lock",
        f"{PROJECT_DIR}/.pre-commit-config.yaml",
        f"{PROJECT_DIR}/pyproject.toml",
    ]

    # The propose job: a fresh checkout; the script checks and applies the patch, commits,
    # pushes and opens the PR.
    template.git("reset", "--quiet", "--hard")
    remote = bare_remote(tmp_path)
    github.repos["octo/demo"].branches.add("refresh-pins")
    args = (
        "propose",
        "--patch",
        str(patch),
        "--files",
        str(files),
        "--body",
        str(body),
        "--remote",
        str(remote),
    )
    done = refresh(template, *args, env=propose_env(template, github))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("opened ")
    first = remote_head(remote)
    # Next week's run starts again from main with the same change: the branch holds that tree
    # already, so nothing is pushed (no CI started again) and the pull request is updated.
    template.git("switch", "--quiet", "main")
    done = refresh(template, *args, env=propose_env(template, github))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "refresh-pins already holds this change: nothing pushed"
    assert done.stdout.splitlines()[1].startswith("updated ")
    assert remote_head(remote) == first
    [created] = github.calls_to("pulls/create")
    assert (created.body["head"], created.body["base"]) == ("refresh-pins", "main")
    assert len(github.calls_to("pulls/update")) == 1
    pushed = subprocess.run(
        ["git", "--git-dir", str(remote), "show", "refresh-pins:pyproject.toml"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"rumdl==0.3.1"' in pushed.stdout


def test_nothing_newer_changes_nothing_and_opens_no_pull_request(
    template: TemplateRepo, index: LocalIndex, github: FakeGitHub, tmp_path: Path
) -> None:
    wheel(index.packages, "ty", "0.0.108")
    env = {
        **template.env,
        **mirrors(template, tmp_path / "cache"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    done = refresh(template, "prepare", "--index-url", index.url.rstrip("/"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing to refresh" in done.stdout
    assert template.git("status", "--porcelain") == ""
    assert (tmp_path / "output").read_text("utf-8") == "changed=false\n"
    assert "still open is left as it is" in done.stdout
    files = listed(tmp_path)
    done = refresh(
        template,
        "propose",
        "--body",
        str(tmp_path / "none.md"),
        "--files",
        files,
        env=propose_env(template, github),
    )
    assert (done.returncode, done.stdout.strip()) == (0, "nothing to propose: the work tree has no change")
    assert github.calls == []


def _one_error_line(done: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert done.returncode == code, done.stdout + done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: ") or ": error: " in line
    assert text in line


def test_hook_repositories_out_of_reach_are_one_line_and_exit_3(
    template: TemplateRepo, index: LocalIndex, tmp_path: Path
) -> None:
    env = {
        **template.env,
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{tmp_path / 'nowhere'}/.insteadOf",
        "GIT_CONFIG_VALUE_0": "https://github.com/",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }
    done = refresh(template, "prepare", "--index-url", index.url.rstrip("/"), env=env)
    _one_error_line(done, 3, "pre-commit autoupdate exited")
    assert template.git("status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["prepare", "--index-url", "ftp://x"], "is not an http:// or https:// URL", id="index"),
        pytest.param(["propose"], "the following arguments are required: --body, --files", id="no-body"),
        pytest.param([], "the following arguments are required: command", id="no-command"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(template: TemplateRepo, args: list[str], message: str) -> None:
    _one_error_line(refresh(template, *args, env=template.env), 2, message)


def test_propose_refuses_a_change_outside_the_files_it_may_write(
    template: TemplateRepo, tmp_path: Path
) -> None:
    (template.path / ".github" / "workflows" / "ci.yml").write_text("on: push\n", encoding="utf-8")
    files = listed(tmp_path, ".github/workflows/ci.yml")
    done = refresh(
        template, "propose", "--body", str(tmp_path / "body.md"), "--files", files, env=propose_env(template)
    )
    _one_error_line(
        done, 2, "refused: the change touches files the refresh never writes: .github/workflows/ci.yml"
    )


def test_a_patch_that_rewrites_the_script_is_refused_before_it_is_applied(
    template: TemplateRepo, tmp_path: Path
) -> None:
    """The propose job runs the script with the write token: a patch from the read-only job that
    changed the script (or a workflow) would otherwise run as the new script."""
    script = template.path / SCRIPT
    original = script.read_text("utf-8")
    script.write_text(original + "# planted\n", encoding="utf-8")
    lock = template.path / "uv.lock"
    lock.write_text(lock.read_text("utf-8") + "\n", encoding="utf-8")
    patch = tmp_path / "changes.patch"
    patch.write_text(template.git("diff") + "\n", encoding="utf-8")
    template.git("checkout", "--", ".")
    files = listed(tmp_path, SCRIPT.as_posix(), "uv.lock")
    done = refresh(
        template,
        "propose",
        "--patch",
        str(patch),
        "--files",
        files,
        "--body",
        str(tmp_path / "b.md"),
        env=propose_env(template),
    )
    _one_error_line(
        done, 2, f"refused: the change touches files the refresh never writes: {SCRIPT.as_posix()}"
    )
    assert script.read_text("utf-8") == original
    assert template.git("status", "--porcelain") == ""


def test_propose_without_a_token_is_one_line_and_exit_2(template: TemplateRepo, tmp_path: Path) -> None:
    env = {key: value for key, value in template.env.items() if key != "GITHUB_TOKEN"}
    # -S -E -s: no site-packages, as the propose job's bare python3 has none (not -I, which would
    # also drop the script's own folder from sys.path, where python3 SCRIPT finds command_line.py).
    command = ["propose", "--body", str(tmp_path / "b"), "--files", str(tmp_path / "f")]
    done = subprocess.run(
        [sys.executable, "-S", "-E", "-s", str(template.path / SCRIPT), *command],
        cwd=template.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    _one_error_line(done, 2, "propose needs GITHUB_TOKEN and GITHUB_REPOSITORY")


def test_github_refusing_the_pull_request_is_one_line_and_exit_3(
    template: TemplateRepo, github: FakeGitHub, tmp_path: Path
) -> None:
    replace_in(template.path / "pyproject.toml", '"rumdl==', '"rumdl==9')
    (tmp_path / "body.md").write_text("body\n", encoding="utf-8")
    remote = bare_remote(tmp_path)
    env = propose_env(template, github, GITHUB_TOKEN="reader-token")
    files = listed(tmp_path, "pyproject.toml")
    args = ("--body", str(tmp_path / "body.md"), "--files", files, "--remote", str(remote))
    done = refresh(template, "propose", *args, env=env)
    _one_error_line(done, 3, "GitHub answered HTTP 403 to POST")


def test_a_push_that_fails_is_one_line_and_exit_3(
    template: TemplateRepo, github: FakeGitHub, tmp_path: Path
) -> None:
    replace_in(template.path / "pyproject.toml", '"rumdl==', '"rumdl==9')
    (tmp_path / "body.md").write_text("body\n", encoding="utf-8")
    remote = bare_remote(tmp_path)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho declined >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    files = listed(tmp_path, "pyproject.toml")
    args = ("--body", str(tmp_path / "body.md"), "--files", files, "--remote", str(remote))
    done = refresh(template, "propose", *args, env=propose_env(template, github))
    _one_error_line(done, 3, "git push exited")


def test_a_rev_is_replaced_in_its_own_block_only() -> None:
    text = "repos:\n  - repo: https://a\n    rev: v1\n    hooks: []\n  - repo: https://b\n    rev: v1\n"
    assert refresh_pins.replace_rev(text, "https://b", "v1", "v2").endswith("repo: https://b\n    rev: v2\n")
    assert refresh_pins.replace_pin(
        'x = ["validate-pyproject[all]==0.27"]', "validate_pyproject", "0.27", "0.28"
    ) == (
        'x = ["validate-pyproject[all]==0.28"]',
        1,
    )
    assert refresh_pins.replace_pin("ruff==0.17.60 myruff==0.17.6", "ruff", "0.17.6", "0.18.0")[1] == 0


def test_a_pin_ahead_of_its_hook_is_one_line_and_exit_1(
    template: TemplateRepo, index: LocalIndex, tmp_path: Path
) -> None:
    """Never a downgrade: a tool pinned past its hook's rev is for a person to settle."""
    template.replace("pyproject.toml", '"ruff==0.17.6"', '"ruff==0.17.7"')
    env = {**template.env, **mirrors(template, tmp_path / "cache")}
    done = refresh(template, "prepare", "--index-url", index.url.rstrip("/"), env=env)
    _one_error_line(done, 1, "ruff==0.17.7 is ahead of its hook's rev (0.17.6)")
    assert template.git("status", "--porcelain") == f"M {PROJECT_DIR}/pyproject.toml"


def test_propose_on_a_detached_head_is_one_line_and_exit_2(template: TemplateRepo, tmp_path: Path) -> None:
    template.git("switch", "--quiet", "--detach")
    replace_in(template.path / "pyproject.toml", '"rumdl==', '"rumdl==9')
    (tmp_path / "body.md").write_text("body\n", encoding="utf-8")
    files = listed(tmp_path, "pyproject.toml")
    done = refresh(
        template, "propose", "--body", str(tmp_path / "body.md"), "--files", files, env=propose_env(template)
    )
    _one_error_line(done, 2, "not a detached HEAD")


def _step(workflow: Path, action: str) -> dict:
    document = yaml.safe_load(workflow.read_text("utf-8"))
    [step] = [
        step
        for job in document["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith(f"{action}@")
    ]
    return step


def test_action_inputs_and_ranges_follow_their_sources(
    template: TemplateRepo, index: LocalIndex, tmp_path: Path
) -> None:
    """A newer codecov-cli and uv_build on the index, and Dependabot's bump of the TruffleHog
    action: the Codecov CLI input and the build backend's range move, and TruffleHog's binary
    version follows its action's new tag."""
    import tomllib

    for name, version in (("codecov-cli", "11.4.0"), ("uv_build", "0.14.0")):
        wheel(index.packages, name, version)
    template.replace(".github/workflows/security.yml", "# v3.97.0", "# v3.98.0")
    env = {**template.env, **mirrors(template, tmp_path / "cache")}
    body = tmp_path / "body.md"
    done = refresh(template, "prepare", "--index-url", index.url.rstrip("/"), "--body", str(body), env=env)
    assert done.returncode == 0, done.stdout + done.stderr

    workflows = f"{PROJECT_DIR}/.github/workflows"
    assert template.git("diff", "--name-only").splitlines() == [
        f"{workflows}/ci.yml",
        f"{workflows}/security.yml",
        f"{PROJECT_DIR}/pyproject.toml",
    ]
    assert [line for line in body.read_text("utf-8").splitlines() if line.startswith("- `")] == [
        f"- `{PROJECT_DIR}/pyproject.toml`: uv_build >=0.13.6,<0.14 -> >=0.14.0,<0.15",
        f"- `{workflows}/ci.yml`: codecov/codecov-action version v11.3.1 -> v11.4.0",
        f"- `{workflows}/security.yml`: trufflesecurity/trufflehog version 3.97.0 -> 3.98.0",
    ]
    # Baked again, as a user gets it: the moves landed and parse.
    baked = pins_behind.bake(template.path, {}, tmp_path / "rebaked")
    pyproject = tomllib.loads((baked / "pyproject.toml").read_text("utf-8"))
    assert pyproject["build-system"]["requires"] == ["uv_build>=0.14.0,<0.15"]
    assert _step(baked / ".github/workflows/ci.yml", "codecov/codecov-action")["with"]["version"] == "v11.4.0"
    trufflehog = _step(baked / ".github/workflows/security.yml", "trufflesecurity/trufflehog")
    assert trufflehog["with"]["version"] == "3.98.0"


def test_an_input_whose_action_has_no_tag_comment_is_one_line_and_exit_1(
    template: TemplateRepo, index: LocalIndex, tmp_path: Path
) -> None:
    template.replace(".github/workflows/security.yml", " # v3.97.0", "")
    env = {**template.env, **mirrors(template, tmp_path / "cache")}
    done = refresh(template, "prepare", "--index-url", index.url.rstrip("/"), env=env)
    _one_error_line(
        done, 1, "trufflesecurity/trufflehog version follows the tag of trufflesecurity/trufflehog"
    )
    assert template.git("status", "--porcelain") == f"M {PROJECT_DIR}/.github/workflows/security.yml"


def test_an_input_is_replaced_in_its_own_action_s_step_only() -> None:
    text = (
        "steps:\n"
        "  - uses: a/tool@" + "1" * 40 + " # v2.0.0\n"
        "    with:\n      version: 2.0.0\n"
        "  - name: other\n    uses: b/tool@" + "2" * 40 + " # v2.0.0\n"
        "    with:\n      version: 2.0.0\n"
        "  - uses: a/tool@" + "1" * 40 + " # v2.0.0\n"
        "  - run: echo\n    with:\n      version: 2.0.0\n"
    )
    changed, count = refresh_pins.replace_input(text, "b/tool", "version", "2.0.0", "2.1.0")
    assert count == 1
    assert [line.strip() for line in changed.splitlines() if "version" in line] == [
        "version: 2.0.0",
        "version: 2.1.0",
        "version: 2.0.0",
    ]
    # A step of a/tool with no input of its own does not reach into the next step's.
    assert refresh_pins.replace_input(text, "a/tool", "version", "2.0.0", "2.1.0")[1] == 1


@pytest.mark.parametrize(
    ("pinned", "newest", "moved"),
    [
        pytest.param(">=0.13.6,<0.14", "0.14.0", ">=0.14.0,<0.15", id="zero-major-minor-wide"),
        pytest.param("<2", "2.1.0", ">=2.1.0,<3", id="major-wide"),
        pytest.param(">1,<1.4.0", "1.5.2", ">=1.5.2,<1.6", id="trailing-zero-is-not-a-part"),
        pytest.param("~=1.2", "2.0", None, id="compatible-release-for-a-person"),
        pytest.param("<=2", "3.0", None, id="inclusive-bound-for-a-person"),
        pytest.param(">=1,!=1.5,<2", "2.0", None, id="exclusion-for-a-person"),
    ],
)
def test_the_range_rule(pinned: str, newest: str, moved: str | None) -> None:
    assert refresh_pins.moved_range(pinned, pins_behind.Version(newest)) == moved


def test_a_range_is_found_however_it_is_spelled() -> None:
    text = 'requires = ["uv_build >= 0.13.6, < 0.14"]\nx = ["my-uv_build<1", "uv-build[x]>=0.13.6,<0.14"]\n'
    changed, count = refresh_pins.replace_range(text, "uv_build", "<0.14,>=0.13.6", ">=0.14.0,<0.15")
    assert count == 2
    assert changed == (
        'requires = ["uv_build >=0.14.0,<0.15"]\nx = ["my-uv_build<1", "uv-build[x]>=0.14.0,<0.15"]\n'
    )


# --- what propose refuses, and what it leaves alone ------------------------------------------------


def _a_change(template: TemplateRepo, tmp_path: Path) -> tuple[str, ...]:
    """A change prepare could have made, its body and list: the arguments propose is given."""
    replace_in(template.path / "pyproject.toml", '"rumdl==', '"rumdl==9')
    (tmp_path / "body.md").write_text("body\n", encoding="utf-8")
    return ("--body", str(tmp_path / "body.md"), "--files", listed(tmp_path, "pyproject.toml"))


@pytest.mark.parametrize(
    ("extra", "ref"),
    [
        pytest.param({"GITHUB_REF": "refs/heads/mine"}, "refs/heads/mine", id="a-branch-of-its-own"),
        # A scheduled run's event names no repository: the API names the default branch.
        pytest.param({"GITHUB_REF": "refs/heads/mine", "DEFAULT_BRANCH": ""}, "refs/heads/mine", id="asked"),
        pytest.param({"GITHUB_REF": ""}, "(GITHUB_REF unset)", id="no-ref"),
    ],
)
def test_propose_runs_from_the_default_branch_only(
    template: TemplateRepo, github: FakeGitHub, tmp_path: Path, extra: dict[str, str], ref: str
) -> None:
    args = _a_change(template, tmp_path)
    remote = bare_remote(tmp_path)
    done = refresh(
        template, "propose", *args, "--remote", str(remote), env=propose_env(template, github, **extra)
    )
    _one_error_line(done, 2, f"refused: propose runs from refs/heads/main only, not {ref}")
    assert github.writes() == []
    assert template.git("branch", "--list", "refresh-pins") == ""


def test_a_person_s_commit_on_the_branch_is_never_pushed_over(
    template: TemplateRepo, github: FakeGitHub, tmp_path: Path
) -> None:
    """A maintainer's fix on the open pull request survives next week's run."""
    args = _a_change(template, tmp_path)
    remote = bare_remote(tmp_path)
    github.repos["octo/demo"].branches.add("refresh-pins")
    env = propose_env(template, github)
    assert refresh(template, "propose", *args, "--remote", str(remote), env=env).returncode == 0
    template.git("commit", "--quiet", "--allow-empty", "-m", "fix the refresh by hand")
    template.git("push", "--quiet", str(remote), "refresh-pins")
    fixed = remote_head(remote)
    template.git("switch", "--quiet", "main")
    replace_in(template.path / "pyproject.toml", '"rumdl==', '"rumdl==9')
    done = refresh(template, "propose", *args, "--remote", str(remote), env=env)
    _one_error_line(done, 2, "merge or close its pull request (and delete the branch) first")
    assert remote_head(remote) == fixed
    assert len(github.calls_to("pulls/update")) == 0


def test_an_open_refresh_pull_request_against_another_base_is_refused(
    template: TemplateRepo, github: FakeGitHub, tmp_path: Path
) -> None:
    repo = github.repos["octo/demo"]
    repo.branches |= {"refresh-pins", "old"}
    repo.pulls.append(
        {
            "number": 7,
            "state": "open",
            "title": "t",
            "body": None,
            "html_url": "https://github.com/octo/demo/pull/7",
            "head": {"ref": "refresh-pins", "label": "octo:refresh-pins"},
            "base": {"ref": "old", "label": "octo:old"},
        }
    )
    args = _a_change(template, tmp_path)
    remote = bare_remote(tmp_path)
    done = refresh(template, "propose", *args, "--remote", str(remote), env=propose_env(template, github))
    _one_error_line(done, 2, "pull request #7 from refresh-pins targets old, not main; close it first")
    assert github.writes() == []


@pytest.mark.parametrize(
    ("changed", "files", "message"),
    [
        pytest.param(
            f"{PROJECT_DIR}/.github/workflows/tests.yml",
            [f"{PROJECT_DIR}/.github/workflows/tests.yml"],
            f"files the refresh never writes: {PROJECT_DIR}/.github/workflows/tests.yml",
            id="a-baked-workflow-with-no-pin",
        ),
        pytest.param(
            f"{PROJECT_DIR}/.github/workflows/ci.yml",
            ["pyproject.toml"],
            f"list of changed files differ on pyproject.toml, {PROJECT_DIR}/.github/workflows/ci.yml",
            id="not-on-prepare-s-list",
        ),
    ],
)
def test_a_patch_is_held_to_prepare_s_list_and_the_files_the_refresh_writes(
    template: TemplateRepo, tmp_path: Path, changed: str, files: list[str], message: str
) -> None:
    target = template.path / changed
    target.write_text(target.read_text("utf-8") + "# planted\n", encoding="utf-8")
    patch = tmp_path / "changes.patch"
    patch.write_text(template.git("diff") + "\n", encoding="utf-8")
    template.git("checkout", "--", ".")
    args = ("--patch", str(patch), "--files", listed(tmp_path, *files), "--body", str(tmp_path / "b.md"))
    done = refresh(template, "propose", *args, env=propose_env(template))
    _one_error_line(done, 2, message)
    assert template.git("status", "--porcelain") == ""


def test_writable_is_every_file_whose_pins_the_refresh_moves(tmp_path: Path) -> None:
    """The exact list propose accepts, derived again from a bake of cookiecutter.json's answers."""
    data = pins_behind.load_data()
    project = pins_behind.bake(Path(refresh_pins.REPOSITORY), {}, tmp_path / "bake")
    moved = {
        f"{PROJECT_DIR}/{pin.file}"
        for pin in pins_behind.project_pins(project, data)
        if refresh_pins.refresh_kind(pin) is not None
    }
    assert set(refresh_pins.WRITABLE) == moved | {"pyproject.toml", "uv.lock"}


def test_the_credential_reaches_only_the_git_commands_that_talk_to_the_remote(
    template: TemplateRepo, github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _a_change(template, tmp_path)
    remote = bare_remote(tmp_path)
    github.repos["octo/demo"].branches.add("refresh-pins")
    for key, value in propose_env(template, github).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(refresh_pins, "REPOSITORY", template.path)
    seen: list[tuple[str, bool]] = []
    run = refresh_pins._run

    def recording(command: list[str], cwd: Path, what: str, env: dict[str, str] | None = None) -> str:
        header = any("AUTHORIZATION" in value for value in (env or {}).values())
        seen.append((command[1], header))
        return run(command, cwd, what, env)

    monkeypatch.setattr(refresh_pins, "_run", recording)
    assert refresh_pins.main(["propose", *args, "--remote", str(remote)]) == 0
    # No branch on the remote yet, so nothing to fetch.
    assert {command for command, header in seen if header} == {"ls-remote", "push"}
    assert {"switch", "add", "commit"} <= {command for command, header in seen if not header}


@pytest.mark.parametrize(
    ("kind", "new"),
    [
        pytest.param("rev", "v1{{ cookiecutter.project_slug }}", id="jinja-in-a-tag"),
        pytest.param("rev", "v1 # {%", id="space-and-tag"),
        pytest.param("pin", "==1.0'", id="quote"),
        pytest.param("range", ">=1{%,<2", id="range-bound"),
    ],
)
def test_a_new_rev_or_version_that_is_not_plain_is_never_written(tmp_path: Path, kind: str, new: str) -> None:
    """The bake's files are Jinja: a hook repository's tag must not become template code."""
    config = tmp_path / PROJECT_DIR / ".pre-commit-config.yaml"
    config.parent.mkdir(parents=True)
    text = "repos:\n  - repo: https://a\n    rev: v1\n    hooks: []\n"
    config.write_text(text, encoding="utf-8")
    move = refresh_pins.Move(f"{PROJECT_DIR}/.pre-commit-config.yaml", "https://a", "v1", new, kind)
    with pytest.raises(refresh_pins.Failed, match="not a plain tag or version") as failed:
        refresh_pins.apply(tmp_path, [move])
    assert failed.value.code == 1
    assert config.read_text("utf-8") == text
