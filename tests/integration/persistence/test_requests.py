"""Run requests, pauses, kept snapshots, invested deposits and schedule marks, on both backends."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import DuplicateRecord, RecordNotFound
from rebalancer.domain.requests import Inflow, RunRequest
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.persistence import SqlStore

from .builders import order

WITHDRAW = RunRequest("core", RunType.WITHDRAW, Decimal("5000.5"), venue="binance", partial=True)


async def test_a_request_is_a_new_run_holding_what_was_asked(store: SqlStore) -> None:
    run = await store.create_requested_run(WITHDRAW, Trigger.MANUAL, "alice")

    assert (run.status, run.run_type, run.trigger) == (
        RunStatus.NEW,
        RunType.WITHDRAW,
        Trigger.MANUAL,
    )
    assert (run.amount, run.venue, run.partial) == (Decimal("5000.5"), "binance", True)
    stored = await store.get_request(run.id)
    assert stored is not None
    assert (stored.request, stored.requested_by, stored.taken_at) == (WITHDRAW, "alice", None)
    assert [r.run_id for r in await store.pending_requests()] == [run.id]
    assert await store.get_run(run.id) == run


async def test_a_run_not_requested_has_no_request(store: SqlStore) -> None:
    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)

    assert await store.get_request(run.id) is None
    assert await store.pending_requests() == []
    assert (run.venue, run.partial) == (None, False)


async def test_taking_and_cancelling_exclude_each_other(store: SqlStore) -> None:
    taken = await store.create_requested_run(WITHDRAW, Trigger.MANUAL, "alice")
    cancelled = await store.create_requested_run(WITHDRAW, Trigger.MANUAL, "bob")

    assert await store.take_request(taken.id) is True
    assert await store.take_request(taken.id) is False  # once
    assert await store.cancel_request(taken.id, "cancelled by bob") is None
    assert (await store.get_run(taken.id)).status is RunStatus.NEW

    ended = await store.cancel_request(cancelled.id, "cancelled by bob")
    assert ended is not None
    assert (ended.status, ended.reason) == (RunStatus.CANCELLED, "cancelled by bob")
    assert await store.take_request(cancelled.id) is False
    assert await store.cancel_request(cancelled.id, "again") is None
    assert [r.run_id for r in await store.pending_requests()] == [taken.id]


async def test_concurrent_take_and_cancel_have_exactly_one_winner(store: SqlStore) -> None:
    for _ in range(5):
        run = await store.create_requested_run(WITHDRAW, Trigger.MANUAL, "alice")
        took, cancelled = await asyncio.gather(
            store.take_request(run.id), store.cancel_request(run.id, "cancelled")
        )
        assert took != (cancelled is not None)


async def test_cancelling_an_unknown_request_raises(store: SqlStore) -> None:
    with pytest.raises(RecordNotFound, match="nosuch"):
        await store.cancel_request("nosuch", "cancelled")


async def test_recovery_releases_requests_taken_but_never_started(store: SqlStore) -> None:
    waiting = await store.create_requested_run(WITHDRAW, Trigger.MANUAL, "alice")
    started = await store.create_requested_run(WITHDRAW, Trigger.MANUAL, "alice")
    await store.take_request(waiting.id)
    await store.take_request(started.id)
    await store.set_run_status(started.id, RunStatus.PROCESSING)

    assert await store.release_untaken_requests() == 1

    pending = await store.get_request(waiting.id)
    assert pending is not None
    assert pending.taken_at is None
    kept = await store.get_request(started.id)
    assert kept is not None
    assert kept.taken_at is not None
    assert await store.take_request(waiting.id) is True


async def test_a_key_makes_a_request_once(store: SqlStore) -> None:
    first = await store.create_requested_run(
        RunRequest("core", RunType.INVEST_CASH, Decimal(100)),
        Trigger.SCHEDULE,
        "schedule",
        key="schedule:core:2024-03-01",
    )

    with pytest.raises(DuplicateRecord, match="2024-03-01"):
        await store.create_requested_run(
            RunRequest("core", RunType.INVEST_CASH, Decimal(100)),
            Trigger.SCHEDULE,
            "schedule",
            key="schedule:core:2024-03-01",
        )

    found = await store.request_by_key("schedule:core:2024-03-01")
    assert found is not None
    assert found.run_id == first.id
    assert len(await store.list_runs()) == 1  # the refused one wrote nothing


async def test_a_deposit_is_invested_only_once(store: SqlStore) -> None:
    deposit = Inflow("binance", "D1", "USDT", Decimal("250"))
    invest = RunRequest("core", RunType.INVEST_CASH, Decimal("250"))

    await store.create_requested_run(invest, Trigger.DEPOSIT, "deposit", inflows=[deposit])
    with pytest.raises(DuplicateRecord, match="D1"):
        await store.create_requested_run(invest, Trigger.DEPOSIT, "deposit", inflows=[deposit])

    assert await store.invested_deposits("binance") == frozenset({"D1"})
    assert await store.invested_deposits("okx") == frozenset()
    assert len(await store.list_runs()) == 1


async def test_a_pause_is_kept_and_lifted(store: SqlStore) -> None:
    assert await store.get_pause("core") is None

    paused = await store.set_pause("core", True, "alice", "venue maintenance")
    assert (paused.paused, paused.by, paused.reason) == (True, "alice", "venue maintenance")
    assert await store.get_pause("core") == paused

    lifted = await store.set_pause("core", False, "bob", "")
    assert (await store.get_pause("core"), lifted.paused) == (lifted, False)
    assert [p.portfolio for p in await store.pauses()] == ["core"]


async def test_the_latest_snapshot_replaces_the_previous_one(store: SqlStore) -> None:
    assert await store.latest_snapshot("core") is None
    await store.save_latest_snapshot("core", '{"a": 1}')
    await store.save_latest_snapshot("core", '{"a": 2}')

    kept = await store.latest_snapshot("core")
    assert kept is not None
    assert kept[0] == '{"a": 2}'
    await store.set_pause("core", True, "alice", "why")  # the same row: keeps the snapshot
    assert (await store.latest_snapshot("core") or ("",))[0] == '{"a": 2}'


async def test_watermarks_are_set_once(store: SqlStore) -> None:
    since = await store.deposits_watched_since("core")
    assert await store.deposits_watched_since("core") == since
    seen = await store.schedule_first_seen("core", "invest_cash:100:weekly:Monday")
    assert await store.schedule_first_seen("core", "invest_cash:100:weekly:Monday") == seen
    other = await store.schedule_first_seen("core", "withdraw:50:monthly:1")
    assert other > seen


async def test_a_run_with_orders_is_never_pending_again(store: SqlStore) -> None:
    run = await store.create_requested_run(WITHDRAW, Trigger.MANUAL, "alice")
    await store.take_request(run.id)
    await store.set_run_status(run.id, RunStatus.PROCESSING)
    await store.record_order_intent(order(run.id, side=OrderSide.SELL))

    assert await store.release_untaken_requests() == 0
    assert await store.pending_requests() == []
