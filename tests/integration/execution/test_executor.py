"""The executor over the real engine and a real SQLite store: what a trader would see."""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.core.client_ids import make_client_order_id, parse_client_order_id
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.market import OrderSide
from rebalancer.domain.records import OrderIntentState, TransferState
from rebalancer.exchange_sim.engine import BookShape, OrderState

from .harness import World, fast_settings, make_engine, make_world, order, plan_of, transfer


async def test_plan_with_a_transfer_runs_to_completion(world: World) -> None:
    world.fund("binance", "BTC", "1")
    plan = plan_of(
        order("o1", "binance", OrderSide.SELL, "0.1"),
        transfer("t1", "binance", "okx", "3000", "o1"),
        order("o2", "okx", OrderSide.BUY, "0.04", "t1"),
    )

    run_id, report = await world.execute(plan)

    assert report.complete == 3
    assert report.skipped == ()
    assert world.balance("binance", "BTC") == Decimal("0.9")
    assert world.balance("okx", "BTC") > Decimal("0.0399")  # bought, less the fee in BTC
    orders = await world.store.orders_for_run(run_id)
    assert [(o.node_id, o.state) for o in orders] == [
        ("o1", OrderIntentState.FILLED),
        ("o2", OrderIntentState.FILLED),
    ]
    moved = await world.store.get_transfer(make_client_order_id(run_id, "t1", 1))
    assert moved is not None
    assert moved.state is TransferState.ARRIVED
    assert len(world.engine.order_log()) == 2


async def test_ambiguous_create_is_settled_by_client_id_without_a_duplicate(world: World) -> None:
    world.fund("binance", "BTC", "1")
    world.gateways["binance"].faults.accept_then_ambiguous = 1

    _run_id, report = await world.execute(plan_of(order("o1", "binance", OrderSide.SELL, "0.1")))

    assert report.orders["o1"].complete
    placed = world.engine.order_log("binance")
    assert len(placed) == 1
    record = await world.store.get_order(placed[0].client_order_id)
    assert record is not None
    assert record.state is OrderIntentState.FILLED
    assert record.filled == Decimal("0.1")
    assert parse_client_order_id(record.client_order_id).attempt == 1  # type: ignore[union-attr]


async def test_create_lost_before_the_venue_saw_it_is_sent_again_under_a_new_id(
    world: World,
) -> None:
    world.fund("binance", "BTC", "1")
    world.gateways["binance"].faults.lose_before_accept = 1

    run_id, report = await world.execute(plan_of(order("o1", "binance", OrderSide.SELL, "0.1")))

    assert report.orders["o1"].complete
    records = await world.store.orders_for_run(run_id)
    assert [(r.attempt, r.state) for r in records] == [
        (1, OrderIntentState.REJECTED),
        (2, OrderIntentState.FILLED),
    ]
    assert [o.client_order_id for o in world.engine.order_log()] == [records[1].client_order_id]


async def test_network_errors_while_settling_are_never_read_as_not_found(world: World) -> None:
    world.fund("binance", "BTC", "1")
    faults = world.gateways["binance"].faults
    faults.accept_then_ambiguous = 1
    faults.failing_reads = 1000

    run_id, report = await world.execute(plan_of(order("o1", "binance", OrderSide.SELL, "0.1")))

    assert not report.orders["o1"].complete
    records = await world.store.orders_for_run(run_id)
    assert [r.state for r in records] == [OrderIntentState.UNKNOWN]  # no second attempt
    assert len(world.engine.order_log()) == 1


async def test_rejection_fails_the_node_and_skips_what_depends_on_it(world: World) -> None:
    world.fund("binance", "BTC", "0.01")
    plan = plan_of(
        order("o1", "binance", OrderSide.SELL, "0.5"),
        order("o2", "binance", OrderSide.BUY, "0.001", "o1", symbol="ETH/USDT"),
    )

    run_id, report = await world.execute(plan)

    assert not report.orders["o1"].complete
    assert "insufficient_balance" in (report.orders["o1"].reason or "")
    assert report.skipped == ("o2",)
    records = await world.store.orders_for_run(run_id)
    assert [(r.node_id, r.state) for r in records] == [("o1", OrderIntentState.REJECTED)]
    assert world.engine.order_log() == []


async def test_market_order_bigger_than_the_book_fills_partially(tmp_path: Path) -> None:
    shallow = make_engine(BookShape(levels=2, level_notional=Decimal(6000)))
    world = await make_world(tmp_path, shallow)
    try:
        world.fund("binance", "USDT", "100000")
        run_id, report = await world.execute(plan_of(order("o1", "binance", OrderSide.BUY, "1")))
        result = report.orders["o1"]
        assert Decimal(0) < result.filled < Decimal(1)
        assert not result.complete
        assert report.partial == 1
        [record] = await world.store.orders_for_run(run_id)
        assert record.state is OrderIntentState.CANCELED  # expired with a partial fill
        assert record.filled == result.filled
    finally:
        await world.store.close()


async def test_order_above_max_notional_is_sent_in_slices(tmp_path: Path) -> None:
    from dataclasses import replace

    from .harness import fast_settings

    base = fast_settings()
    capped = replace(base, limits=replace(base.limits, max_order_notional=Decimal(2500)))
    world = await make_world(tmp_path, make_engine(), capped)
    try:
        world.fund("binance", "BTC", "1")
        _run_id, report = await world.execute(
            plan_of(order("o1", "binance", OrderSide.SELL, "0.1"))
        )
        assert report.orders["o1"].complete
        sizes = [o.amount for o in world.engine.order_log()]
        assert sum(sizes) == Decimal("0.1")
        assert all(size * 60000 <= 2500 for size in sizes)
        assert len({o.client_order_id for o in world.engine.order_log()}) == len(sizes)
    finally:
        await world.store.close()


async def test_limit_order_that_does_not_fill_falls_back_to_market(tmp_path: Path) -> None:
    from .harness import fast_settings

    world = await make_world(tmp_path, make_engine(), fast_settings(style="limit"))
    try:
        world.fund("binance", "USDT", "10000")
        run_id, report = await world.execute(plan_of(order("o1", "binance", OrderSide.BUY, "0.1")))
        assert report.orders["o1"].complete
        first, second = world.engine.order_log()
        assert (first.kind, first.state) == ("limit", OrderState.CANCELED)
        assert (second.kind, second.state) == ("market", OrderState.FILLED)
        states = [r.state for r in await world.store.orders_for_run(run_id)]
        assert states == [OrderIntentState.CANCELED, OrderIntentState.FILLED]
    finally:
        await world.store.close()


async def test_withdrawal_that_never_arrives_trips_the_breaker(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    from rebalancer.services.execution_settings import TransferSettings

    from .harness import fast_settings

    settings = replace(
        fast_settings(), transfers=TransferSettings(arrival_timeout_s=0.2, poll_interval_s=0.01)
    )
    world = await make_world(tmp_path, make_engine(delay_s=10**6), settings)
    try:
        world.fund("binance", "USDT", "5000")
        plan = plan_of(
            transfer("t1", "binance", "okx", "1000"),
            order("o1", "okx", OrderSide.BUY, "0.01", "t1"),
        )
        with caplog.at_level(logging.ERROR):
            _run_id, report = await world.execute(plan)
        assert not report.transfers["t1"].arrived
        assert report.skipped == ("o1",)
        assert world.breaker.state is BreakerState.HALTED
        stored = await world.store.get_breaker()
        assert stored is not None
        assert stored.state is BreakerState.HALTED
        assert stored.reasons[0].startswith("transfer_overdue")
        pending = await world.store.pending_transfers()
        assert [(t.node_id, t.reason) for t in pending] == [("t1", "overdue")]
        assert any("has not arrived" in r.message for r in caplog.records)
    finally:
        await world.store.close()


async def test_halted_breaker_places_nothing(world: World) -> None:
    from rebalancer.core.breaker import TripReason

    world.fund("binance", "BTC", "1")
    await world.breaker.trip(TripReason.MANUAL, "operator pause")

    run_id, report = await world.execute(plan_of(order("o1", "binance", OrderSide.SELL, "0.1")))

    assert "circuit breaker" in (report.orders["o1"].reason or "")
    assert world.engine.order_log() == []
    assert await world.store.orders_for_run(run_id) == []


async def test_unreconciled_venue_is_not_traded(world: World) -> None:
    world.fund("binance", "BTC", "1")
    _run_id, report = await world.execute(
        plan_of(order("o1", "binance", OrderSide.SELL, "0.1")),
        unreconciled=frozenset({"binance"}),
    )
    assert "not reconciled" in (report.orders["o1"].reason or "")
    assert world.engine.order_log() == []


async def test_limit_order_is_repriced_then_sent_at_market(tmp_path: Path) -> None:
    from rebalancer.services.execution_settings import LimitFallback, OrderStyle

    from .harness import fast_settings

    settings = fast_settings(
        style=OrderStyle.LIMIT, limit_fallback=LimitFallback.REPRICE, max_reprices=1
    )
    world = await make_world(tmp_path, make_engine(), settings)
    try:
        world.fund("binance", "BTC", "1")
        _, report = await world.execute(plan_of(order("o1", "binance", OrderSide.SELL, "0.1")))
        assert report.orders["o1"].complete
        kinds = [(o.kind, o.state) for o in world.engine.order_log()]
        assert kinds == [
            ("limit", OrderState.CANCELED),
            ("limit", OrderState.CANCELED),
            ("market", OrderState.FILLED),
        ]
        assert len({o.client_order_id for o in world.engine.order_log()}) == 3
    finally:
        await world.store.close()


async def test_run_notional_cap_stops_the_order_that_would_exceed_it(tmp_path: Path) -> None:
    from dataclasses import replace

    from .harness import fast_settings

    base = fast_settings()
    capped = replace(base, limits=replace(base.limits, max_run_notional=Decimal(8000)))
    world = await make_world(tmp_path, make_engine(), capped)
    try:
        world.fund("binance", "BTC", "1")
        plan = plan_of(
            order("o1", "binance", OrderSide.SELL, "0.1"),  # 6,000
            order("o2", "binance", OrderSide.SELL, "0.1", "o1"),  # would make 12,000
        )
        _, report = await world.execute(plan)
        assert report.orders["o1"].complete
        assert "max_run_notional" in (report.orders["o2"].reason or "")
        assert len(world.engine.order_log()) == 1
    finally:
        await world.store.close()


async def test_a_deposit_address_pinned_in_the_config_is_where_the_withdrawal_goes(
    tmp_path: Path,
) -> None:
    pinned = "TPinnedAddressFromTheConfig"
    settings = fast_settings()
    settings = replace(
        settings,
        transfers=replace(settings.transfers, deposit_addresses={("okx", "USDT", "TRC20"): pinned}),
    )
    world = await make_world(tmp_path, make_engine(), settings)
    try:
        world.fund("binance", "USDT", "5000")

        await world.execute(plan_of(transfer("t1", "binance", "okx", "1000")))

        [withdrawal] = world.engine.account_withdrawals("binance", "key-binance")
        assert withdrawal.address == pinned
        assert world.balance("okx", "USDT") == 0  # an address outside the simulation
    finally:
        await world.store.close()
