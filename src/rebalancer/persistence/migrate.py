"""Applying the Alembic migrations shipped inside this package, without an alembic.ini.

The Alembic ``Config`` is built in code and pointed at ``persistence/migrations``, so the
installed package migrates any database it is given. The caller's connection is handed to
``env.py`` through ``Config.attributes``; the whole upgrade runs in that connection's single
transaction (SQLite and PostgreSQL both have transactional DDL), so a failed migration leaves
the schema as it was.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from rebalancer.domain.errors import RebalancerError
from rebalancer.persistence.engine import read_only

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for our migrations, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest revision the shipped migrations know."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


class UnknownSchemaRevision(RebalancerError):
    """The database was migrated by a newer rebalancer than this one: refuse to touch it."""


@cache
def known_revisions() -> frozenset[str]:
    """Every revision the shipped migrations define."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return frozenset(script.revision for script in scripts.walk_revisions())


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade_to_head(engine: AsyncEngine) -> str:
    """Bring the database to the newest schema (a no-op when it is there) and return it."""
    current = await current_revision(engine)
    if current == head_revision():
        return head_revision()
    if current is not None and current not in known_revisions():
        raise UnknownSchemaRevision(
            f"the database is at schema revision {current!r}, which this version of rebalancer "
            f"does not know (it knows up to {head_revision()!r}); was it upgraded by a newer "
            "release? Run that release, or restore a backup made for this one."
        )
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
    return await current_revision(engine) or ""


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    async with read_only(engine).connect() as connection:
        return await connection.run_sync(_current)
