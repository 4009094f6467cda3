"""Start-up and crash recovery against the real engine and a real SQLite store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.core.client_ids import make_client_order_id
from rebalancer.domain.market import OrderSide
from rebalancer.domain.orders import OrderType, SubmitOrder, TimeInForce
from rebalancer.domain.records import OrderIntentState, OrderRecord
from rebalancer.domain.runs import RunStatus
from rebalancer.persistence import open_store, sqlite_url
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.execution_settings import ExecutionSettings
from rebalancer.services.recovery import Recovery
from rebalancer.venues.simulated.gateway import SimulatedGateway

from .harness import World, order, plan_of


def intent(run_id: str, node: str, attempt: int, side: OrderSide, amount: str) -> OrderRecord:
    now = datetime.now(UTC)
    return OrderRecord(
        client_order_id=make_client_order_id(run_id, node, attempt),
        run_id=run_id,
        node_id=node,
        round=1,
        attempt=attempt,
        venue="binance",
        symbol="BTC/USDT",
        side=side,
        amount=Decimal(amount),
        state=OrderIntentState.PENDING_SUBMIT,
        created_at=now,
        updated_at=now,
    )


async def interrupted_run(world: World) -> tuple[str, dict[str, str]]:
    """A run cut off mid-flight: one order unsettled, one never sent, one left resting."""
    world.fund("binance", "BTC", "1")
    world.fund("binance", "USDT", "10000")
    faults = world.gateways["binance"].faults
    faults.accept_then_ambiguous = 1
    faults.failing_reads = 1000  # the venue stops answering reads: o1 stays UNKNOWN
    run_id, _ = await world.execute(plan_of(order("o1", "binance", OrderSide.SELL, "0.1")))
    faults.failing_reads = 0
    never_sent = await world.store.record_order_intent(
        intent(run_id, "o2", 1, OrderSide.SELL, "0.1")
    )
    resting = await world.store.record_order_intent(intent(run_id, "o3", 1, OrderSide.BUY, "0.01"))
    await world.gateways["binance"].create_order(
        SubmitOrder(
            resting.client_order_id,
            "BTC/USDT",
            OrderSide.BUY,
            OrderType.LIMIT,
            Decimal("0.01"),
            Decimal(50000),
            TimeInForce.GTC,
        )
    )
    await world.store.set_run_status(run_id, RunStatus.PROCESSING)
    [unsettled] = [o for o in await world.store.orders_for_run(run_id) if o.node_id == "o1"]
    return run_id, {
        "unsettled": unsettled.client_order_id,
        "never_sent": never_sent.client_order_id,
        "resting": resting.client_order_id,
    }


def recovery_of(world: World, **settings: ExecutionSettings) -> Recovery:
    """Recovery over the world's venues with its settings, or the ones ``settings`` names."""
    per_venue = {venue: settings.get(venue, world.settings) for venue in world.gateways}
    return Recovery(world.store, world.clock, world.breaker, per_venue, world.gateways)


async def restart(world: World, tmp_path: Path) -> Recovery:
    """A fresh process: new store connection, new gateways, breaker loaded from the store."""
    store = await open_store(sqlite_url(tmp_path))
    world.store = store
    gateways = {v: SimulatedGateway(world.engine, v, f"key-{v}") for v in world.gateways}
    breaker = BreakerKeeper(store, world.clock)
    return Recovery(store, world.clock, breaker, dict.fromkeys(gateways, world.settings), gateways)


async def test_recovery_after_an_interrupted_run_settles_each_order_exactly_once(
    world: World, tmp_path: Path
) -> None:
    run_id, ids = await interrupted_run(world)
    placed_before = len(world.engine.order_log())
    old_store = world.store
    recovery = await restart(world, tmp_path)
    try:
        report = await recovery.run()

        assert report.tradable
        assert report.never_arrived == [ids["never_sent"]]
        assert report.cancelled_orders == [ids["resting"]]
        assert sorted(report.settled_orders) == sorted([ids["unsettled"], ids["resting"]])
        states = {o.client_order_id: o.state for o in await world.store.orders_for_run(run_id)}
        assert states == {
            ids["unsettled"]: OrderIntentState.FILLED,
            ids["never_sent"]: OrderIntentState.REJECTED,
            ids["resting"]: OrderIntentState.CANCELED,
        }
        assert report.settled_runs == {run_id: RunStatus.PARTIALLY_FILLED}
        assert (await world.store.get_run(run_id)).status is RunStatus.PARTIALLY_FILLED
        assert len(world.engine.order_log()) == placed_before  # nothing was sent again

        again = await recovery.run()
        assert again.settled_orders == []
        assert again.cancelled_orders == []
        assert again.settled_runs == {}
        assert len(world.engine.order_log()) == placed_before
    finally:
        await old_store.close()


async def test_our_open_order_unknown_to_the_store_is_cancelled(world: World) -> None:
    world.fund("binance", "USDT", "10000")
    stray = make_client_order_id("zz9", "o1", 1)
    await world.gateways["binance"].create_order(
        SubmitOrder(
            stray,
            "BTC/USDT",
            OrderSide.BUY,
            OrderType.LIMIT,
            Decimal("0.01"),
            Decimal(50000),
            TimeInForce.GTC,
        )
    )
    foreign = "manual-order-1"
    await world.gateways["binance"].create_order(
        SubmitOrder(
            foreign,
            "BTC/USDT",
            OrderSide.BUY,
            OrderType.LIMIT,
            Decimal("0.01"),
            Decimal(50000),
            TimeInForce.GTC,
        )
    )
    recovery = recovery_of(world)

    report = await recovery.run()

    assert report.stray_orders == [stray]
    open_ids = [o.client_order_id for o in await world.gateways["binance"].fetch_open_orders()]
    assert open_ids == [foreign]  # a person's own order is left alone


async def test_venue_that_cannot_be_reconciled_is_reported_and_its_run_left_open(
    world: World,
) -> None:
    run_id, _ = await interrupted_run(world)
    world.gateways["binance"].faults.unreachable = True
    recovery = recovery_of(world)

    report = await recovery.run()

    assert not report.tradable
    assert "binance" in report.unreconciled
    assert report.settled_runs == {}
    assert (await world.store.get_run(run_id)).status is RunStatus.PROCESSING


async def test_each_venue_is_recovered_with_its_own_portfolios_settings(world: World) -> None:
    # binance's portfolio retries reads patiently, okx's gives up after one attempt; both venues
    # time out twice: only the patient one is reconciled (one settings value for both would
    # reconcile both or neither)
    patient = replace(world.settings, orders=replace(world.settings.orders, lookup_attempts=4))
    hasty = replace(world.settings, orders=replace(world.settings.orders, lookup_attempts=1))
    for gateway in world.gateways.values():
        gateway.faults.failing_reads = 2
    recovery = recovery_of(world, binance=patient, okx=hasty)

    report = await recovery.run()

    assert recovery.settings_for("binance") is patient
    assert list(report.unreconciled) == ["okx"]


def test_a_venue_without_settings_is_refused_at_construction(world: World) -> None:
    with pytest.raises(ValueError, match="no execution settings for venue"):
        Recovery(
            world.store, world.clock, world.breaker, {"binance": world.settings}, world.gateways
        )
