"""Alembic environment for rebalancer's state database.

Run by ``rebalancer.persistence.migrate`` with an open connection in
``config.attributes["connection"]`` (the normal path), or offline to print SQL. SQLite gets
batch mode so later migrations can alter tables it cannot ALTER in place.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from rebalancer.persistence.models import metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    """Emit the migration SQL for the URL in the config instead of running it."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the connection the caller opened."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run migrations through `rebalancer db upgrade` (it opens the connection)"
        )
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
