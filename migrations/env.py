"""Alembic environment for connectplan's store.

The URL comes from :func:`db.session.database_url` (the CLI's own function, honouring
``$CONNECTPLAN_DATABASE_URL``) unless the caller set ``sqlalchemy.url`` or injected a
connectable through ``config.attributes["connection"]``: a ``Connection`` (the store's own
schema code passes one, inside its transaction) or an ``Engine`` (pytest-alembic passes one, as
Alembic's cookbook allows), which is used as a configured URL would be, under the schema lock,
and left open for its owner. Batch mode is on so SQLite can alter tables; the metadata carries
the naming convention.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection, Engine

from connectplan.db.models import Base
from connectplan.db.session import database_url, make_engine, schema_transaction

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


def _run_locked(db_engine: Engine) -> None:
    with schema_transaction(db_engine) as conn:
        _run(conn)


def run_migrations_online() -> None:
    """Run on the injected connection, on the injected engine, or on a new engine for the configured URL.

    On an engine the migration holds the store's schema lock (as ``connectplan db upgrade``
    does), so a concurrent ``connectplan`` waits for it; on SQLite foreign keys are off while
    it runs and checked before it commits. An injected connection is used as it is: its owner
    holds the transaction.
    """
    connectable = config.attributes.get("connection")
    if isinstance(connectable, Connection):
        _run(connectable)
    elif isinstance(connectable, Engine):
        _run_locked(connectable)  # the caller's engine: it disposes of it
    elif connectable is not None:
        kind = type(connectable).__name__
        raise TypeError(f'config.attributes["connection"] must be a SQLAlchemy Connection or Engine, not {kind}')
    else:
        db_engine = make_engine(_url())
        try:
            _run_locked(db_engine)
        finally:
            db_engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
