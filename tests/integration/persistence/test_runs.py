"""Runs: created, listed, moved through their states, their rounds stored byte for byte."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import DuplicateRecord, NodeKind, RecordNotFound
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.persistence import SqlStore, open_store

from .builders import PLAN_JSON, SNAPSHOT_JSON, START


async def test_a_created_run_reads_back_with_every_field(store: SqlStore) -> None:
    created = await store.create_run(
        "core", RunType.WITHDRAW, Trigger.MANUAL, amount=Decimal("250.50")
    )
    assert created.id.isalnum()
    assert len(created.id) <= 12
    assert await store.get_run(created.id) == created
    assert created.status is RunStatus.NEW
    assert created.amount == Decimal("250.50")
    assert created.created_at == START
    assert created.created_at.tzinfo is not None


async def test_run_ids_given_by_the_caller_must_be_new(store: SqlStore) -> None:
    await store.create_run("core", RunType.FULL, Trigger.DRIFT, run_id="r1")
    with pytest.raises(DuplicateRecord, match="r1"):
        await store.create_run("core", RunType.FULL, Trigger.DRIFT, run_id="r1")


async def test_an_unknown_run_is_reported_by_id(store: SqlStore) -> None:
    with pytest.raises(RecordNotFound, match="nope"):
        await store.get_run("nope")
    with pytest.raises(RecordNotFound, match="nope"):
        await store.set_run_status("nope", RunStatus.FAILED)


async def test_status_changes_keep_the_reason_and_the_time(store: SqlStore) -> None:
    run = await store.create_run("core", RunType.FULL, Trigger.CALENDAR)
    later = START + timedelta(hours=1)
    failed = await store.set_run_status(run.id, RunStatus.FAILED, "venue not reconciled", at=later)
    assert (failed.status, failed.reason, failed.updated_at) == (
        RunStatus.FAILED,
        "venue not reconciled",
        later,
    )
    assert failed.created_at == run.created_at
    assert await store.get_run(run.id) == failed


async def test_runs_list_newest_first_and_filter_by_portfolio(store: SqlStore) -> None:
    first = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    other = await store.create_run("income", RunType.FULL, Trigger.DRIFT)
    last = await store.create_run("core", RunType.LIQUIDATE, Trigger.MANUAL)
    assert [run.id for run in await store.list_runs()] == [last.id, other.id, first.id]
    assert [run.id for run in await store.list_runs("core")] == [last.id, first.id]
    assert [run.id for run in await store.list_runs(limit=1)] == [last.id]


async def test_rounds_keep_the_snapshot_and_plan_text_exactly(store: SqlStore) -> None:
    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    await store.save_round(run.id, 1, SNAPSHOT_JSON, PLAN_JSON)
    await store.save_round(run.id, 2, SNAPSHOT_JSON, '{"orders": [], "transfers": []}')
    rounds = await store.rounds_for_run(run.id)
    first = rounds[0]
    assert (first.round, first.snapshot_json, first.plan_json) == (1, SNAPSHOT_JSON, PLAN_JSON)
    assert [r.round for r in rounds] == [1, 2]
    assert (await store.get_run(run.id)).rounds == 2


async def test_a_round_lists_its_plan_nodes_with_their_dependencies(store: SqlStore) -> None:
    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    await store.save_round(run.id, 1, SNAPSHOT_JSON, PLAN_JSON)
    nodes = await store.plan_nodes(run.id, 1)
    assert [(n.node_id, n.kind, n.depends_on) for n in nodes] == [
        ("o1", NodeKind.ORDER, ()),
        ("o2", NodeKind.ORDER, ("t1",)),
        ("t1", NodeKind.TRANSFER, ("o1",)),
    ]


async def test_a_round_cannot_be_saved_twice(store: SqlStore) -> None:
    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    await store.save_round(run.id, 1, SNAPSHOT_JSON, PLAN_JSON)
    with pytest.raises(DuplicateRecord, match="round 1"):
        await store.save_round(run.id, 1, SNAPSHOT_JSON, PLAN_JSON)
    assert len(await store.rounds_for_run(run.id)) == 1


@pytest.mark.parametrize(
    ("snapshot", "plan", "field"),
    [
        ("{not json", PLAN_JSON, "snapshot_json"),
        (SNAPSHOT_JSON, "[]", "plan_json"),
        (SNAPSHOT_JSON, '{"orders": [{"depends_on": []}]}', r"plan_json.orders\[0\].id"),
        (SNAPSHOT_JSON, '{"orders": [{"id": "o1"}], "transfers": [{"id": "o1"}]}', "twice"),
    ],
)
async def test_a_malformed_round_is_refused_naming_the_field(
    store: SqlStore, snapshot: str, plan: str, field: str
) -> None:
    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    with pytest.raises(InvalidValue, match=field):
        await store.save_round(run.id, 1, snapshot, plan)
    assert await store.rounds_for_run(run.id) == []
    assert (await store.get_run(run.id)).rounds == 0


async def test_runs_in_flight_are_found_after_reopening(database_url: str) -> None:
    first = await open_store(database_url)
    done = await first.create_run("core", RunType.FULL, Trigger.DRIFT)
    await first.set_run_status(done.id, RunStatus.FILLED)
    waiting = await first.create_run("core", RunType.FULL, Trigger.DRIFT)
    await first.set_run_status(waiting.id, RunStatus.AWAITING_APPROVAL)
    working = await first.create_run("income", RunType.INVEST_CASH, Trigger.CALENDAR)
    await first.set_run_status(working.id, RunStatus.PROCESSING)
    await first.close()

    reopened = await open_store(database_url)
    try:
        in_flight = await reopened.runs_in_flight()
    finally:
        await reopened.close()
    assert [run.id for run in in_flight] == [waiting.id, working.id]


async def test_the_cooldown_counts_from_the_last_full_run(store: SqlStore) -> None:
    """Only runs that rebalance count: a later invest_cash, withdraw, liquidate or deposit run
    neither restarts the cooldown nor marks a calendar date done; a requested full run does."""
    assert await store.last_rebalance_at("core") is None
    filled = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    await store.set_run_status(filled.id, RunStatus.FILLED, at=START + timedelta(days=1))
    partial = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    await store.set_run_status(partial.id, RunStatus.PARTIALLY_FILLED, at=START + timedelta(days=2))
    failed = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    await store.set_run_status(failed.id, RunStatus.FAILED, at=START + timedelta(days=3))
    elsewhere = await store.create_run("income", RunType.FULL, Trigger.DRIFT)
    await store.set_run_status(elsewhere.id, RunStatus.FILLED, at=START + timedelta(days=4))
    for day, (kind, trigger) in enumerate(
        [
            (RunType.INVEST_CASH, Trigger.DEPOSIT),
            (RunType.INVEST_CASH, Trigger.MANUAL),
            (RunType.WITHDRAW, Trigger.SCHEDULE),
            (RunType.LIQUIDATE, Trigger.MANUAL),
        ],
        start=5,
    ):
        amount = None if kind is RunType.LIQUIDATE else Decimal(100)
        other = await store.create_run("core", kind, trigger, amount=amount)
        await store.set_run_status(other.id, RunStatus.FILLED, at=START + timedelta(days=day))
    assert await store.last_rebalance_at("core") == START + timedelta(days=2)
    requested = await store.create_run("core", RunType.FULL, Trigger.MANUAL)
    await store.set_run_status(requested.id, RunStatus.FILLED, at=START + timedelta(days=10))
    assert await store.last_rebalance_at("core") == START + timedelta(days=10)
