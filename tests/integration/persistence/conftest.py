"""Real databases for the persistence tests: a SQLite file per test, PostgreSQL when it answers.

PostgreSQL runs against ``postgresql+asyncpg://postgres@127.0.0.1:5432/test`` (override with
``REBALANCER_TEST_POSTGRES_URL``): a throwaway database is created once per session and dropped
at the end; each test starts from empty tables. When no server answers, those tests skip and
say why.
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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session (skip if there is no server)."""
    name = f"rebalancer_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, DBAPIError, TimeoutError) as error:
        pytest.skip(f"no PostgreSQL server answers at {ADMIN_URL}: {error}")
    yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database on each backend."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_empty(url))
    return url


async def _empty(url: str) -> None:
    """Drop every table (and the migration stamp) so each test migrates from nothing."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
            await connection.execute(text("DROP FUNCTION IF EXISTS events_append_only()"))
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> SteppingClock:
    """The stores' clock: starts at 2024-03-01 UTC and steps a second per reading."""
    return SteppingClock()


@pytest.fixture
async def store(database_url: str, clock: SteppingClock) -> AsyncIterator[SqlStore]:
    """A migrated store on a fresh database, closed after the test."""
    opened = await open_store(database_url, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()
