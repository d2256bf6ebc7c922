"""The database: where it is, its migrations, and the functions that read and write it.

The URL is the first of ``URL_VARIABLES`` that is set: the project's own variable, or
``DATABASE_URL`` (what hosting platforms and the tests set). It is a libpq URL such as
``postgresql://user@host:5432/name``. psycopg 3 speaks to the server; Alembic
applies the migrations in ``migrations/``, and ``main()`` (``python -m`` this module)
upgrades to the newest one.
"""

from __future__ import annotations
{% if cookiecutter.kind == "service" %}
import asyncio
import contextlib
import logging
{%- endif %}
import os
import sys
{%- if cookiecutter.kind == "service" %}
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
{%- else %}
from collections.abc import Mapping, Sequence
{%- endif %}
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
{%- if cookiecutter.kind == "service" %}
from urllib.parse import urlsplit
{%- endif %}

import psycopg
from alembic import command
from alembic.config import Config
{%- if cookiecutter.kind == "service" %}
from psycopg.conninfo import conninfo_to_dict
{%- endif %}
from psycopg.rows import class_row

# Read in this order: the project's own variable wins over the generic one.
URL_VARIABLES = (
    "{{ cookiecutter.__env_prefix }}DATABASE_URL",
    "DATABASE_URL",
)
MIGRATIONS = Path(__file__).with_name("migrations")
{%- if cookiecutter.kind == "service" %}
# Seconds a readiness check waits for the server (libpq's minimum is 2).
CONNECT_TIMEOUT = 2
# Seconds a readiness answer is reused: /readyz is public, and a connection per request
# would let anyone use up the server's connection slots.
CHECK_TTL = 1.0
logger = logging.getLogger(__name__)
{%- endif %}


class NoDatabaseURLError(LookupError):
    """Neither URL variable is set."""


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """The server's URL, from the first of ``URL_VARIABLES`` that is set."""
    environ = os.environ if environ is None else environ
    for name in URL_VARIABLES:
        if url := environ.get(name):
            return url
    msg = f"set {URL_VARIABLES[0]} (or {URL_VARIABLES[1]}) to a postgresql:// URL"
    raise NoDatabaseURLError(msg)


def sqlalchemy_url(url: str) -> str:
    """The same URL for SQLAlchemy (Alembic's engine), with psycopg 3 as driver."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme not in {"postgres", "postgresql"}:
        # Not the value: a URL in another form may still hold a password.
        msg = "not a postgresql:// URL (the value is not shown: it may hold a password)"
        raise ValueError(msg)
    return f"postgresql+psycopg://{rest}"


def alembic_config(url: str) -> Config:
    """Alembic's settings without a file, so an installed package can migrate too."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Not an option: options interpolate %(name)s, and a password may hold a %.
    config.attributes["sqlalchemy.url"] = sqlalchemy_url(url)
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database's schema to ``revision`` (the newest by default)."""
    command.upgrade(alembic_config(url), revision)


@dataclass(frozen=True)
class Greeting:
    """A row of the ``greetings`` table (the sample table of the first migration)."""

    id: int
    name: str
    created_at: datetime


def record_greeting(connection: psycopg.Connection, name: str) -> Greeting:
    """Store that ``name`` was greeted and return the stored row."""
    with connection.cursor(row_factory=class_row(Greeting)) as cursor:
        cursor.execute(
            "INSERT INTO greetings (name) VALUES (%s) RETURNING id, name, created_at",
            (name,),
        )
        greeting = cursor.fetchone()
    if greeting is None:  # pragma: no cover (INSERT ... RETURNING returns its row)
        msg = "the insert returned no row"
        raise RuntimeError(msg)
    return greeting


{% if cookiecutter.kind == "service" %}def readiness_check(url: str) -> Callable[[], Awaitable[bool]]:
    """A check for the service's ``/readyz``: True when the server answers a query.

    At most one connection at a time, and an answer is reused for ``CHECK_TTL``
    seconds; while a check runs, other requests get the last answer (not ready before
    the first). The event loop runs one coroutine at a time, so no lock is needed
    between reading and setting ``state``.
    """
    state = {"at": -CHECK_TTL, "ready": False, "busy": False}

    async def database_answers() -> bool:
        if state["busy"] or time.monotonic() - state["at"] < CHECK_TTL:
            return bool(state["ready"])
        state["busy"] = True
        try:
            ready = await server_answers(url)
        finally:
            state["busy"] = False
        state.update(at=time.monotonic(), ready=ready)
        return ready

    return database_answers


async def server_answers(url: str) -> bool:
    """Whether the server answers ``SELECT 1``; why not, in the log.

    The blocking driver in a worker thread: psycopg's async mode needs a selector event
    loop, and asyncio on Windows runs a proactor one by default.
    """
    return await asyncio.to_thread(_server_answers, url)


def _server_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as connection:
            connection.execute("SELECT 1")
    except psycopg.OperationalError as error:
        # libpq's words (host, port, user, reason), unless they hold a piece of the
        # password: an unencoded "@" in it makes libpq read the rest as the host name.
        message = str(error).strip()
        if any(piece in message for piece in password_pieces(url)):
            message = (
                f"{type(error).__name__} (libpq's message is left out: it quotes part"
                ' of the password; percent-encode "@", ":" and "/" in the password)'
            )
        logger.warning("database not ready: %s", message)
        return False
    except (psycopg.Error, ValueError) as error:
        # Only the kind: other messages may quote parts of the URL.
        logger.warning("database not ready: %s", type(error).__name__)
        return False
    return True


def password_pieces(url: str) -> set[str]:
    """The password as either parser reads the URL, and the parts of an unencoded one.

    When the password holds an unencoded "@", each part of it between them is returned
    too, since libpq takes what follows for the host.
    """
    raw = urlsplit(url).password or ""
    pieces = {raw, *raw.split("@")}
    with contextlib.suppress(psycopg.ProgrammingError):
        pieces.add(str(conninfo_to_dict(url).get("password") or ""))
    return {piece for piece in pieces if piece}


{% endif %}def main(argv: Sequence[str] | None = None) -> int:
    """Migrate to the revision given (the newest by default); the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        url = database_url()
    except NoDatabaseURLError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    migrate(url, *args[:1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
