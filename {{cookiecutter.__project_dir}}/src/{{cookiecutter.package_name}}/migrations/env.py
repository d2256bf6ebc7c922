"""Alembic's entry point: run the migrations against the configured database.

``uv run alembic upgrade head`` comes here with the settings of ``[tool.alembic]``
in pyproject.toml; ``database.migrate()`` comes here with its own. The URL is the
caller's, or else the environment's (see ``database.database_url``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from {{ cookiecutter.package_name }}.database import database_url, sqlalchemy_url

# database.alembic_config() hands its URL in `attributes`; the alembic command does not.
url = context.config.attributes.get("sqlalchemy.url") or sqlalchemy_url(database_url())


def run_migrations_offline() -> None:
    """``alembic upgrade head --sql``: write the SQL instead of running it."""
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on one connection, each in the transaction Alembic opens."""
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
