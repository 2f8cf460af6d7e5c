"""connectplan's store: SQLAlchemy models, engine/session set-up, schema lifecycle and the queries.

The only package that speaks SQL. Repository functions take a ``Session`` and never commit;
callers own transactions. Schema changes are Alembic's (``migrations/``).
"""

from connectplan.db.errors import ConflictError, EditionConflictError, NotFoundError, SchemaError, StoreError
from connectplan.db.session import DEFAULT_URL, HEAD_REVISION, database_url, make_engine, make_session_factory

__all__ = [
    "DEFAULT_URL",
    "HEAD_REVISION",
    "ConflictError",
    "EditionConflictError",
    "NotFoundError",
    "SchemaError",
    "StoreError",
    "database_url",
    "make_engine",
    "make_session_factory",
]
