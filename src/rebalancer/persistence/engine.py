"""Building the async engine: SQLite (the default, one file in the state directory) or PostgreSQL.

SQLite is tuned for an unattended single writer:

- ``journal_mode=WAL``: readers (the API, ``rebalancer status``) never block the daemon's writes.
- ``synchronous=FULL``: every commit fsyncs the WAL, so an order intent that was committed
  survives a power cut, not only a process crash. ``NORMAL`` would be faster but may lose the
  last commits on power loss, and a lost intent is exactly the untracked order we must prevent.
  Our write rate (a few rows per order) makes the cost negligible.
- ``foreign_keys=ON`` (off by default in SQLite) and a ``busy_timeout`` so a second connection
  waits for a lock instead of failing at once.
- Write transactions start with ``BEGIN IMMEDIATE`` so two writers queue on the lock up front
  instead of deadlocking when a read transaction upgrades to a write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

SQLITE_FILE_NAME = "rebalancer.sqlite"  # the same name settings.DaemonConfig uses
BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "rebalancer_read_only"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def sqlite_url(state_dir: Path) -> str:
    """The default database URL: a SQLite file inside the state directory."""
    return f"sqlite+aiosqlite:///{(state_dir / SQLITE_FILE_NAME).resolve()}"


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names (None: not SQLite, or an in-memory database)."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    return Path(database)


def url_problem(url: str) -> str | None:
    """Why the daemon could not open a database at ``url`` (None: it names one it can).

    The URL must parse and name one of the async drivers the store runs on; nothing connects.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "not a database URL (expected e.g. postgresql+asyncpg://USER@HOST/DB)"
    if parsed.drivername not in SUPPORTED_DRIVERS:
        known = " or ".join(f"{name}://" for name in SUPPORTED_DRIVERS)
        return f"{parsed.drivername}:// is not supported: use {known}"
    return None


def create_engine(url: str | URL, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine for ``url`` with our SQLite settings when it is SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, echo=echo, pool_pre_ping=True)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:")
    if not in_memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
    engine = create_async_engine(parsed, echo=echo, **options)
    _tune_sqlite(engine, wal=not in_memory)
    return engine


def _tune_sqlite(engine: AsyncEngine, *, wal: bool) -> None:
    """Set the pragmas on every new connection and take over transaction begins."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN would hide DDL and deferred locking from us.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine, starting deferred (read) transactions that never take the write lock."""
    return engine.execution_options(**{READ_ONLY: True})


def describe_url(url: str | URL) -> str:
    """The URL as it may be shown to people: any password is masked."""
    return make_url(url).render_as_string(hide_password=True)
