"""The schema comes from the shipped Alembic migrations and matches the models exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import Trigger
from rebalancer.persistence import SqlStore, open_store
from rebalancer.persistence.engine import create_engine
from rebalancer.persistence.migrate import (
    UnknownSchemaRevision,
    alembic_config,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from rebalancer.persistence.models import metadata

TABLES = {
    "runs",
    "run_rounds",
    "plan_nodes",
    "orders",
    "transfers",
    "breaker_transitions",
    "events",
    "run_requests",
    "portfolio_states",
    "inflows",
    "schedule_entries",
    "set_asides",
}


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_builds_every_table_from_an_empty_database(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        assert await current_revision(engine) is None
        assert await upgrade_to_head(engine) == head_revision()
        async with engine.connect() as connection:
            assert await connection.run_sync(_table_names) >= TABLES | {"alembic_version"}
    finally:
        await engine.dispose()


async def test_models_match_the_migrations(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_upgrading_twice_changes_nothing_and_keeps_data(empty_database_url: str) -> None:
    first = await open_store(empty_database_url)
    run = await first.create_run("core", RunType.FULL, Trigger.MANUAL)
    await first.close()
    second = await open_store(empty_database_url)
    try:
        assert (await second.get_run(run.id)).portfolio == "core"
        assert await current_revision(second.engine) == head_revision()
    finally:
        await second.close()


def _downgrade_then_upgrade(connection: Connection) -> tuple[set[str], set[str]]:
    config = alembic_config(connection)
    command.downgrade(config, "base")
    emptied = _table_names(connection) & TABLES
    command.upgrade(config, "head")
    return emptied, _table_names(connection) & TABLES


async def test_downgrade_to_base_removes_the_tables_and_upgrade_restores_them(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            emptied, restored = await connection.run_sync(_downgrade_then_upgrade)
        assert emptied == set()
        assert restored == TABLES
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "statement", ["UPDATE events SET kind = 'rewritten'", "DELETE FROM events"]
)
async def test_the_database_refuses_to_rewrite_the_event_log(
    store: SqlStore, statement: str
) -> None:
    await store.append_event("breaker_tripped", {"reason": "stale data"})
    with pytest.raises(DBAPIError, match="append-only"):
        async with store.engine.begin() as connection:
            await connection.execute(text(statement))
    assert [event.kind for event in await store.events()] == ["breaker_tripped"]


def _upgrade_to(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


FIRST_RELEASE_ROWS = [
    "INSERT INTO runs (id, portfolio, run_type, trigger, status, rounds, created_at, updated_at)"
    " VALUES ('old1', 'core', 'full', 'drift', 'PROCESSING', 1,"
    " '2024-03-01 00:00:00', '2024-03-01 00:00:00')",
    "INSERT INTO run_rounds (run_id, round, snapshot_json, plan_json, created_at)"
    " VALUES ('old1', 1, '{}', '{}', '2024-03-01 00:00:00')",
    "INSERT INTO plan_nodes (run_id, round, node_id, kind, depends_on)"
    " VALUES ('old1', 1, 'o1', 'order', '[]')",
]


async def test_a_database_from_the_first_release_upgrades_with_its_rows(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0001")
            for statement in FIRST_RELEASE_ROWS:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
    store = await open_store(empty_database_url)
    try:
        assert await current_revision(store.engine) == head_revision()
        assert [run.id for run in await store.runs_in_flight()] == ["old1"]
        assert [node.node_id for node in await store.plan_nodes("old1", 1)] == ["o1"]
    finally:
        await store.close()


async def test_a_database_from_a_newer_release_is_refused_untouched(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(UnknownSchemaRevision, match=r"'9999'.*newer release"):
            await open_store(empty_database_url)
        assert await current_revision(engine) == "9999"
    finally:
        await engine.dispose()


OLD_RUN = (
    "INSERT INTO runs (id, portfolio, run_type, trigger, status, rounds, amount, created_at,"
    " updated_at) VALUES ('old2', 'core', 'withdraw', 'manual', 'FILLED', 1, '500',"
    " '2024-03-01 00:00:00', '2024-03-01 00:00:00')"
)
OLD_EVENTS = [  # (second, run id, kind, payload) as the first releases wrote them
    (1, "old2", "triggered", '{"reason":"asked","trigger":"manual"}'),
    (2, "old2", "UPDATED", '{"orders":2,"round":1,"transfers":0}'),
    (3, None, "breaker", '{"detail":"x","from":"ACTIVE","reason":"slippage","to":"HALTED"}'),
    (4, None, "resume", '{"by":"bob","from":"HALTED","reason":"ok"}'),
    (5, None, "something_else", "{}"),
]


async def _write_old_events(connection: AsyncConnection) -> None:
    await connection.execute(text(OLD_RUN))
    for second, run_id, kind, payload in OLD_EVENTS:
        await connection.execute(
            text("INSERT INTO events (at, run_id, kind, payload) VALUES (:at, :run, :kind, :p)"),
            {
                "at": datetime(2024, 3, 1, 0, 0, second, tzinfo=UTC),
                "run": run_id,
                "kind": kind,
                "p": payload,
            },
        )


async def test_old_event_names_and_fields_become_the_typed_ones(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0002")
            await _write_old_events(connection)
    finally:
        await engine.dispose()
    store = await open_store(empty_database_url)
    try:
        logged = [(e.kind, dict(e.payload)) for e in await store.events()]
        assert logged == [
            (
                "RunTriggered",
                {
                    "reason": "asked",
                    "trigger": "manual",
                    "portfolio": "core",
                    "run_type": "withdraw",
                    "amount": "500",
                },
            ),
            ("RoundPlanned", {"orders": 2, "round": 1, "transfers": 0, "portfolio": "core"}),
            (
                "BreakerTransition",
                {
                    "detail": "x",
                    "previous": "ACTIVE",
                    "reason": "slippage",
                    "state": "HALTED",
                    "portfolio": None,
                },
            ),
            (
                "BreakerResumed",
                {"by": "bob", "previous": "HALTED", "reason": "ok", "portfolio": None},
            ),
            ("something_else", {}),
        ]
        with pytest.raises(DBAPIError, match="append-only"):
            async with store.engine.begin() as connection:
                await connection.execute(text("DELETE FROM events"))
    finally:
        await store.close()


def _downgrade_to(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


async def test_downgrading_the_typed_names_restores_the_old_rows(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0002")
            await _write_old_events(connection)
            await connection.run_sync(_upgrade_to, "0003")
            await connection.run_sync(_downgrade_to, "0002")
            rows = (
                await connection.execute(text("SELECT kind, payload FROM events ORDER BY id"))
            ).all()
    finally:
        await engine.dispose()
    kinds = [row.kind for row in rows]
    assert kinds == ["triggered", "UPDATED", "breaker", "resume", "something_else"]
    assert '"from":"ACTIVE"' in rows[2].payload
    assert "portfolio" not in rows[0].payload
