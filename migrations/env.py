"""Alembic environment for connectplan's store.

The URL comes from :func:`db.session.database_url` (the CLI's own function, honouring
``$CONNECTPLAN_DATABASE_URL``) unless the caller set ``sqlalchemy.url`` or injected a
connection through ``config.attributes["connection"]`` (the CLI and the tests do).
Batch mode is on so SQLite can alter tables; the metadata carries the naming convention.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import TYPE_CHECKING

from alembic import context

from connectplan.db.models import Base
from connectplan.db.session import database_url, make_engine, schema_transaction

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url()


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade head --sql``) without a database connection."""
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the injected connection, or against a new engine for the configured URL.

    On a new engine the migration holds the store's schema lock (as ``connectplan db upgrade``
    does), so a concurrent ``connectplan`` waits for it; on SQLite foreign keys are off while
    it runs and checked before it commits.
    """
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    db_engine = make_engine(_url())
    try:
        with schema_transaction(db_engine) as conn:
            _run(conn)
    finally:
        db_engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
