"""The database layer's parts that need no server: URLs, settings, the migrations' SQL.

What needs a server is in test_database.py (the integration tier).
"""

{% if cookiecutter.kind == "service" -%}
import asyncio

{% endif -%}
import pytest
{%- if cookiecutter.kind == "service" %}
from fastapi.testclient import TestClient
{%- endif %}

from {{ cookiecutter.package_name }} import database
{%- if cookiecutter.kind == "service" %}
from {{ cookiecutter.package_name }}.app import create_app
{%- endif %}


def test_the_url_comes_from_the_project_variable_first() -> None:
    environ = {
        "DATABASE_URL": "postgresql://b",
        database.URL_VARIABLES[0]: "postgresql://a",
    }
    assert database.database_url(environ) == "postgresql://a"
    assert database.database_url({"DATABASE_URL": "postgresql://b"}) == "postgresql://b"
    with pytest.raises(database.NoDatabaseURLError, match=database.URL_VARIABLES[0]):
        database.database_url({})


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_alembic_speaks_through_psycopg_3(scheme: str) -> None:
    # A percent-encoded password ("p@ss") survives: no interpolation of %.
    credentials = "user:" + "p%40ss"
    url = database.sqlalchemy_url(f"{scheme}://{credentials}@db:5432/app")
    assert url == f"postgresql+psycopg://{credentials}@db:5432/app"
    config = database.alembic_config(f"{scheme}://{credentials}@db:5432/app")
    assert config.attributes["sqlalchemy.url"] == url


@pytest.mark.parametrize("url", ["mysql://db/app", "db:5432/app"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="not a postgresql:// URL"):
        database.sqlalchemy_url(url)


def test_migrating_without_a_url_says_which_variable_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in database.URL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert database.main([]) == 2
    assert database.URL_VARIABLES[0] in capsys.readouterr().err


def test_the_migrations_write_the_sample_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Alembic's offline mode: the SQL a database would run, written out instead.
    config = database.alembic_config("postgresql://nobody@127.0.0.1:1/nothing")
    database.command.upgrade(config, "head", sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE greetings" in sql
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in sql


def test_a_url_error_never_shows_the_url() -> None:
    with pytest.raises(ValueError, match="not a postgresql:// URL") as error:
        database.sqlalchemy_url("host=db password=hunter2")  # pragma: allowlist secret
    assert "hunter2" not in str(error.value)
{%- if cookiecutter.kind == "service" %}


def test_not_ready_when_the_database_does_not_answer() -> None:
    # Nothing listens on port 1 of this machine: the connection is refused at once.
    checks = {"database": database.readiness_check("postgresql://x@127.0.0.1:1/x")}
    with TestClient(create_app(readiness_checks=checks)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "not ready", "failing": ["database"]}


def test_the_readiness_check_connects_once_a_second_and_logs_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[str] = []
    real = database.server_answers

    async def counted(url: str) -> bool:
        attempts.append(url)
        return await real(url)

    monkeypatch.setattr(database, "server_answers", counted)
    url = "postgresql://x:hunter2@127.0.0.1:1/x"  # pragma: allowlist secret
    checks = {"database": database.readiness_check(url)}
    with TestClient(create_app(readiness_checks=checks)) as client:
        answers = {client.get("/readyz").status_code for _ in range(20)}
    assert answers == {503}
    assert len(attempts) == 1  # the other 19 reused the answer (CHECK_TTL)
    reasons = [record.getMessage() for record in caplog.records]
    [reason] = [message for message in reasons if "database not ready" in message]
    assert "127.0.0.1" in reason
    assert "hunter2" not in caplog.text


def test_a_password_libpq_takes_for_a_host_stays_out_of_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An unencoded "@" in the password: libpq reads "tail@db.invalid" as the host name
    # and quotes it when the name does not resolve.
    url = "postgresql://app:head@tail@db.invalid:5432/app"  # pragma: allowlist secret
    assert database.password_pieces(url) == {"head@tail", "head", "tail"}
    assert asyncio.run(database.server_answers(url)) is False
    [reason] = [r.getMessage() for r in caplog.records if "not ready" in r.getMessage()]
    assert "tail" not in caplog.text
    assert "head" not in caplog.text
    assert 'percent-encode "@"' in reason

{%- endif %}
