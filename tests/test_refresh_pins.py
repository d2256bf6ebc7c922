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
    index_api = index.url.rstrip("/")
    done = refresh(
        template, "prepare", "--index-url", index_api, "--body", str(body), "--patch", str(patch), env=env
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

    # The propose job: a fresh checkout; the script checks and applies the patch, commits,
    # pushes and opens the PR.
    template.git("reset", "--quiet", "--hard")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    github.repos["octo/demo"].branches.add("refresh-pins")
    propose_env = {
        **template.env,
        "GITHUB_TOKEN": "admin-token",
        "GITHUB_REPOSITORY": "octo/demo",
        "GITHUB_API_URL": github.url,
    }
    args = ("propose", "--patch", str(patch), "--body", str(body), "--remote", str(remote))
    for attempt in range(2):
        done = refresh(template, *args, env=propose_env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("opened " if attempt == 0 else "updated ")
        # Next week's run starts again from main with the same change: the branch is reused.
        template.git("switch", "--quiet", "main")
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
    propose_env = {**template.env, "GITHUB_TOKEN": "admin-token", "GITHUB_REPOSITORY": "octo/demo"}
    propose_env["GITHUB_API_URL"] = github.url
    done = refresh(template, "propose", "--body", str(tmp_path / "none.md"), env=propose_env)
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
        pytest.param(["propose"], "the following arguments are required: --body", id="no-body"),
        pytest.param([], "the following arguments are required: command", id="no-command"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(template: TemplateRepo, args: list[str], message: str) -> None:
    _one_error_line(refresh(template, *args, env=template.env), 2, message)


def test_propose_refuses_a_change_outside_the_files_it_may_write(
    template: TemplateRepo, tmp_path: Path
) -> None:
    (template.path / ".github" / "workflows" / "ci.yml").write_text("on: push\n", encoding="utf-8")
    env = {**template.env, "GITHUB_TOKEN": "admin-token", "GITHUB_REPOSITORY": "octo/demo"}
    done = refresh(template, "propose", "--body", str(tmp_path / "body.md"), env=env)
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
    env = {**template.env, "GITHUB_TOKEN": "admin-token", "GITHUB_REPOSITORY": "octo/demo"}
    done = refresh(template, "propose", "--patch", str(patch), "--body", str(tmp_path / "b.md"), env=env)
    _one_error_line(
        done, 2, f"refused: the change touches files the refresh never writes: {SCRIPT.as_posix()}"
    )
    assert script.read_text("utf-8") == original
    assert template.git("status", "--porcelain") == ""


def test_propose_without_a_token_is_one_line_and_exit_2(template: TemplateRepo, tmp_path: Path) -> None:
    env = {key: value for key, value in template.env.items() if key != "GITHUB_TOKEN"}
    # -S -I: no site-packages, as the propose job's bare python3 has none.
    done = subprocess.run(
        [sys.executable, "-S", "-I", str(template.path / SCRIPT), "propose", "--body", str(tmp_path / "b")],
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
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    env = {
        **template.env,
        "GITHUB_TOKEN": "reader-token",
        "GITHUB_REPOSITORY": "octo/demo",
        "GITHUB_API_URL": github.url,
    }
    done = refresh(template, "propose", "--body", str(tmp_path / "body.md"), "--remote", str(remote), env=env)
    _one_error_line(done, 3, "GitHub answered HTTP 403 to POST")


def test_a_push_that_fails_is_one_line_and_exit_3(template: TemplateRepo, tmp_path: Path) -> None:
    replace_in(template.path / "pyproject.toml", '"rumdl==', '"rumdl==9')
    (tmp_path / "body.md").write_text("body\n", encoding="utf-8")
    env = {**template.env, "GITHUB_TOKEN": "admin-token", "GITHUB_REPOSITORY": "octo/demo"}
    done = refresh(
        template, "propose", "--body", str(tmp_path / "body.md"), "--remote", str(tmp_path / "no"), env=env
    )
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
    env = {**template.env, "GITHUB_TOKEN": "admin-token", "GITHUB_REPOSITORY": "octo/demo"}
    done = refresh(template, "propose", "--body", str(tmp_path / "body.md"), env=env)
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
