"""The breaker's state and history, and the append-only event log."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import RecordNotFound
from rebalancer.domain.runs import Trigger
from rebalancer.persistence import SqlStore, open_store

from .builders import START


async def test_the_breaker_is_unset_on_a_new_database(store: SqlStore) -> None:
    assert await store.get_breaker() is None
    assert await store.breaker_history() == []


async def test_the_breaker_state_survives_a_restart_with_its_history(database_url: str) -> None:
    first = await open_store(database_url)
    await first.set_breaker(BreakerState.REDUCING, ["slippage 1.4 % > 1 %"], START)
    halted_at = START + timedelta(minutes=1)
    await first.set_breaker(
        BreakerState.HALTED, ["3 failed orders", "reconciliation mismatch"], halted_at
    )
    await first.close()
    reopened = await open_store(database_url)
    try:
        current = await reopened.get_breaker()
        history = await reopened.breaker_history()
    finally:
        await reopened.close()
    assert current is not None
    assert (current.state, current.reasons, current.at) == (
        BreakerState.HALTED,
        ("3 failed orders", "reconciliation mismatch"),
        halted_at,
    )
    assert [record.state for record in history] == [BreakerState.HALTED, BreakerState.REDUCING]


async def test_breaker_reasons_must_be_a_list_of_text(store: SqlStore) -> None:
    with pytest.raises(InvalidValue, match="reasons"):
        await store.set_breaker(BreakerState.HALTED, "not a list")
    assert await store.get_breaker() is None


async def test_events_come_back_in_append_order_with_exact_payloads(store: SqlStore) -> None:
    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    first = await store.append_event("run_created", {"portfolio": "core"}, run.id)
    second = await store.append_event(
        "order_filled", {"filled": Decimal("0.01200"), "fills": [Decimal("1E-8")]}, run.id
    )
    third = await store.append_event("breaker_tripped", {"state": BreakerState.HALTED})
    assert first.id < second.id < third.id
    assert [event.kind for event in await store.events()] == [
        "run_created",
        "order_filled",
        "breaker_tripped",
    ]
    assert (await store.events(run.id))[-1].payload == {
        "filled": "0.01200",
        "fills": ["0.00000001"],
    }
    assert (await store.events())[-1].payload == {"state": "HALTED"}
    assert [event.kind for event in await store.events(limit=2)] == [
        "order_filled",
        "breaker_tripped",
    ]
    assert [event.kind for event in await store.events(run.id)] == ["run_created", "order_filled"]


async def test_an_event_time_is_kept_in_utc(store: SqlStore) -> None:
    event = await store.append_event("tick", {}, at=START + timedelta(hours=3))
    stored = (await store.events())[0]
    assert stored == event
    assert stored.at == START + timedelta(hours=3)
    assert stored.at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("payload", "message"),
    [({"price": 0.1}, r"payload.price: floats"), ({"at": object()}, "cannot be stored as JSON")],
)
async def test_payloads_that_are_not_exact_json_are_refused(
    store: SqlStore, payload: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        await store.append_event("bad", payload)
    assert await store.events() == []


async def test_an_event_for_an_unknown_run_is_refused(store: SqlStore) -> None:
    with pytest.raises(RecordNotFound, match="ghost"):
        await store.append_event("run_updated", {}, run_id="ghost")


async def test_a_limit_below_one_is_refused(store: SqlStore) -> None:
    with pytest.raises(InvalidValue, match="limit"):
        await store.events(limit=0)
    with pytest.raises(InvalidValue, match="limit"):
        await store.list_runs(limit=-1)
