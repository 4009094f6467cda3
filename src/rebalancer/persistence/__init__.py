"""The state database: SQLAlchemy 2 (async) models, repositories and Alembic migrations.

``open_store(url)`` returns a ``SqlStore`` (the ``rebalancer.ports.Store`` port) on a schema
upgraded to head. SQLite (``sqlite+aiosqlite:///<state dir>/rebalancer.sqlite3``) is the
default; ``postgresql+asyncpg://`` URLs work the same way. See docs/persistence.md.
"""

from rebalancer.persistence.engine import sqlite_url
from rebalancer.persistence.store import (
    DatabaseNotReady,
    SqlStore,
    open_existing_store,
    open_store,
)

__all__ = ["DatabaseNotReady", "SqlStore", "open_existing_store", "open_store", "sqlite_url"]
