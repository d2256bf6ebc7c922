"""The baked project's `install_release.py` and `smoke_test.py` against a real package index.

The release workflow's path, on 127.0.0.1: a default project is built with `uv build`,
uploaded with twine to pypiserver, installed back with `install_release.py` into a fresh
venv, and checked there with `smoke_test.py`, each run from the project directory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Bake, Project
from support.local_index import LocalIndex, local_index, pypiserver_available

pytestmark = pytest.mark.scripts

INSTALL_RELEASE = Path(".github/scripts/install_release.py")
SMOKE_TEST = Path(".github/scripts/smoke_test.py")


@dataclass(frozen=True)
class Published:
    project: Project
    index: LocalIndex
    dist: Path
    name: str  # distribution name, as in pyproject.toml
    version: str
    module: str
    script: str  # the console script


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    if not pypiserver_available():
        pytest.fail(
            "pypiserver is not importable from the test environment: add it to the 'test' dependency group",
            pytrace=False,
        )
    with local_index(tmp_path_factory.mktemp("index")) as served:
        yield served


def install_release(index_url: str, venv: Path) -> list[str | Path]:
    """The install_release.py command line, with retries short enough for a local index."""
    return [
        sys.executable,
        INSTALL_RELEASE,
        "--index-url",
        index_url,
        "--venv",
        venv,
        "--attempts",
        "3",
        "--wait",
        "0.2",
    ]


@pytest.fixture(scope="module")
def published(bake: Bake, index: LocalIndex, tmp_path_factory: pytest.TempPathFactory) -> Published:
    project = bake()
    before = project.files()
    dist = tmp_path_factory.mktemp("dist")
    project.run("uv", "build", "--out-dir", dist, timeout=300)
    # Building must leave the (session-shared) baked project as it was.
    assert project.files() == before
    # uv also drops a .gitignore in the output directory: upload the distributions only.
    distributions = sorted([*dist.glob("*.whl"), *dist.glob("*.tar.gz")])
    files = [path.name for path in distributions]
    assert len(files) == 2, files
    project.run(
        sys.executable,
        "-m",
        "twine",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        index.url,
        "-u",
        "x",
        "-p",
        "x",
        *distributions,
        timeout=120,
    )
    table = project.toml()["project"]
    published = Published(
        project=project,
        index=index,
        dist=dist,
        name=table["name"],
        version=table["version"],
        module=project.toml()["tool"]["uv"]["build-backend"]["module-name"],
        script=next(iter(table["scripts"])),
    )
    page = index.page(published.name)
    for file in files:
        assert file in page, page
    return published


@pytest.fixture(scope="module")
def installed(published: Published, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The venv install_release.py made, and what it printed."""
    venv = tmp_path_factory.mktemp("release") / "venv"
    result = published.project.run(
        *install_release(published.index.simple_url, venv),
        timeout=300,
    )
    return venv, result.stdout


def copy_project(project: Project, destination: Path, **replacements: str) -> Path:
    """A private copy of the baked project with some [project] values changed."""
    copy = destination / project.path.name
    shutil.copytree(project.path, copy, ignore=shutil.ignore_patterns(".venv", "dist", "__pycache__", ".git"))
    pyproject = copy / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    for key, value in replacements.items():
        text, count = re.subn(rf'^{key} = ".*"$', f'{key} = "{value}"', text, count=1, flags=re.MULTILINE)
        assert count == 1, key
    pyproject.write_text(text, encoding="utf-8")
    return copy


def run_in(directory: Path, *command: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def error_line(result: subprocess.CompletedProcess[str], script: str) -> str:
    """The one "<script>: error: ..." line of a clean refusal, from whichever stream it went to."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = (result.stdout + result.stderr).splitlines()
    errors = [line for line in lines if line.startswith(f"{script}: error: ")]
    assert len(errors) == 1, result
    return errors[0]


def site_packages(venv: Path) -> Path:
    (found,) = venv.glob("lib/python3.*/site-packages")
    return found


# --- the happy path -----------------------------------------------------------------------------


def test_install_release_installs_the_published_version(
    published: Published, installed: tuple[Path, str]
) -> None:
    venv, stdout = installed
    requirement = f"{published.name}=={published.version}"

    assert stdout.splitlines()[-1] == f"installed {requirement} from {published.index.simple_url}"
    assert "not installable yet" not in stdout
    shown = run_in(
        venv,
        venv / "bin" / "python",
        "-c",
        f"import importlib.metadata as m; print(m.version({published.name!r}))",
    )
    assert (shown.returncode, shown.stdout.strip()) == (0, published.version), shown.stderr
    # Installed from the index as a wheel, not from a path or the work tree.
    dist_info = site_packages(venv) / f"{published.module}-{published.version}.dist-info"
    assert (dist_info / "WHEEL").is_file()
    assert not (dist_info / "direct_url.json").exists()
    wheel = next(published.dist.glob("*.whl")).name
    assert f"/packages/{wheel}" in published.index.log.read_text(errors="replace")


def test_smoke_test_passes_on_the_installed_release(
    published: Published, installed: tuple[Path, str]
) -> None:
    venv, _ = installed

    result = published.project.run(venv / "bin" / "python", SMOKE_TEST, timeout=120)

    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"{published.module} {published.version} imported from {site_packages(venv) / published.module}",
        f"{published.script} --version: {published.script} {published.version}",
    ]


# --- install_release.py refuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "replacements",
    [
        pytest.param({"version": "9.9.9"}, id="version-not-on-index"),
        pytest.param({"name": "never-uploaded-package"}, id="project-not-on-index"),
    ],
)
def test_install_release_gives_up_after_the_attempts(
    published: Published, tmp_path: Path, replacements: dict[str, str]
) -> None:
    project = copy_project(published.project, tmp_path, **replacements)
    name = replacements.get("name", published.name)
    version = replacements.get("version", published.version)
    requirement = f"{name}=={version}"
    venv = tmp_path / "venv"

    result = run_in(
        project,
        *install_release(published.index.simple_url, venv),
    )

    assert error_line(result, "install_release") == (
        f"install_release: error: {requirement} never appeared on {published.index.simple_url}"
    )
    lines = (result.stdout + result.stderr).splitlines()
    tries = [line for line in lines if "not installable yet" in line]
    assert tries == [f"{requirement} not installable yet (try {n}/3)" for n in (1, 2, 3)]
    # uv's own reason for each failed try reaches the log.
    assert result.stderr.count(name) >= 3, result.stderr
    assert not list(venv.glob("lib/python3.*/site-packages/*.dist-info"))


# --- smoke_test.py refuses ----------------------------------------------------------------------


def test_smoke_test_refuses_a_version_other_than_pyproject(
    published: Published, installed: tuple[Path, str], tmp_path: Path
) -> None:
    venv, _ = installed
    project = copy_project(published.project, tmp_path, version="0.2.0")

    result = run_in(project, venv / "bin" / "python", SMOKE_TEST)

    assert error_line(result, "smoke_test") == (
        f"smoke_test: error: {published.module}.__version__ is {published.version!r},"
        " pyproject.toml says '0.2.0'"
    )


def test_smoke_test_refuses_an_import_from_the_work_tree(published: Published, tmp_path: Path) -> None:
    project = copy_project(published.project, tmp_path)
    venv = tmp_path / "editable"
    assert run_in(project, "uv", "venv", "--quiet", venv).returncode == 0
    editable = run_in(
        project, "uv", "pip", "install", "--quiet", "--python", venv / "bin" / "python", "--editable", "."
    )
    assert editable.returncode == 0, editable.stderr

    result = run_in(project, venv / "bin" / "python", SMOKE_TEST)

    line = error_line(result, "smoke_test")
    assert line.startswith(f"smoke_test: error: {published.module} imported from "), line


def test_smoke_test_fails_when_nothing_is_installed(published: Published, tmp_path: Path) -> None:
    venv = tmp_path / "empty"
    assert run_in(tmp_path, "uv", "venv", "--quiet", venv).returncode == 0

    result = published.project.run(venv / "bin" / "python", SMOKE_TEST, check=False)

    assert result.returncode != 0
    assert f"No module named {published.module!r}" in result.stderr
