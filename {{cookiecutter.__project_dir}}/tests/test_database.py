"""The database layer against a real PostgreSQL server: never a mock, never SQLite.

The integration tier (``pytest -m integration``) uses the server ``DATABASE_URL`` names
when it is set, in a scratch database of its own that it drops at the end: the database
the URL names, which may hold real data, is never touched. Otherwise it starts a
throwaway server from local PostgreSQL binaries (``pg_ctl`` on PATH, or in
``pg_config --bindir``) in a temporary folder; otherwise it is skipped with one line
saying how to run it. The migrations run before its first test.
"""

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from alembic.script import ScriptDirectory
{%- if cookiecutter.kind == "service" %}
from fastapi.testclient import TestClient
{%- endif %}
from psycopg import sql

from {{ cookiecutter.package_name }} import database
{%- if cookiecutter.kind == "service" %}
from {{ cookiecutter.package_name }}.app import create_app
{%- endif %}

HOW_TO_RUN = (
    "integration tier not run: no PostgreSQL server. Set DATABASE_URL, or put "
    "PostgreSQL's binaries (pg_ctl) on PATH as a user other than root "
    "(docs/database.md)"
)


def postgresql_binaries() -> Path | None:
    """The folder of ``pg_ctl`` and ``initdb``: on PATH, or where pg_config says."""
    if pg_ctl := shutil.which("pg_ctl"):
        return Path(pg_ctl).parent
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run(  # noqa: S603 (PostgreSQL's own tool, found on PATH)
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        folder = Path(found.stdout.strip())
        if found.returncode == 0 and (folder / "pg_ctl").exists():
            return folder
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def throwaway_server(binaries: Path, folder: Path) -> Generator[str]:
    """A server of its own in ``folder``, on 127.0.0.1 only, stopped at the end."""
    data = folder / "data"
    subprocess.run(  # noqa: S603 (PostgreSQL's own tools)
        [
            *(binaries / "initdb", "--pgdata", data, "--username", "postgres"),
            *("--auth", "trust", "--encoding", "UTF8", "--no-sync"),
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories="
    pg_ctl = [binaries / "pg_ctl", "--pgdata", data]
    subprocess.run(  # noqa: S603
        [*pg_ctl, "--wait", "--log", folder / "server.log", "-o", options, "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "--wait", "--mode", "fast", "stop"], check=False)  # noqa: S603


@contextmanager
def scratch_database(url: str) -> Generator[str]:
    """A new database on ``url``'s server, dropped at the end; its URL."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(create)
    except psycopg.errors.InsufficientPrivilege:
        pytest.fail(
            "DATABASE_URL's user may not CREATE DATABASE: the tests work in a scratch "
            "database, never in the one the URL names; grant CREATEDB or use another "
            "server (docs/database.md)",
            pytrace=False,
        )
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(drop.format(sql.Identifier(name)))


def no_server_here() -> bool:
    """Neither DATABASE_URL nor binaries this user can start a server with."""
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0  # initdb refuses root
    return not os.environ.get("DATABASE_URL") and (
        as_root or postgresql_binaries() is None
    )


pytestmark = pytest.mark.integration
if no_server_here():
    if postgresql_binaries() is not None:  # found, but this user is root
        pytest.skip(
            "integration tier not run: initdb refuses to start a server as root. "
            "Set DATABASE_URL, or run the tests as another user (docs/database.md)",
            allow_module_level=True,
        )
    pytest.skip(HOW_TO_RUN, allow_module_level=True)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated scratch database on DATABASE_URL's server, or a throwaway server."""
    if url := os.environ.get("DATABASE_URL"):
        with scratch_database(url) as scratch:
            database.migrate(scratch)
            yield scratch
        return
    binaries = postgresql_binaries()
    assert binaries, "no_server_here() found them at collection"
    with throwaway_server(binaries, tmp_path_factory.mktemp("postgresql")) as url:
        database.migrate(url)
        yield url


@pytest.fixture
def connection(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection whose changes are rolled back after the test."""
    with psycopg.connect(database_url) as connection:
        yield connection
        connection.rollback()


def test_a_greeting_is_recorded(connection: psycopg.Connection) -> None:
    first = database.record_greeting(connection, "Ada")
    second = database.record_greeting(connection, "Grace")
    assert (first.name, second.name) == ("Ada", "Grace")
    assert second.id > first.id
    assert first.created_at.tzinfo is not None
    stored = connection.execute("SELECT name FROM greetings ORDER BY id").fetchall()
    assert [name for (name,) in stored][-2:] == ["Ada", "Grace"]


def test_the_migrations_go_down_and_up_again(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = database.alembic_config(database_url)
    database.command.downgrade(config, "base")
    with psycopg.connect(database_url) as connection:
        gone = connection.execute("SELECT to_regclass('greetings')").fetchone()
    assert gone == (None,)
    # The console entry point, as a deployment runs it.
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv(database.URL_VARIABLES[0], raising=False)
    assert database.main([]) == 0
    with psycopg.connect(database_url) as connection:
        version = connection.execute("SELECT version_num FROM alembic_version")
        head = ScriptDirectory.from_config(config).get_current_head()
        assert version.fetchone() == (head,)
{%- if cookiecutter.kind == "service" %}


def test_ready_when_the_database_answers(database_url: str) -> None:
    checks = {"database": database.readiness_check(database_url)}
    with TestClient(create_app(readiness_checks=checks)) as client:
        ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
{%- endif %}
