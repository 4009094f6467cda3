"""Order intents: committed before sending, unique by client order id, updated as venues report."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import DuplicateRecord, OrderIntentState, RecordNotFound
from rebalancer.domain.runs import Trigger
from rebalancer.persistence import SqlStore, open_store

from .builders import START, order


async def _run_id(store: SqlStore, portfolio: str = "core") -> str:
    return (await store.create_run(portfolio, RunType.FULL, Trigger.DRIFT)).id


async def test_an_intent_reads_back_exactly_as_recorded(store: SqlStore) -> None:
    run_id = await _run_id(store)
    intent = order(run_id, limit_price=Decimal("61990.00"))
    assert await store.record_order_intent(intent) == intent
    assert await store.get_order(intent.client_order_id) == intent
    assert await store.get_order("never-sent") is None


async def test_a_client_order_id_is_recorded_only_once(store: SqlStore) -> None:
    run_id = await _run_id(store)
    await store.record_order_intent(order(run_id, "rb1-o1-1"))
    with pytest.raises(DuplicateRecord, match="rb1-o1-1"):
        await store.record_order_intent(order(run_id, "rb1-o1-1", node_id="o9"))
    assert [o.node_id for o in await store.orders_for_run(run_id)] == ["o1"]


async def test_the_database_itself_enforces_unique_client_order_ids(store: SqlStore) -> None:
    run_id = await _run_id(store)
    await store.record_order_intent(order(run_id, "rb1-o1-1"))
    copy_row = text(
        "INSERT INTO orders (client_order_id, run_id, node_id, round, attempt, venue, symbol,"
        " side, amount, state, filled, created_at, updated_at)"
        " SELECT client_order_id, run_id, 'o2', round, attempt, venue, symbol, side, amount,"
        " state, filled, created_at, updated_at FROM orders"
    )
    with pytest.raises(IntegrityError):
        async with store.engine.begin() as connection:
            await connection.execute(copy_row)


async def test_an_intent_for_an_unknown_run_is_refused(store: SqlStore) -> None:
    with pytest.raises(RecordNotFound, match="ghost"):
        await store.record_order_intent(order("ghost"))


async def test_updates_follow_the_venue_and_stamp_the_time(store: SqlStore) -> None:
    run_id = await _run_id(store)
    intent = await store.record_order_intent(order(run_id))
    later = START + timedelta(minutes=5)
    filled = await store.update_order(
        intent.client_order_id,
        at=later,
        state=OrderIntentState.FILLED,
        exchange_order_id="8812",
        filled=Decimal("0.01200"),
        average_price=Decimal("61990.00"),
        fee=Decimal("0.74388"),
        fee_asset="USDT",
    )
    assert filled == replace(
        intent,
        state=OrderIntentState.FILLED,
        exchange_order_id="8812",
        filled=Decimal("0.01200"),
        average_price=Decimal("61990.00"),
        fee=Decimal("0.74388"),
        fee_asset="USDT",
        updated_at=later,
    )
    assert await store.get_order(intent.client_order_id) == filled


async def test_save_order_overwrites_the_stored_order(store: SqlStore) -> None:
    run_id = await _run_id(store)
    intent = await store.record_order_intent(order(run_id))
    rejected = replace(intent, state=OrderIntentState.REJECTED, reason="insufficient balance")
    assert await store.save_order(rejected) == rejected
    assert await store.get_order(intent.client_order_id) == rejected
    with pytest.raises(RecordNotFound):
        await store.save_order(replace(intent, client_order_id="unknown"))
    with pytest.raises(InvalidValue, match="cannot change symbol, side"):
        await store.save_order(replace(rejected, symbol="ETH/USDT", side=OrderSide.BUY))
    assert await store.get_order(intent.client_order_id) == rejected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "cannot change colour"),
        ({"client_order_id": "x"}, "cannot change client_order_id"),
        ({"attempt": 2, "venue": "okx"}, "cannot change attempt, venue"),
        ({"filled": 0.5}, "filled"),
        ({"state": "HALF_DONE"}, "state: expected one of"),
    ],
)
async def test_bad_updates_are_refused_naming_the_field(
    store: SqlStore, changes: dict[str, object], message: str
) -> None:
    run_id = await _run_id(store)
    intent = await store.record_order_intent(order(run_id))
    with pytest.raises(InvalidValue, match=message):
        await store.update_order(intent.client_order_id, **changes)
    assert await store.get_order(intent.client_order_id) == intent


async def test_updating_an_order_never_recorded_names_it(store: SqlStore) -> None:
    with pytest.raises(RecordNotFound, match="rb-missing"):
        await store.update_order("rb-missing", state=OrderIntentState.OPEN)


async def test_non_terminal_orders_are_what_reconciliation_must_look_up(store: SqlStore) -> None:
    run_id = await _run_id(store)
    states = list(OrderIntentState)
    for index, state in enumerate(states):
        await store.record_order_intent(order(run_id, f"rb-{index}", state=state))
    open_ids = [o.client_order_id for o in await store.non_terminal_orders()]
    expected = [f"rb-{i}" for i, state in enumerate(states) if not state.is_terminal]
    assert open_ids == expected
    assert len(expected) == 5  # PENDING_SUBMIT, SUBMITTED, OPEN, PARTIALLY_FILLED, UNKNOWN


async def test_orders_of_a_run_come_back_in_recording_order(store: SqlStore) -> None:
    run_id = await _run_id(store)
    other = await _run_id(store)
    for name in ("rb-c", "rb-a", "rb-b"):
        await store.record_order_intent(order(run_id, name))
    await store.record_order_intent(order(other, "rb-z"))
    assert [o.client_order_id for o in await store.orders_for_run(run_id)] == [
        "rb-c",
        "rb-a",
        "rb-b",
    ]


async def test_notional_traded_counts_fills_since_a_time(store: SqlStore) -> None:
    core = await _run_id(store)
    income = await _run_id(store, "income")
    day = START + timedelta(days=1)
    fills = [
        (core, "old", START, Decimal("1"), Decimal("100")),
        (core, "a", day, Decimal("0.5"), Decimal("61990.10")),
        (core, "b", day + timedelta(hours=1), Decimal("0.25"), Decimal("3000")),
        (income, "c", day, Decimal("2"), Decimal("10")),
    ]
    for run_id, name, created, filled, price in fills:
        await store.record_order_intent(
            order(run_id, name, created_at=created, filled=filled, average_price=price)
        )
    await store.record_order_intent(order(core, "unfilled", created_at=day))
    assert await store.notional_traded_since(day) == Decimal("31745.050") + Decimal("20")
    assert await store.notional_traded_since(day, portfolio="core") == Decimal("31745.050")
    assert await store.notional_traded_since(day + timedelta(days=1)) == 0


async def test_concurrent_intents_all_commit(store: SqlStore) -> None:
    run_id = await _run_id(store)
    await asyncio.gather(*(store.record_order_intent(order(run_id, f"rb-{n}")) for n in range(20)))
    assert len(await store.orders_for_run(run_id)) == 20


async def test_two_stores_on_one_database_write_side_by_side(database_url: str) -> None:
    first, second = await open_store(database_url), await open_store(database_url)
    try:
        run_id = await _run_id(first)
        await asyncio.gather(
            *(first.record_order_intent(order(run_id, f"rb-a{n}")) for n in range(10)),
            *(second.record_order_intent(order(run_id, f"rb-b{n}")) for n in range(10)),
        )
        assert len(await second.orders_for_run(run_id)) == 20
    finally:
        await first.close()
        await second.close()
