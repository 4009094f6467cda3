"""Set-asides (cash raised for a withdrawal, held out of the portfolio), on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import RecordNotFound
from rebalancer.domain.runs import Trigger
from rebalancer.domain.set_asides import ReleaseCause
from rebalancer.persistence import SqlStore, open_store

D = Decimal
EXPIRES = datetime(2024, 3, 31, tzinfo=UTC)


async def _withdraw_run(store: SqlStore) -> str:
    run = await store.create_run("core", RunType.WITHDRAW, Trigger.MANUAL, amount=D("5000"))
    return run.id


async def test_a_set_aside_is_kept_with_its_run_amount_and_the_balance_seen(
    store: SqlStore,
) -> None:
    run_id = await _withdraw_run(store)

    item = await store.record_set_aside(
        "core",
        "binance",
        "USDT",
        D("5000.12345678"),
        seen_balance=D("6490.5"),
        run_id=run_id,
        expires_at=EXPIRES,
    )

    assert item.id.startswith("sa-")
    assert (item.portfolio, item.venue, item.asset) == ("core", "binance", "USDT")
    assert (item.amount, item.seen_balance) == (D("5000.12345678"), D("6490.5"))
    assert (item.run_id, item.expires_at, item.active) == (run_id, EXPIRES, True)
    assert item.seen_at == item.created_at
    assert await store.get_set_aside(item.id) == item
    assert await store.set_asides("core") == [item]


async def test_only_active_set_asides_are_listed_unless_every_one_is_asked(
    store: SqlStore,
) -> None:
    first = await store.record_set_aside("core", "x", "USDT", D("1"), seen_balance=D("1"))
    second = await store.record_set_aside("core", "y", "USDT", D("2"), seen_balance=D("2"))
    other = await store.record_set_aside("else", "z", "USDT", D("3"), seen_balance=D("3"))

    released = await store.release_set_aside(
        first.id, ReleaseCause.RELEASED, by="alice", reason="paid from the bank"
    )

    assert released is not None
    assert (released.active, released.released_by) == (False, "alice")
    assert (released.release_cause, released.release_reason) == (
        ReleaseCause.RELEASED,
        "paid from the bank",
    )
    assert [s.id for s in await store.set_asides("core")] == [second.id]
    assert [s.id for s in await store.set_asides("core", active_only=False)] == [
        first.id,
        second.id,
    ]
    assert {s.id for s in await store.set_asides()} == {second.id, other.id}
    assert [s.id for s in await store.set_asides("core", active_only=False, limit=1)] == [second.id]


async def test_a_set_aside_is_released_once(store: SqlStore) -> None:
    item = await store.record_set_aside("core", "x", "USDT", D("5000"), seen_balance=D("7000"))

    first = await store.release_set_aside(item.id, ReleaseCause.WITHDRAWN, by="daemon")
    again = await store.release_set_aside(item.id, ReleaseCause.RELEASED, by="alice")

    assert first is not None
    assert first.release_cause is ReleaseCause.WITHDRAWN
    assert again is None
    stored = await store.get_set_aside(item.id)
    assert (stored.released_by, stored.release_cause) == ("daemon", ReleaseCause.WITHDRAWN)


async def test_a_release_racing_another_has_one_winner(store: SqlStore) -> None:
    item = await store.record_set_aside("core", "x", "USDT", D("5000"), seen_balance=D("7000"))

    results = await asyncio.gather(
        store.release_set_aside(item.id, ReleaseCause.WITHDRAWN, by="daemon"),
        store.release_set_aside(item.id, ReleaseCause.RELEASED, by="alice"),
    )

    assert sum(result is not None for result in results) == 1


async def test_the_balance_seen_and_the_warning_are_remembered(store: SqlStore) -> None:
    item = await store.record_set_aside("core", "x", "USDT", D("5000"), seen_balance=D("7000"))

    seen = await store.set_aside_seen(item.id, D("7100.5"))
    warned = await store.set_aside_warned(item.id)

    assert (seen.seen_balance, seen.seen_at > item.seen_at) == (D("7100.5"), True)
    assert warned.warned_at is not None
    assert (await store.get_set_aside(item.id)).seen_balance == D("7100.5")


async def test_unknown_ids_and_bad_amounts_are_refused(store: SqlStore) -> None:
    with pytest.raises(RecordNotFound):
        await store.get_set_aside("sa-nothing")
    with pytest.raises(RecordNotFound):
        await store.release_set_aside("sa-nothing", ReleaseCause.RELEASED, by="alice")
    with pytest.raises(InvalidValue, match="amount"):
        await store.record_set_aside("core", "x", "USDT", D("0"), seen_balance=D("1"))
    assert await store.set_asides("core", active_only=False) == []


async def test_set_asides_survive_reopening_the_database(backend_url: str) -> None:
    first = await open_store(backend_url)
    try:
        item = await first.record_set_aside("core", "x", "USDT", D("5000"), seen_balance=D("7000"))
    finally:
        await first.close()
    second = await open_store(backend_url)
    try:
        assert await second.get_set_aside(item.id) == item
    finally:
        await second.close()


async def test_a_set_aside_paid_in_part_holds_the_rest(store: SqlStore) -> None:
    item = await store.record_set_aside("core", "x", "USDT", D("5000"), seen_balance=D("7000"))

    reduced = await store.reduce_set_aside(item.id, D("2000"), seen_balance=D("4000"))

    assert reduced is not None
    assert (reduced.amount, reduced.seen_balance, reduced.active) == (D("2000"), D("4000"), True)
    assert reduced.seen_at > item.seen_at
    await store.release_set_aside(item.id, ReleaseCause.WITHDRAWN, by="daemon")
    assert await store.reduce_set_aside(item.id, D("1"), seen_balance=D("0")) is None
    with pytest.raises(InvalidValue, match="amount"):
        await store.reduce_set_aside(item.id, D("0"), seen_balance=D("0"))
