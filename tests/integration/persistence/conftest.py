"""Real databases for the persistence tests: a SQLite file per test, PostgreSQL when it answers.

PostgreSQL runs against ``postgresql+asyncpg://postgres@127.0.0.1:5432/test`` (override with
``REBALANCER_TEST_POSTGRES_URL``): two throwaway databases are created per session and dropped
at the end: one migrated once, whose tables each test empties, and one that migration tests
wipe. When no server answers, those tests skip and say why.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from rebalancer.persistence import SqlStore, open_store, sqlite_url

from .builders import SteppingClock

ADMIN_URL = os.environ.get(
    "REBALANCER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


async def _admin(statement: str) -> None:
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await asyncio.wait_for(connection.execute(text(statement)), timeout=30)
    finally:
        await engine.dispose()


def _create_database() -> str:
    name = f"rebalancer_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, DBAPIError, TimeoutError) as error:
        pytest.skip(f"no PostgreSQL server answers at {ADMIN_URL}: {error}")
    return name


def _url(name: str) -> str:
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def scratch_postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database that migration tests empty and rebuild at will."""
    name = _create_database()
    yield _url(name)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def migrated_postgres_url() -> Iterator[str]:
    """A PostgreSQL database migrated to head once for the session; tests empty its tables."""
    name = _create_database()
    asyncio.run(_migrate(_url(name)))
    yield _url(name)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
TABLES = (
    "set_asides",
    "inflows",
    "run_requests",
    "schedule_entries",
    "portfolio_states",
    "events",
    "breaker_transitions",
    "transfers",
    "orders",
    "plan_nodes",
    "run_rounds",
    "runs",
)
# DELETE is much cheaper than TRUNCATE on tiny tables; the replica role lets it past the event
# log's append-only trigger.
EMPTY_TABLES = (
    "SET LOCAL session_replication_role = replica",
    *(f"DELETE FROM {table}" for table in TABLES),
)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database with nothing in it (not even the migrations' stamp)."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("scratch_postgres_url")
    asyncio.run(_run(url, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public"))
    return url


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database on each backend; on PostgreSQL it may hold earlier tests' rows."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("migrated_postgres_url")
    return url


@pytest.fixture
def database_url(backend_url: str) -> str:
    """The URL of a migrated database whose tables are empty."""
    if backend_url.startswith("postgresql"):
        asyncio.run(_run(backend_url, *EMPTY_TABLES))
    return backend_url


async def _run(url: str, *statements: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _migrate(url: str) -> None:
    store = await open_store(url)
    await store.close()


@pytest.fixture
def clock() -> SteppingClock:
    """The stores' clock: starts at 2024-03-01 UTC and steps a second per reading."""
    return SteppingClock()


@pytest.fixture
async def store(backend_url: str, clock: SteppingClock) -> AsyncIterator[SqlStore]:
    """A migrated store with empty tables, closed after the test."""
    opened = await open_store(backend_url, clock=clock)
    try:
        if backend_url.startswith("postgresql"):
            async with opened.engine.begin() as connection:
                for statement in EMPTY_TABLES:
                    await connection.execute(text(statement))
        yield opened
    finally:
        await opened.close()
