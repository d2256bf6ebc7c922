"""database=postgresql: the baked integration tier runs against a real PostgreSQL server (and
compose.yaml, the one file that needs a service, an image and a database, is checked as data).

Debian's server (tests/support/postgres.py) is started by these tests; the baked tests reach
it through DATABASE_URL, the way CI's service container is reached. The baked fixture's two
other paths run too: a throwaway server from the binaries on PATH, and the one-line skip when
there are none. Both need a user other than root (initdb refuses root), so under root they run
the baked tests as `postgres`, from a copy of the bake that user owns, with an interpreter it
can read (pyenv's live under /root, which is closed to it).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Bake, Project
from support.machine import missing, need_python
from support.options import ALL_ON
from support.postgres import Server, as_server_user, server
from support.rehearsal import assert_all_succeeded, precommit_env, prepare_repository, rehearse, show

KINDS = {"service": 3, "command-line-tool": 2}  # the baked integration tests of each kind
SKIP_LINE = re.compile(
    r"^SKIPPED \[1\] tests/test_database\.py:\d+: integration tier not run: .*Set DATABASE_URL"
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Server]:
    with server("the baked integration tier of database=postgresql") as running:
        yield running


def integration_report(project: Project, report: str) -> ET.Element:
    suite = ET.parse(project.path / report).getroot().find("testsuite")
    assert suite is not None
    return suite


# The two kinds a database goes with, and the all-options bake (a service with a Typer CLI,
# an image and a database: issue 11 asks for its integration tests on a real server in .ci/run).
TIER_BAKES = {
    "service": {"kind": "service", "database": "postgresql"},
    "command-line-tool": {"kind": "command-line-tool", "database": "postgresql"},
    "all-on": ALL_ON,
}


@pytest.mark.project
@pytest.mark.parametrize("bake_id", TIER_BAKES)
def test_the_integration_tier_runs_against_a_real_server(
    bake: Bake, tmp_path: Path, postgres: Server, bake_id: str
) -> None:
    project = bake(**TIER_BAKES[bake_id]).copy_to(tmp_path / "project")
    kind = str(project.answers["kind"])
    project.run("uv", "sync", "--python", need_python("3.12", "the database bakes"))
    name = f"tier_{bake_id.replace('-', '_')}"
    url = postgres.new_database(name)
    # What a developer's DATABASE_URL may name: a database whose data is kept.
    postgres.psql("CREATE TABLE precious (note text); INSERT INTO precious VALUES ('kept')", database=name)

    started = time.monotonic()
    tier = project.run(
        "uv", "run", "--no-sync", "pytest", "-m", "integration", "-p", "no:cacheprovider",
        "--junitxml=junit-integration.xml", "--cov-fail-under=0",
        env={"DATABASE_URL": url},
    )  # fmt: skip
    print(f"{bake_id}: the baked integration tier took {time.monotonic() - started:.1f} s on a real server")

    suite = integration_report(project, "junit-integration.xml")
    counts = {name: int(suite.get(name, "-1")) for name in ("tests", "failures", "errors", "skipped")}
    assert counts == {"tests": KINDS[kind], "failures": 0, "errors": 0, "skipped": 0}, tier.stdout
    # The tests worked in a scratch database on this server, never in the one the URL names,
    # and dropped it: the kept data is there, no migration reached it, no scratch is left.
    assert postgres.psql("SELECT note FROM precious", database=name) == "kept\n"
    assert postgres.psql("SELECT to_regclass('greetings') IS NULL", database=name) == "t\n"
    assert postgres.psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'test\\_%'") == "0\n"


def readable_python(minimum: str) -> str:
    """An interpreter the server's user can run: Debian's own, when it is new enough."""
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate and Path(candidate).exists():
            found = Path(candidate).resolve()
            version = re.search(r"python(\d+\.\d+)$", found.name)
            if version and tuple(map(int, version[1].split("."))) >= tuple(map(int, minimum.split("."))):
                return str(found)
    missing(f"a Python {minimum}+ outside /root", "running the baked tests as postgres", "install python3")


@pytest.fixture(scope="module")
def unprivileged_bake(bake: Bake) -> Iterator[Project]:
    """A synced copy of the command-line bake that the server's user owns and can run."""
    folder = Path(tempfile.mkdtemp(prefix="pipeline-database-bake-"))
    try:
        project = bake(kind="command-line-tool", database="postgresql").copy_to(folder / "project")
        python = readable_python(str(project.answers["python_min"])) if os.geteuid() == 0 else "3.12"
        # Copies, not links into root's uv cache, so every file is the new owner's.
        project.run("uv", "sync", "--python", python, "--link-mode", "copy")
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(folder, user.pw_uid, user.pw_gid)
            for path in [folder / "project", *(folder / "project").rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
        yield project
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_tier_as_server_user(project: Project, path: str, status: int = 0) -> str:
    """The baked integration tier with no DATABASE_URL and only `path` to find programs on."""
    env = {"HOME": str(project.path), "PATH": path, "LANG": "C.UTF-8"}
    done = project.run(
        *as_server_user(), "env", "-i", *(f"{key}={value}" for key, value in env.items()),
        project.path / ".venv" / "bin" / "python", "-m", "pytest", "-m", "integration",
        "-p", "no:cacheprovider", "--junitxml=junit-integration.xml", "--cov-fail-under=0",
        check=False,
    )  # fmt: skip
    assert done.returncode == status, done.stdout + done.stderr
    return done.stdout


@pytest.mark.project
def test_a_throwaway_server_from_the_binaries_on_path(unprivileged_bake: Project, postgres: Server) -> None:
    venv = unprivileged_bake.path / ".venv" / "bin"
    started = time.monotonic()
    output = run_tier_as_server_user(unprivileged_bake, f"{venv}:{postgres.bindir}")
    print(f"throwaway server: the tier took {time.monotonic() - started:.1f} s, server start included")
    suite = integration_report(unprivileged_bake, "junit-integration.xml")
    assert (suite.get("tests"), suite.get("skipped"), suite.get("failures")) == ("2", "0", "0"), output


@pytest.mark.project
def test_without_a_server_the_tier_is_skipped_with_one_line(unprivileged_bake: Project) -> None:
    # Exit status 5, pytest's "no tests ran": `pytest -m integration` does not pass by running
    # nothing (a plain `pytest` run, which runs the other tiers, exits 0).
    output = run_tier_as_server_user(
        unprivileged_bake, str(unprivileged_bake.path / ".venv" / "bin"), status=5
    )
    skipped = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1, output
    assert SKIP_LINE.match(skipped[0]), skipped
    assert "docs/database.md" in skipped[0]


@pytest.mark.rehearsal
def test_the_integration_job_is_green_under_act(bake: Bake, tmp_path: Path) -> None:
    """ci.yml's integration job, unchanged, under act; a real server stands in for its service."""
    project = bake(kind="command-line-tool", database="postgresql").copy_to(tmp_path / "project")
    run = rehearse(prepare_repository(project.path), "push", workflow="ci.yml", job="integration")
    show(run, "the integration job of a database bake")
    assert_all_succeeded(run)
    run.assert_job("integration tests on PostgreSQL", "success")
    assert [note for note in run.simulated if note.startswith("services: postgres (postgres:18, ")], (
        run.simulated
    )
    log = run.job("integration tests on PostgreSQL").text()
    # The migrations ran as a step of their own, before the tests, against the stand-in.
    assert log.index("Success - Main Apply the migrations") < log.index("Main Run the integration tests"), log
    reports = run.artifacts / "test-reports-integration"
    suite = ET.parse(next(reports.rglob("junit-integration.xml"))).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("skipped"), suite.get("failures")) == ("2", "0", "0")
    assert next(reports.rglob(".coverage.integration"), None), sorted(reports.rglob("*"))


@pytest.mark.project
def test_the_installed_wheel_migrates_a_real_database(bake: Bake, tmp_path: Path, postgres: Server) -> None:
    """Where there are no sources (an image, a server), `python -m <package>.database` migrates."""
    project = bake(kind="service", database="postgresql").copy_to(tmp_path / "project")
    python = need_python("3.12", "the database bakes")
    project.run("uv", "build", "--wheel", "--python", python, "--out-dir", "dist")
    venv = tmp_path / "venv"
    project.run("uv", "venv", "--python", python, venv)
    project.run(
        "uv", "pip", "install", "--python", venv / "bin" / "python", *(project.path / "dist").glob("*.whl")
    )
    url = postgres.new_database("from_the_wheel")
    migrated = project.run(
        venv / "bin" / "python", "-m", f"{project.package}.database", env={"DATABASE_URL": url}, check=False
    )
    assert migrated.returncode == 0, migrated.stderr
    assert postgres.psql("SELECT version_num FROM alembic_version", database="from_the_wheel") == "0001\n"


@pytest.mark.project
def test_a_new_migration_passes_the_projects_own_checks_and_applies(
    bake: Bake, tmp_path: Path, postgres: Server
) -> None:
    """`alembic revision`, as docs/database.md tells a user to write the next migration: the file
    it writes passes the bake's ruff, ty and secret scan as written (its first commit runs them),
    and it applies on top of the sample's."""
    project = bake(kind="command-line-tool", database="postgresql").copy_to(tmp_path / "project")
    project.run("uv", "sync", "--python", need_python("3.12", "the database bakes"))
    # Alembic's ids are random: this one, seen in a newcomer's walk, is entropic enough for the
    # secret scan's hex detector (some random ids are not), so the run is the worst case each time.
    project.run(
        "uv", "run", "--no-sync", "alembic", "revision", "-m", "add a note to greetings",
        "--rev-id", "b2acde6f29e4",
    )  # fmt: skip
    versions = project.path / "src" / project.package / "migrations" / "versions"
    [new] = [path for path in versions.glob("*.py") if not path.name.startswith("0001_")]
    written = new.read_text(encoding="utf-8")
    assert 'down_revision: str | tuple[str, ...] | None = "0001"' in written, written
    for check in (["ruff", "check"], ["ruff", "format", "--check"], ["ty", "check"]):
        done = project.run("uv", "run", "--no-sync", *check, new, check=False)
        assert done.returncode == 0, f"{' '.join(check)}:\n{done.stdout}{done.stderr}"
    # The secret scan of the first commit: 12 hex digits read as a hex secret to it.
    project.run("git", "init", "-q", "-b", "main")
    project.run("git", "add", "-A")
    scan = project.run(
        "uv", "run", "--no-sync", "pre-commit", "run", "detect-secrets", "--files", new,
        env=precommit_env(project.path), check=False,
    )  # fmt: skip
    assert scan.returncode == 0, scan.stdout + scan.stderr
    revision = re.search(r'^revision = "(\w+)"$', written, re.MULTILINE)
    assert revision, written
    url = postgres.new_database("next_migration")
    project.run("uv", "run", "--no-sync", "alembic", "upgrade", "head", env={"DATABASE_URL": url})
    assert postgres.psql("SELECT version_num FROM alembic_version", database="next_migration") == (
        f"{revision[1]}\n"
    )


@pytest.mark.render
@pytest.mark.parametrize(
    ("overrides", "has_compose"),
    [
        ({"kind": "service", "container": "ghcr", "database": "postgresql"}, True),
        ({"kind": "service", "container": "none", "database": "postgresql"}, False),
        ({"kind": "service", "container": "ghcr", "database": "none"}, False),
        ({"kind": "command-line-tool", "container": "ghcr", "database": "postgresql"}, False),
    ],
)
def test_compose_comes_with_a_service_image_and_a_database(
    bake: Bake, overrides: dict[str, str], has_compose: bool
) -> None:
    """The manifest's first bundle with `with`: compose.yaml needs all three answers."""
    project = bake(**overrides)
    assert project.exists("compose.yaml") is has_compose
    if not has_compose:
        return
    compose = project.yaml("compose.yaml")["services"]
    service_image = project.yaml(".github/workflows/integration.yml")["jobs"]["integration"]["services"]
    assert compose["database"]["image"] == service_image["postgres"]["image"]
    assert re.fullmatch(r"postgres:\d+@sha256:[0-9a-f]{64}", compose["database"]["image"])
    assert "pg_isready" in compose["database"]["healthcheck"]["test"]
    assert "ports" not in compose["database"]
    assert compose["service"]["depends_on"] == {
        "database": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert compose["migrate"]["entrypoint"] == ["python", "-m", f"{project.package}.database"]
    assert compose["service"]["ports"] == ["127.0.0.1:8000:8000"]
